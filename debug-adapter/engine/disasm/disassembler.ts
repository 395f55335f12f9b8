// Disassembler: decodes any byte range at an address with iced-x86 (wasm). One formatter and one
// instruction object are reused for every call; each call's decoder is freed when it ends, and
// dispose() frees the rest.
import type { Formatter, Instruction } from 'iced-x86';
import { loadIced, type Iced } from './iced';
import { createFormatter } from './formatter';
import { formatSymbolReference } from './symbols';
import type { AsmSyntax, DisassembledInstruction, InstructionKind, Symbolizer } from './types';

export interface DisassemblerOptions {
  /** Default 'intel'. */
  readonly syntax?: AsmSyntax;
  /** Names branch targets and RIP-relative addresses. */
  readonly symbolize?: Symbolizer;
}

export interface DecodeOptions {
  /** Stop after this many instructions. */
  readonly maxInstructions?: number;
}

function flowKinds({ FlowControl }: Iced): Record<number, InstructionKind> {
  return {
    [FlowControl.Next]: 'other',
    [FlowControl.UnconditionalBranch]: 'jump',
    [FlowControl.ConditionalBranch]: 'conditional-jump',
    [FlowControl.IndirectBranch]: 'indirect-jump',
    [FlowControl.Call]: 'call',
    [FlowControl.IndirectCall]: 'indirect-call',
    [FlowControl.Return]: 'return',
    [FlowControl.Interrupt]: 'interrupt',
    [FlowControl.XbeginXabortXend]: 'other',
    [FlowControl.Exception]: 'exception',
  };
}

const hex = (n: bigint) => `0x${n.toString(16)}`;

export class Disassembler {
  readonly syntax: AsmSyntax;
  private readonly symbolize?: Symbolizer;
  private readonly iced: Iced;
  private readonly kinds: Record<number, InstructionKind>;
  private formatter: Formatter | undefined;
  private instruction: Instruction | undefined;

  constructor(options: DisassemblerOptions = {}) {
    this.syntax = options.syntax ?? 'intel';
    this.symbolize = options.symbolize;
    this.iced = loadIced();
    this.kinds = flowKinds(this.iced);
    this.formatter = createFormatter(this.syntax);
    this.instruction = new this.iced.Instruction();
  }

  /** Decodes `bytes` as instructions starting at `address`; a trailing partial instruction is '(bad)'. */
  disassemble(bytes: Uint8Array, address: bigint, options: DecodeOptions = {}): DisassembledInstruction[] {
    const formatter = this.formatter;
    const instruction = this.instruction;
    if (!formatter || !instruction) throw new Error('the disassembler was disposed');
    const limit = options.maxInstructions ?? Infinity;
    const out: DisassembledInstruction[] = [];
    if (bytes.length === 0 || limit <= 0) return out;
    const decoder = new this.iced.Decoder(64, bytes, this.iced.DecoderOptions.None);
    try {
      decoder.ip = address;
      while (decoder.canDecode && out.length < limit) {
        const offset = decoder.position;
        decoder.decodeOut(instruction);
        const length = Math.max(1, Math.min(instruction.length, bytes.length - offset));
        out.push(this.describe(instruction, formatter, address + BigInt(offset), bytes.subarray(offset, offset + length)));
        if (instruction.length === 0) decoder.position = offset + 1;
      }
    } finally {
      decoder.free();
    }
    return out;
  }

  /**
   * The length and control-flow kind of the first instruction in `bytes`, without formatting it
   * (a stepper asks this of every instruction it steps; formatting is most of the cost).
   */
  shape(bytes: Uint8Array, address: bigint): { length: number; kind: InstructionKind; valid: boolean } | undefined {
    const instruction = this.instruction;
    if (!instruction) throw new Error('the disassembler was disposed');
    if (bytes.length === 0) return undefined;
    const decoder = new this.iced.Decoder(64, bytes, this.iced.DecoderOptions.None);
    try {
      decoder.ip = address;
      decoder.decodeOut(instruction);
      const valid = instruction.code !== this.iced.Code.INVALID;
      return { length: Math.max(1, instruction.length), kind: valid ? this.kinds[instruction.flowControl] ?? 'other' : 'exception', valid };
    } finally {
      decoder.free();
    }
  }

  /** Frees the wasm objects. The disassembler cannot be used afterwards. */
  dispose(): void {
    this.formatter?.free();
    this.instruction?.free();
    this.formatter = undefined;
    this.instruction = undefined;
  }

  private describe(instruction: Instruction, formatter: Formatter, address: bigint, bytes: Uint8Array): DisassembledInstruction {
    const { Code, OpKind } = this.iced;
    const valid = instruction.code !== Code.INVALID;
    if (!valid) {
      return { address, length: bytes.length, bytes, mnemonic: '(bad)', operands: '', text: '(bad)', kind: 'exception', valid };
    }
    const mnemonic = formatter.formatMnemonic(instruction);
    let operands = formatter.formatAllOperands(instruction);
    const kind = this.kinds[instruction.flowControl] ?? 'other';
    let branchTarget: bigint | undefined;
    if (instruction.op0Kind === OpKind.NearBranch64 || instruction.op0Kind === OpKind.NearBranch32 || instruction.op0Kind === OpKind.NearBranch16) {
      branchTarget = instruction.nearBranchTarget;
      const ref = this.symbolize?.(branchTarget);
      if (this.syntax === 'intel' && instruction.opCount === 1) operands = hex(branchTarget);
      if (ref) operands += ` ${formatSymbolReference(ref)}`;
    }
    let comment = '';
    let memoryTarget: bigint | undefined;
    if (instruction.isIpRelMemoryOperand) {
      memoryTarget = instruction.ipRelMemoryAddress;
      const ref = this.symbolize?.(memoryTarget);
      comment = `        # ${hex(memoryTarget)}${ref ? ` ${formatSymbolReference(ref)}` : ''}`;
    }
    const text = (operands ? `${mnemonic} ${operands}` : mnemonic) + comment;
    return { address, length: bytes.length, bytes, mnemonic, operands, text, branchTarget, memoryTarget, kind, valid };
  }
}
