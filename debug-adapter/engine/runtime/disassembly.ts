// Instructions around an address for a disassembly view: `count` instructions starting
// `instructionOffset` instructions from `address` (negative: before it). Decoding backwards is
// guesswork on x86, so it starts at a known boundary (the containing function's start, or the
// previous function's) and decodes forward; unreadable memory becomes placeholder rows, so that
// the view always gets exactly `count` rows at increasing addresses.
import type { DisassembledInstruction } from '../disasm';
import { formatSymbolReference } from '../disasm';
import type { Memory } from '../unwind';
import type { GuestProgram } from './program';

export interface DisassembledLine {
  readonly address: bigint;
  /** Hex bytes, e.g. `48 89 e5`; empty for a placeholder. */
  readonly bytes: string;
  /** `mov rbp,rsp`, or `??` where memory cannot be read. */
  readonly text: string;
  /** `<Fibonacci+0x12>` */
  readonly symbol?: string;
  readonly file?: string;
  readonly line?: number;
}

const WINDOW = 4096;

function decodeRange(program: GuestProgram, memory: Memory, start: bigint, end: bigint): DisassembledInstruction[] {
  const out: DisassembledInstruction[] = [];
  let at = start;
  while (at < end) {
    const length = Number(end - at < BigInt(WINDOW) ? end - at : BigInt(WINDOW));
    const bytes = memory.read(at, length + 15) ?? memory.read(at, length);
    if (!bytes) return out;
    const decoded = program.disassemble(bytes, at);
    for (const instruction of decoded) {
      if (instruction.address >= at + BigInt(length)) break;
      out.push(instruction);
    }
    const last = out[out.length - 1];
    if (!last) return out;
    at = last.address + BigInt(last.length);
  }
  return out;
}

function placeholder(address: bigint): DisassembledLine {
  return { address, bytes: '', text: '??' };
}

export function disassembleAround(program: GuestProgram, memory: Memory, address: bigint, instructionOffset: number, count: number): DisassembledLine[] {
  const describe = (instruction: DisassembledInstruction): DisassembledLine => {
    const fn = program.symbols.functionAt(instruction.address);
    const row = program.lineAt(instruction.address);
    return {
      address: instruction.address,
      bytes: Buffer.from(instruction.bytes).toString('hex').replace(/(..)(?!$)/g, '$1 '),
      text: instruction.text,
      symbol: fn ? formatSymbolReference({ name: fn.name, offset: fn.offset }) : undefined,
      file: row?.line ? row.file : undefined,
      line: row?.line || undefined,
    };
  };
  // Walk back function by function until enough instructions precede `address`.
  const before: DisassembledInstruction[] = [];
  const wanted = Math.max(0, -instructionOffset);
  let anchor = program.symbols.functionAt(address)?.start ?? address;
  let end = address;
  for (let guard = 0; guard < 64; guard++) {
    const decoded = decodeRange(program, memory, anchor, end);
    before.unshift(...decoded.filter((i) => i.address < end));
    if (before.length >= wanted || anchor === 0n) break;
    const previous = program.symbols.functionAt(anchor - 1n);
    end = anchor;
    anchor = previous ? previous.start : anchor > BigInt(WINDOW) ? anchor - BigInt(WINDOW) : 0n;
    if (!previous) break;
  }
  const afterCount = Math.max(0, instructionOffset + count);
  const after: DisassembledInstruction[] = [];
  let at = address;
  while (after.length < afterCount) {
    const decoded = decodeRange(program, memory, at, at + BigInt(Math.max(64, (afterCount - after.length) * 15)));
    if (decoded.length === 0) break;
    after.push(...decoded);
    const last = decoded[decoded.length - 1];
    at = last.address + BigInt(last.length);
  }
  const lines: DisassembledLine[] = [];
  // Rows before the first decodable one are placeholders below it.
  const leading = wanted - before.length;
  const firstKnown = before[0]?.address ?? address;
  for (let i = Math.max(leading, 0); i > 0; i--) lines.push(placeholder(firstKnown - BigInt(i)));
  lines.push(...before.slice(Math.max(0, before.length - wanted)).map(describe));
  const startAfter = Math.max(0, instructionOffset);
  lines.push(...after.slice(startAfter, afterCount).map(describe));
  let next = lines.length > 0 ? lines[lines.length - 1].address + 1n : address;
  const lastReal = after[after.length - 1];
  if (lastReal) next = lastReal.address + BigInt(lastReal.length);
  while (lines.length < count) lines.push(placeholder(next++));
  return lines.slice(-count);
}
