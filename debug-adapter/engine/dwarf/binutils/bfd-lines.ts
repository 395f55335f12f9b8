// binutils' view of a line table (bfd/dwarf2.c): file names joined the way binutils joins them,
// rows grouped into sequences where a row at the same address as the previous one replaces it,
// sequences sorted with nested ones dropped and overlapping ones trimmed, and its lookup. The
// answers differ from a DWARF-faithful reader on purpose (is_stmt is ignored, DWARF 5 sequences
// start in file 0); this is what `addr2line` prints.
import { DW_FORM } from '../constants';
import { decodeLineProgram, type LineFileEntry, type LineProgram } from '../line-program';
import type { DebugSections } from '../sections';

interface BfdLine {
  address: bigint;
  opIndex: number;
  filename: string | undefined;
  line: number;
  discriminator: number;
  endSequence: boolean;
  /** The next lower entry (BFD keeps each sequence as a list from the highest address down). */
  prev: BfdLine | undefined;
}

interface Sequence {
  lowPc: bigint;
  last: BfdLine;
  lines?: BfdLine[];
  /** Decoding order, newest first (BFD's stable-sort key). */
  order: number;
}

export interface BfdLineHit {
  readonly filename: string | undefined;
  readonly line: number;
  readonly discriminator: number;
}

const absolute = (path: string): boolean => path.startsWith('/');

/** The strings binutils keeps from a DWARF 5 path entry: empty inline/line_strp strings and
 *  unsupported forms (even DW_FORM_strp) give NULL. */
function bfdName(entry: LineFileEntry | undefined): string | undefined {
  if (!entry) return undefined;
  if (entry.form === DW_FORM.string || entry.form === DW_FORM.line_strp) return entry.name === '' ? undefined : entry.name;
  const strx = entry.form === DW_FORM.strx || (entry.form >= DW_FORM.strx1 && entry.form <= DW_FORM.strx4);
  return strx ? entry.name : undefined;
}

export class BfdLineTable {
  /** Address ranges [low, high] of every sequence, for the unit's address map. */
  readonly sequenceRanges: Array<{ low: bigint; high: bigint }> = [];
  private readonly sequences: Sequence[];
  private readonly v5: boolean;
  private readonly files: readonly LineFileEntry[];
  private readonly dirs: readonly LineFileEntry[];

  constructor(program: LineProgram, private readonly compDir: string | undefined) {
    this.v5 = program.header.version >= 5;
    this.files = [...program.header.files, ...program.definedFiles];
    this.dirs = program.header.directories;
    this.sequences = this.buildSequences(program);
  }

  /** Decodes the program at `offset` as binutils does; throws where binutils gives up. */
  static decode(sections: DebugSections, offset: number, addressSize: number, compDir: string | undefined): BfdLineTable {
    if (!sections.line || sections.line.length < 16) throw new Error('line info section is too small');
    const version = sections.line.length >= offset + 6 ? new DataView(sections.line.buffer, sections.line.byteOffset).getUint16(offset + 4, true) : 0;
    const program = decodeLineProgram(sections, offset, { addressSize, initialFile: version >= 5 ? 0 : 1, strictExtendedOpcodes: true });
    return new BfdLineTable(program, compDir);
  }

  /** binutils' concat_filename. */
  filename(file: number): string {
    let index = file;
    if (!this.v5) {
      if (file === 0) return '<unknown>';
      index = file - 1;
    }
    if (index >= this.files.length) return '<unknown>';
    const entry = this.files[index];
    const name = this.v5 ? bfdName(entry) : entry.name === '' ? undefined : entry.name;
    if (name === undefined) return '<unknown>';
    if (absolute(name)) return name;
    const dirIndex = this.v5 ? entry.dirIndex : entry.dirIndex - 1; // DWARF 2-4 dir 0 wraps to "none"
    let subdir = dirIndex >= 0 && dirIndex < this.dirs.length ? (this.v5 ? bfdName(this.dirs[dirIndex]) : this.dirs[dirIndex].name) : undefined;
    let dir: string | undefined;
    if (subdir === undefined || !absolute(subdir)) dir = this.compDir;
    if (dir === undefined) {
      dir = subdir;
      subdir = undefined;
    }
    if (dir === undefined) return name;
    return subdir !== undefined ? `${dir}/${subdir}/${name}` : `${dir}/${name}`;
  }

  private buildSequences(program: LineProgram): Sequence[] {
    const list: Sequence[] = [];
    let current: Sequence | undefined;
    let localHead: BfdLine | undefined;
    let seqLow: bigint | undefined;
    let seqHigh = 0n;
    const hasFiles = this.files.length > 0;
    for (const row of program.rows) {
      const name = hasFiles ? this.filename(row.file) : undefined;
      const info: BfdLine = {
        address: row.address,
        opIndex: row.opIndex,
        filename: name === '' ? undefined : name,
        line: row.line,
        discriminator: row.discriminator,
        endSequence: row.endSequence,
        prev: undefined,
      };
      const sortsAfter = (a: BfdLine, b: BfdLine): boolean => a.address > b.address || (a.address === b.address && a.opIndex > b.opIndex);
      if (current && current.last.address === info.address && current.last.opIndex === info.opIndex && current.last.endSequence === info.endSequence) {
        // Only the last entry at one address is kept.
        if (localHead === current.last) localHead = info;
        info.prev = current.last.prev;
        current.last = info;
      } else if (!current || current.last.endSequence) {
        current = { lowPc: info.address, last: info, order: 0 };
        localHead = info;
        list.push(current);
      } else if (info.endSequence || sortsAfter(info, current.last)) {
        info.prev = current.last;
        current.last = info;
        localHead ??= info;
      } else if (localHead && !sortsAfter(info, localHead) && (!localHead.prev || sortsAfter(info, localHead.prev))) {
        info.prev = localHead.prev;
        localHead.prev = info;
      } else {
        let upper: BfdLine = current.last;
        let lower = upper.prev;
        while (lower) {
          if (!sortsAfter(info, upper) && sortsAfter(info, lower)) break;
          upper = lower;
          lower = lower.prev;
        }
        localHead = upper;
        info.prev = upper.prev;
        upper.prev = info;
        if (info.address < current.lowPc) current.lowPc = info.address;
      }
      if (seqLow === undefined || row.address < seqLow) seqLow = row.address;
      if (row.address > seqHigh) seqHigh = row.address;
      if (row.endSequence) {
        // The sequence's span, which binutils adds to the unit's address ranges.
        this.sequenceRanges.push({ low: seqLow, high: seqHigh });
        seqLow = undefined;
        seqHigh = 0n;
      }
    }
    // Newest first, then a stable sort by low pc and, for equal starts, the longest first.
    list.reverse().forEach((s, i) => (s.order = i));
    list.sort((a, b) => {
      if (a.lowPc !== b.lowPc) return a.lowPc < b.lowPc ? -1 : 1;
      if (a.last.address !== b.last.address) return a.last.address > b.last.address ? -1 : 1;
      if (a.last.opIndex !== b.last.opIndex) return b.last.opIndex - a.last.opIndex;
      return a.order - b.order;
    });
    if (list.length === 0) return list;
    const kept: Sequence[] = [list[0]];
    let lastHigh = list[0].last.address;
    for (let i = 1; i < list.length; i++) {
      const seq = list[i];
      if (seq.lowPc < lastHigh) {
        if (seq.last.address <= lastHigh) continue; // nested in the previous one
        seq.lowPc = lastHigh; // overlapping: trimmed
      }
      lastHigh = seq.last.address;
      kept.push(seq);
    }
    return kept;
  }

  private rowsOf(seq: Sequence): BfdLine[] {
    const rows: BfdLine[] = [];
    for (let l: BfdLine | undefined = seq.last; l; l = l.prev) rows.push(l);
    return rows.reverse();
  }

  /** binutils' lookup_address_in_line_info_table. */
  lookup(address: bigint): BfdLineHit | undefined {
    let low = 0;
    let high = this.sequences.length;
    let seq: Sequence | undefined;
    while (low < high) {
      const mid = (low + high) >> 1;
      seq = this.sequences[mid];
      if (address < seq.lowPc) high = mid;
      else if (address >= seq.last.address) low = mid + 1;
      else break;
    }
    if (!seq || address < seq.lowPc || address >= seq.last.address) return undefined;
    seq.lines ??= this.rowsOf(seq);
    const lines = seq.lines;
    low = 0;
    high = lines.length;
    let mid = 0;
    let info: BfdLine | undefined;
    while (low < high) {
      mid = (low + high) >> 1;
      info = lines[mid];
      if (address < info.address) high = mid;
      else if (address >= lines[mid + 1].address) low = mid + 1;
      else break;
    }
    if (info && address >= info.address && address < lines[mid + 1].address && !(info.endSequence || info === seq.last)) {
      return { filename: info.filename, line: info.line, discriminator: info.discriminator };
    }
    return undefined;
  }
}
