// A unit's line table for debugger queries: sequences sorted by address, the row that covers an
// address (the last row at or below it, as llvm-symbolizer and gdb read it) and the rows of a
// source line. File indexes are resolved to full paths under the compilation directory.
import { IntervalIndex, lastAtOrBelow } from '../../../native/lib/address-ranges';
import { decodeLineProgram, lineFilePath, type LineProgram, type LineRow } from './line-program';
import type { Unit } from './unit';

export interface LineSequence {
  readonly low: bigint;
  /** Exclusive: the address of the end_sequence row. */
  readonly high: bigint;
  /** The rows of the sequence, end row excluded, in program order. */
  readonly rows: readonly LineRow[];
}

/** A source position. `file` is undefined when the row's file index has no entry. */
export interface SourceLocation {
  readonly file: string | undefined;
  /** 0: the compiler attributes the code to no line. */
  readonly line: number;
  /** 0: no column information. */
  readonly column: number;
  readonly discriminator: number;
}

export interface LineLookup extends SourceLocation {
  /** Address of the row that covers the queried address. */
  readonly address: bigint;
  readonly isStmt: boolean;
  /** End (exclusive) of the covered address range: the next row's address. */
  readonly end: bigint;
}

export class LineTable {
  /** Sorted by address. */
  readonly sequences: readonly LineSequence[];
  private readonly index: IntervalIndex<LineSequence>;
  private readonly paths = new Map<number, string | undefined>();

  constructor(
    readonly unit: Unit,
    readonly program: LineProgram,
    /** Keeps a sequence starting at this address (drops the address-0 sequences of discarded code). */
    isCode: (address: bigint) => boolean = () => true,
  ) {
    const sequences: LineSequence[] = [];
    let rows: LineRow[] = [];
    for (const row of program.rows) {
      if (!row.endSequence) {
        rows.push(row);
        continue;
      }
      if (rows.length > 0 && row.address > rows[0].address && isCode(rows[0].address)) sequences.push({ low: rows[0].address, high: row.address, rows });
      rows = [];
    }
    this.index = new IntervalIndex(sequences);
    this.sequences = this.index.entries;
  }

  static forUnit(unit: Unit, isCode?: (address: bigint) => boolean): LineTable | undefined {
    const offset = unit.stmtList;
    if (offset === undefined) return undefined;
    return new LineTable(unit, decodeLineProgram(unit.sections, offset, { addressSize: unit.addressSize }), isCode);
  }

  /** Full path of a file index of this table. */
  filePath(index: number): string | undefined {
    if (!this.paths.has(index)) this.paths.set(index, lineFilePath(this.program, index, this.unit.compDir));
    return this.paths.get(index);
  }

  /** The sequence containing `address`. */
  sequenceAt(address: bigint): LineSequence | undefined {
    return this.index.first(address);
  }

  /** The row covering `address`: the last row of its sequence whose address is at or below it. */
  lookup(address: bigint): LineLookup | undefined {
    const seq = this.sequenceAt(address);
    if (!seq) return undefined;
    const rows = seq.rows;
    const index = lastAtOrBelow(rows, (row) => row.address, address);
    if (index < 0) return undefined;
    const row = rows[index];
    let end = seq.high;
    for (let i = index + 1; i < rows.length; i++) {
      if (rows[i].address > row.address) {
        end = rows[i].address;
        break;
      }
    }
    return {
      file: this.filePath(row.file),
      line: row.line,
      column: row.column,
      discriminator: row.discriminator,
      address: row.address,
      isStmt: row.isStmt,
      end,
    };
  }

  /**
   * The addresses where each run of is_stmt rows for `line` of a file starts (a run: consecutive
   * rows of one sequence on that file and line). `matches` decides which file indexes are the file.
   */
  lineStarts(line: number, matches: (fileIndex: number) => boolean): bigint[] {
    const starts: bigint[] = [];
    for (const seq of this.sequences) {
      let previous: LineRow | undefined;
      for (const row of seq.rows) {
        const same = previous !== undefined && previous.line === row.line && previous.file === row.file;
        if (row.isStmt && row.line === line && matches(row.file) && !(same && previous?.isStmt)) starts.push(row.address);
        previous = row;
      }
    }
    return starts;
  }

  /** Lines of a file that have is_stmt rows. */
  linesOf(matches: (fileIndex: number) => boolean): Set<number> {
    const lines = new Set<number>();
    for (const seq of this.sequences) for (const row of seq.rows) if (row.isStmt && row.line !== 0 && matches(row.file)) lines.add(row.line);
    return lines;
  }
}
