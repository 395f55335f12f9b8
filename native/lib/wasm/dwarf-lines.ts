// The module's DWARF line table (.debug_line, versions 2-5), read from its custom sections:
// which source file and line each code address belongs to. Wasm DWARF addresses are offsets
// from the start of the code section's payload. A malformed table is a worded error; the
// translator then translates without source lines (and says so).
import path from 'node:path';
import { WasmError } from './errors';
import { ByteReader } from './reader';

export interface LineRange {
  /** Code-section offsets [low, high). */
  readonly low: number;
  readonly high: number;
  readonly file: string;
  readonly line: number;
}

export interface DwarfSections {
  readonly line?: Uint8Array;
  readonly lineStr?: Uint8Array;
  readonly str?: Uint8Array;
}

/** Reads a NUL-terminated string at `offset` of a string section. */
export function sectionString(section: Uint8Array | undefined, offset: number, what: string): string {
  if (!section || offset >= section.length) throw new WasmError(`${what}: string offset 0x${offset.toString(16)} is outside the string section`);
  let end = offset;
  while (end < section.length && section[end] !== 0) end++;
  return new TextDecoder().decode(section.subarray(offset, end));
}

export function cString(reader: ByteReader, what: string): string {
  const start = reader.offset;
  while (reader.u8(what) !== 0) {
    // scan to the NUL
  }
  return new TextDecoder().decode(reader.bytes.subarray(start, reader.offset - 1));
}

/** A sorted, non-overlapping list of line ranges, and lookups by address. */
export class LineTable {
  constructor(readonly ranges: readonly LineRange[]) {}

  /** The range holding `address`, if any. */
  at(address: number): LineRange | undefined {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid];
      if (address < r.low) hi = mid - 1;
      else if (address >= r.high) lo = mid + 1;
      else return r;
    }
    return undefined;
  }
}

interface Row {
  address: number;
  file: number;
  line: number;
  isStmt: boolean;
}

/**
 * Reads every line program in .debug_line. `compDirs` gives the compilation directory of the
 * unit whose program starts at each offset (DWARF 2-4 leave directory 0 implicit).
 */
export function readLineTable(sections: DwarfSections, compDirs: ReadonlyMap<number, string> = new Map()): LineTable {
  const data = sections.line;
  if (!data) return new LineTable([]);
  const ranges: LineRange[] = [];
  const reader = new ByteReader(data);
  while (!reader.atEnd) {
    const unitOffset = reader.offset;
    try {
      readProgram(reader, sections, compDirs.get(unitOffset), ranges);
    } catch (error) {
      if (error instanceof WasmError) throw new WasmError(`.debug_line unit at 0x${unitOffset.toString(16)}: ${error.problem}`);
      throw error;
    }
  }
  ranges.sort((a, b) => a.low - b.low);
  // Overlaps (a function's sequence duplicated by a linker) keep the first.
  const clean: LineRange[] = [];
  for (const r of ranges) {
    const last = clean[clean.length - 1];
    if (last && r.low < last.high) continue;
    clean.push(r);
  }
  return new LineTable(clean);
}

function readProgram(reader: ByteReader, sections: DwarfSections, compDir: string | undefined, out: LineRange[]): void {
  let unitLength = reader.u8('unit length') | (reader.u8() << 8) | (reader.u8() << 16) | (reader.u8() << 24);
  unitLength >>>= 0;
  if (unitLength === 0xffffffff) throw new WasmError('64-bit DWARF is not supported');
  const unitEnd = reader.offset + unitLength;
  if (unitEnd > reader.end) throw new WasmError('the unit runs past the end of the section');
  const r = new ByteReader(reader.bytes, reader.offset, unitEnd);
  reader.skip(unitLength);
  const u16 = () => r.u8('header') | (r.u8('header') << 8);
  const u32 = () => (r.u8() | (r.u8() << 8) | (r.u8() << 16) | (r.u8() << 24)) >>> 0;
  const version = u16();
  if (version < 2 || version > 5) throw new WasmError(`line table version ${version} is not supported`);
  if (version >= 5) {
    r.u8('address size');
    r.u8('segment selector size');
  }
  const headerLength = u32();
  const programStart = r.offset + headerLength;
  const minInstLength = r.u8();
  const maxOps = version >= 4 ? r.u8() : 1;
  if (maxOps !== 1) throw new WasmError('VLIW line tables (maximum_operations_per_instruction > 1) are not supported');
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = (r.u8() << 24) >> 24;
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  if (lineRange === 0) throw new WasmError('line_range is 0');
  const standardLengths: number[] = [];
  for (let i = 1; i < opcodeBase; i++) standardLengths.push(r.u8());

  const directories: string[] = [];
  const files: string[] = [];
  const resolve = (name: string, dir: string | undefined): string => {
    const base = dir ?? compDir;
    return path.isAbsolute(name) || base === undefined ? name : path.join(base, name);
  };
  if (version >= 5) {
    const readEntries = (what: string): Array<Map<number, string | number>> => {
      const formatCount = r.u8(`${what} format count`);
      const format: Array<[number, number]> = [];
      for (let i = 0; i < formatCount; i++) format.push([r.u32(), r.u32()]);
      const count = r.u32(`${what} count`);
      const entries: Array<Map<number, string | number>> = [];
      for (let i = 0; i < count; i++) {
        const entry = new Map<number, string | number>();
        for (const [content, form] of format) entry.set(content, readForm(r, form, sections, what));
        entries.push(entry);
      }
      return entries;
    };
    for (const d of readEntries('directory')) directories.push(String(d.get(1) ?? ''));
    const root = directories[0] ?? compDir;
    for (const f of readEntries('file name')) {
      const dirIndex = Number(f.get(2) ?? 0);
      const dir = dirIndex === 0 ? root : directories[dirIndex] !== undefined ? resolve(directories[dirIndex], root) : root;
      files.push(resolve(String(f.get(1) ?? ''), dir));
    }
  } else {
    for (;;) {
      const dir = cString(r, 'include directory');
      if (dir === '') break;
      directories.push(dir);
    }
    files.push(''); // file numbers start at 1 before DWARF 5
    for (;;) {
      const name = cString(r, 'file name');
      if (name === '') break;
      const dirIndex = r.u32();
      r.u32();
      r.u32();
      files.push(resolve(name, dirIndex === 0 ? undefined : directories[dirIndex - 1] !== undefined ? resolve(directories[dirIndex - 1], undefined) : undefined));
    }
  }

  const program = new ByteReader(r.bytes, programStart, unitEnd);
  const fresh = (): Row => ({ address: 0, file: 1, line: 1, isStmt: defaultIsStmt });
  let state = fresh();
  let sequence: Row[] = [];
  const emit = () => sequence.push({ ...state });
  const endSequence = () => {
    for (let i = 0; i < sequence.length; i++) {
      const row = sequence[i];
      const high = i + 1 < sequence.length ? sequence[i + 1].address : state.address;
      if (high > row.address && row.line !== 0) out.push({ low: row.address, high, file: files[row.file] ?? `file${row.file}`, line: row.line });
    }
    sequence = [];
    state = fresh();
  };
  while (!program.atEnd) {
    const opcode = program.u8('opcode');
    if (opcode >= opcodeBase) {
      const adjusted = opcode - opcodeBase;
      state.address += Math.floor(adjusted / lineRange) * minInstLength;
      state.line += lineBase + (adjusted % lineRange);
      emit();
      continue;
    }
    switch (opcode) {
      case 0: {
        const length = program.u32('extended opcode length');
        const end = program.offset + length;
        const sub = program.u8('extended opcode');
        if (sub === 1) {
          // The sequence's last address is one past its code.
          endSequence();
        } else if (sub === 2) {
          let address = 0;
          for (let i = 0; i < length - 1; i++) address += program.u8('address') * 2 ** (8 * i);
          state.address = address;
        }
        if (program.offset < end) program.skip(end - program.offset);
        break;
      }
      case 1: emit(); break;
      case 2: state.address += program.u32('advance') * minInstLength; break;
      case 3: state.line += Number(program.sleb(64, 'line advance')); break;
      case 4: state.file = program.u32('file'); break;
      case 5: program.u32('column'); break;
      case 6: state.isStmt = !state.isStmt; break;
      case 7: break;
      case 8: state.address += Math.floor((255 - opcodeBase) / lineRange) * minInstLength; break;
      case 9: state.address += program.u8() | (program.u8() << 8); break;
      case 10:
      case 11: break;
      case 12: program.u32('isa'); break;
      default:
        for (let i = 0; i < (standardLengths[opcode - 1] ?? 0); i++) program.u32('operand');
    }
  }
}

/** A DW_FORM value in a v5 line table header (strings and integers only). */
function readForm(r: ByteReader, form: number, sections: DwarfSections, what: string): string | number {
  const u32 = () => (r.u8() | (r.u8() << 8) | (r.u8() << 16) | (r.u8() << 24)) >>> 0;
  switch (form) {
    case 0x08: return cString(r, what);
    case 0x1f: return sectionString(sections.lineStr, u32(), what);
    case 0x0e: return sectionString(sections.str, u32(), what);
    case 0x0f: return r.u32();
    case 0x0b: return r.u8();
    case 0x05: return r.u8() | (r.u8() << 8);
    case 0x06: return u32();
    case 0x07: r.skip(8); return 0;
    case 0x1e: r.skip(16); return 0;
    case 0x09: r.skip(r.u32()); return 0;
    default: throw new WasmError(`${what}: DW_FORM 0x${form.toString(16)} is not supported in a line table header`);
  }
}
