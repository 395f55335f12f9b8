// Source lines for disassembly listings: every row of every unit's line program (through the DWARF
// reader in ../dwarf), flattened into address ranges for lookups by instruction address. (The
// debugger's per-unit line table, with sequences and statements, is ../dwarf/line-table.ts.)
import { compareAddresses, lastAtOrBelow } from '../../../native/lib/address-ranges';
import type { ElfFile } from '../../../native/lib/elf';
import { DwarfFile, decodeLineProgram, lineFilePath } from '../dwarf';

export interface SourceLine {
  readonly file: string;
  readonly line: number;
  readonly discriminator: number;
}

interface Range extends SourceLine {
  readonly start: bigint;
  readonly end: bigint;
}

export class SourceLines {
  private constructor(private readonly ranges: readonly Range[]) {}

  get size(): number {
    return this.ranges.length;
  }

  /** The line table of an ELF's .debug_line (empty without DWARF); `loadBias` moves every address. */
  static fromElf(elf: ElfFile, loadBias = 0n): SourceLines {
    const ranges: Range[] = [];
    const dwarf = DwarfFile.fromElf(elf);
    for (const unit of dwarf.units) {
      // DW_FORM_sec_offset (DWARF 4+) or data4/data8 (earlier): the raw value is the .debug_line offset.
      const offset = unit.stmtList;
      if (offset === undefined) continue;
      const compDir = unit.compDir;
      const program = decodeLineProgram(dwarf.sections, offset, { addressSize: unit.addressSize });
      const paths = new Map<number, string>();
      const pathOf = (index: number) => {
        let path = paths.get(index);
        if (path === undefined) {
          path = lineFilePath(program, index, compDir) ?? `<file ${index}>`;
          paths.set(index, path);
        }
        return path;
      };
      const rows = program.rows;
      for (let i = 0; i + 1 < rows.length; i++) {
        const row = rows[i];
        if (row.endSequence) continue;
        const next = rows[i + 1];
        if (next.address <= row.address) continue;
        // Linkers leave sequences of discarded functions at address 0: drop them.
        if (row.address === 0n) continue;
        ranges.push({ start: row.address + loadBias, end: next.address + loadBias, file: pathOf(row.file), line: row.line, discriminator: row.discriminator });
      }
    }
    ranges.sort((a, b) => compareAddresses(a.start, b.start));
    return new SourceLines(ranges);
  }

  /** The line of the row covering `address`, if any. */
  lookup(address: bigint): SourceLine | undefined {
    const range = this.ranges[lastAtOrBelow(this.ranges, (r) => r.start, address)];
    return range && address < range.end ? range : undefined;
  }
}
