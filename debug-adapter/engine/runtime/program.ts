// A guest program as the debugger sees it: its ELF, DWARF, CFI and symbols at the load bias it
// runs with, and the questions run control asks of them: where a line or a function breaks, which
// line an address is on, which instruction is at an address, how the stack unwinds.
import { compareAddresses } from '../../../native/lib/address-ranges';
import { ElfFile, SymbolTable } from '../../../native/lib/elf';
import { DebugInfo, NamedEntities, type LineLookup } from '../dwarf';
import { Disassembler, elfSymbolizer, type DisassembledInstruction, type InstructionKind } from '../disasm';
import { CfiModule, unwind, type FrameRegisters, type Memory, type PhysicalFrame, type StopReason } from '../unwind';

/** Where a source line breaks: the line it lands on (the next with code) and its addresses. */
export interface LineBreak {
  readonly line: number;
  readonly file: string;
  readonly addresses: readonly bigint[];
}

/** A guest function known to DWARF: where a breakpoint on it goes, and its ranges. */
export interface FunctionBreak {
  readonly name: string;
  readonly address: bigint;
  readonly file: string | undefined;
  readonly line: number | undefined;
}

const MAX_INSTRUCTION = 15;

export class GuestProgram {
  readonly info: DebugInfo;
  readonly symbols: SymbolTable;
  private readonly cfi: CfiModule;
  private disassembler: Disassembler | undefined;

  constructor(
    readonly path: string,
    readonly elf: ElfFile,
    readonly loadBias: bigint,
  ) {
    this.info = new DebugInfo(elf, { loadBias });
    this.symbols = new SymbolTable(elf.allSymbols(), loadBias);
    this.cfi = new CfiModule(elf, { name: 'guest', loadBias });
  }

  /** The is_stmt row covering `pc` (file, line, the row's range). */
  lineAt(pc: bigint): LineLookup | undefined {
    return this.info.lineForAddress(pc);
  }

  /** Where `file:line` breaks, as gdb places it (prologues skipped); undefined: no code there or after. */
  lineBreak(file: string, line: number): LineBreak | undefined {
    const found = this.info.addressesForLine(file, line, { skipPrologue: true });
    return found && found.addresses.length > 0 ? found : undefined;
  }

  /** Breakpoint locations of the functions named `name` (after their prologue, as gdb's `break name`). */
  functionBreaks(name: string): readonly FunctionBreak[] {
    return NamedEntities.of(this.info)
      .functionsNamed(name)
      .map((fn) => this.breakAfterPrologue(name, fn.address, fn.unit.pcRanges(fn.die)));
  }

  /** gdb's location for `break name`: the line of the entry, with its prologue skipped. */
  private breakAfterPrologue(name: string, entry: bigint, linkRanges: readonly { low: bigint; high: bigint }[]): FunctionBreak {
    const row = this.info.lineForAddress(entry);
    // Only the range that holds the entry: a function split by the optimizer (foo and foo.cold)
    // is entered in its hot part.
    const link = entry - this.loadBias;
    const entryRange = linkRanges.find((r) => link >= r.low && link < r.high);
    const inside = (a: bigint) => (entryRange ? [entryRange] : linkRanges).some((r) => a - this.loadBias >= r.low && a - this.loadBias < r.high);
    if (row?.file) {
      const found = this.info.addressesForLine(row.file, row.line, { skipPrologue: true });
      const address = found?.addresses.find(inside);
      if (found && address !== undefined) return { name, address, file: found.file, line: this.info.lineForAddress(address)?.line ?? found.line };
    }
    return { name, address: entry, file: row?.file, line: row?.line };
  }

  /** Addresses where statements (is_stmt rows with a line) start inside `ranges` (runtime addresses). */
  statementStarts(ranges: readonly { low: bigint; high: bigint }[]): bigint[] {
    const starts = new Set<bigint>();
    for (const range of ranges) {
      const unit = this.info.unitAt(range.low - this.loadBias);
      const table = unit ? this.info.lineTable(unit) : undefined;
      for (const sequence of table?.sequences ?? []) {
        for (const row of sequence.rows) {
          const address = row.address + this.loadBias;
          if (row.isStmt && row.line !== 0 && address >= range.low && address < range.high) starts.add(address);
        }
      }
    }
    return [...starts].sort(compareAddresses);
  }

  /** The function (DWARF, else the ELF symbol) containing `pc`. */
  functionNameAt(pc: bigint): string | undefined {
    return this.info.functionAt(pc)[0]?.name ?? this.symbols.functionAt(pc)?.name;
  }

  /** Link-time-independent ranges of the real (not inlined) function at `pc`. */
  functionRangesAt(pc: bigint): readonly { low: bigint; high: bigint }[] {
    const chain = this.info.functionAt(pc);
    const outer = chain[chain.length - 1];
    if (outer) return outer.ranges;
    const symbol = this.symbols.functionAt(pc);
    return symbol ? [{ low: symbol.start, high: symbol.start + (symbol.size || 1n) }] : [];
  }

  /** How many inlined frames are active at `pc` (0: none). */
  inlineDepthAt(pc: bigint): number {
    return Math.max(0, this.info.functionAt(pc).length - 1);
  }

  /** True when DWARF has line information for the code at `pc`. */
  hasLines(pc: bigint): boolean {
    const row = this.info.lineForAddress(pc);
    return row !== undefined && row.line !== 0;
  }

  /** Length and kind of the instruction at `pc`, decoded from `memory` (the live bytes, breakpoints hidden). */
  instructionAt(pc: bigint, memory: Memory): { length: number; kind: InstructionKind } | undefined {
    const bytes = memory.read(pc, MAX_INSTRUCTION) ?? this.readShort(pc, memory);
    if (!bytes) return undefined;
    return this.decoder().shape(bytes, pc);
  }

  /** Up to 15 bytes at the end of a readable range (an instruction near a page edge). */
  private readShort(pc: bigint, memory: Memory): Uint8Array | undefined {
    for (let n = MAX_INSTRUCTION - 1; n > 0; n--) {
      const bytes = memory.read(pc, n);
      if (bytes) return bytes;
    }
    return undefined;
  }

  disassemble(bytes: Uint8Array, address: bigint, maxInstructions?: number): DisassembledInstruction[] {
    return this.decoder().disassemble(bytes, address, { maxInstructions });
  }

  private decoder(): Disassembler {
    this.disassembler ??= new Disassembler({ symbolize: elfSymbolizer(this.elf, this.loadBias) });
    return this.disassembler;
  }

  /** Physical frames, innermost first. */
  unwind(registers: FrameRegisters, memory: Memory, maxFrames = 256): { frames: PhysicalFrame[]; stopReason: StopReason } {
    return unwind(registers, memory, [this.cfi], { maxFrames });
  }

  dispose(): void {
    this.disassembler?.dispose();
    this.disassembler = undefined;
  }
}
