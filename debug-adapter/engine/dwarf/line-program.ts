// Line number programs (.debug_line, DWARF 2-5): the header with its directory and file tables
// (DWARF 5 entry formats incl. MD5) and the state machine that turns the opcodes into rows.
import { DW_FORM, DW_LNCT, DW_LNE, DW_LNS } from './constants';
import { DwarfFormatError, hex } from './errors';
import { dwarfReader, type ByteReader, stringAt } from './reader';
import type { DebugSections } from './sections';

/** A directory or file entry as stored; `form` is the DW_FORM of its path (DWARF 5). */
export interface LineFileEntry {
  readonly name: string;
  /** DW_FORM of the path (DWARF 5); DW_FORM_string for DWARF 2-4 and DW_LNE_define_file. */
  readonly form: number;
  readonly dirIndex: number;
  readonly mtime: bigint;
  readonly size: bigint;
  readonly md5?: Uint8Array;
}

export interface LineProgramHeader {
  readonly offset: number;
  /** One past the program's last byte. */
  readonly end: number;
  readonly version: number;
  readonly offsetSize: 4 | 8;
  readonly addressSize: number;
  readonly headerLength: number;
  readonly minInstLength: number;
  readonly maxOpsPerInst: number;
  readonly defaultIsStmt: boolean;
  readonly lineBase: number;
  readonly lineRange: number;
  readonly opcodeBase: number;
  readonly standardOpcodeLengths: readonly number[];
  /** DWARF 5: every entry (index 0 is the compilation directory). DWARF 2-4: entries 1..n (index 0 is implicit). */
  readonly directories: readonly LineFileEntry[];
  /** DWARF 5: every entry from index 0. DWARF 2-4: entries from index 1 (index 0 unused). */
  readonly files: readonly LineFileEntry[];
  /** Offset of the first opcode. */
  readonly programOffset: number;
}

export interface LineRow {
  readonly address: bigint;
  readonly opIndex: number;
  /** File register: an index into the header's file table (DWARF 5: 0-based; earlier: 1-based). */
  readonly file: number;
  readonly line: number;
  readonly column: number;
  readonly isStmt: boolean;
  readonly basicBlock: boolean;
  readonly endSequence: boolean;
  readonly prologueEnd: boolean;
  readonly epilogueBegin: boolean;
  readonly isa: number;
  readonly discriminator: number;
}

export interface LineProgram {
  readonly header: LineProgramHeader;
  /** Rows in program order; every sequence ends with an end_sequence row. */
  readonly rows: readonly LineRow[];
  /** Files added by DW_LNE_define_file (DWARF 2-4), appended after the header's files. */
  readonly definedFiles: readonly LineFileEntry[];
}

export interface DecodeOptions {
  /** Address size to use when the header has none (DWARF 2-4): the unit's. Default 8. */
  readonly addressSize?: number;
  /** Initial value of the file register. Default 1 (the DWARF rule in every version). */
  readonly initialFile?: number;
  /** Unknown extended opcodes: skip them by their length (default) or throw. */
  readonly strictExtendedOpcodes?: boolean;
}

function entryString(sections: DebugSections, reader: ByteReader, form: number, offsetSize: 4 | 8, what: string): string {
  switch (form) {
    case DW_FORM.string:
      return reader.cstring();
    case DW_FORM.line_strp: {
      const offset = Number(reader.offset(offsetSize));
      if (!sections.lineStr) throw new DwarfFormatError(`.debug_line: ${what} uses DW_FORM_line_strp but .debug_line_str is missing`);
      return stringAt(sections.lineStr, offset, '.debug_line_str');
    }
    case DW_FORM.strp: {
      const offset = Number(reader.offset(offsetSize));
      if (!sections.str) throw new DwarfFormatError(`.debug_line: ${what} uses DW_FORM_strp but .debug_str is missing`);
      return stringAt(sections.str, offset, '.debug_str');
    }
    default:
      throw new DwarfFormatError(`.debug_line: unsupported form ${hex(form)} for ${what} at offset ${hex(reader.pos)}`);
  }
}

function entryNumber(reader: ByteReader, form: number, what: string): bigint {
  switch (form) {
    case DW_FORM.data1:
      return BigInt(reader.u8());
    case DW_FORM.data2:
      return BigInt(reader.u16());
    case DW_FORM.data4:
      return BigInt(reader.u32());
    case DW_FORM.data8:
      return reader.u64();
    case DW_FORM.udata:
      return reader.uleb();
    default:
      throw new DwarfFormatError(`.debug_line: unsupported form ${hex(form)} for ${what} at offset ${hex(reader.pos)}`);
  }
}

function skipForm(reader: ByteReader, form: number, offsetSize: 4 | 8): void {
  switch (form) {
    case DW_FORM.block:
      reader.skip(reader.ulebNumber());
      return;
    case DW_FORM.data16:
      reader.skip(16);
      return;
    case DW_FORM.string:
      reader.cstring();
      return;
    case DW_FORM.line_strp:
    case DW_FORM.strp:
    case DW_FORM.sec_offset:
      reader.offset(offsetSize);
      return;
    case DW_FORM.sdata:
      reader.sleb();
      return;
    default:
      entryNumber(reader, form, 'an unknown content type');
  }
}

/** DWARF 5 directory/file entry list: a format description, a count, then the entries. */
function readEntryList(sections: DebugSections, reader: ByteReader, offsetSize: 4 | 8, what: string): LineFileEntry[] {
  const formatCount = reader.u8();
  const format: Array<[number, number]> = [];
  for (let i = 0; i < formatCount; i++) format.push([reader.ulebNumber(), reader.ulebNumber()]);
  const countAt = reader.pos;
  const count = reader.ulebNumber(`${what} count`);
  // Every entry form takes at least one byte, so a count the header cannot hold is refused before
  // looping over it (an empty format would otherwise loop `count` times reading nothing).
  if (count > 0 && format.length === 0) {
    throw new DwarfFormatError(`.debug_line: ${what} count ${count} at offset ${hex(countAt)} with an empty entry format`);
  }
  if (count > reader.remaining) {
    throw new DwarfFormatError(`.debug_line: ${what} count ${count} at offset ${hex(countAt)} is more than the ${reader.remaining} bytes left in the header`);
  }
  const entries: LineFileEntry[] = [];
  for (let i = 0; i < count; i++) {
    let name = '';
    let form: number = DW_FORM.string;
    let dirIndex = 0;
    let mtime = 0n;
    let size = 0n;
    let md5: Uint8Array | undefined;
    for (const [content, entryForm] of format) {
      switch (content) {
        case DW_LNCT.path:
          form = entryForm;
          name = entryString(sections, reader, entryForm, offsetSize, `${what} ${i} path`);
          break;
        case DW_LNCT.directory_index:
          dirIndex = Number(entryNumber(reader, entryForm, `${what} ${i} directory index`));
          break;
        case DW_LNCT.timestamp:
          if (entryForm === DW_FORM.block) reader.skip(reader.ulebNumber());
          else mtime = entryNumber(reader, entryForm, `${what} ${i} timestamp`);
          break;
        case DW_LNCT.size:
          size = entryNumber(reader, entryForm, `${what} ${i} size`);
          break;
        case DW_LNCT.MD5:
          if (entryForm !== DW_FORM.data16) throw new DwarfFormatError(`.debug_line: ${what} ${i} MD5 has form ${hex(entryForm)}, expected DW_FORM_data16`);
          md5 = reader.bytesOf(16, 'MD5');
          break;
        default:
          skipForm(reader, entryForm, offsetSize); // vendor content (e.g. LLVM source), not needed
      }
    }
    entries.push({ name, form, dirIndex, mtime, size, md5 });
  }
  return entries;
}

/** Parses the header of the line program at `offset`. */
export function readLineProgramHeader(sections: DebugSections, offset: number, unitAddressSize = 8): LineProgramHeader {
  const section = sections.line;
  if (!section) throw new DwarfFormatError('.debug_line is missing');
  const reader = dwarfReader(section, '.debug_line', offset);
  const { length, offsetSize } = reader.initialLength();
  const end = reader.pos + length;
  if (end > section.length) throw new DwarfFormatError(`.debug_line: program at ${hex(offset)} has length ${hex(length)} past the section end`);
  const bounded = reader.sub(reader.pos, end);
  const version = bounded.u16();
  if (version < 2 || version > 5) throw new DwarfFormatError(`.debug_line: program at ${hex(offset)} has unsupported version ${version}`);
  let addressSize = unitAddressSize;
  if (version >= 5) {
    addressSize = bounded.u8();
    const segmentSelectorSize = bounded.u8();
    if (segmentSelectorSize !== 0) throw new DwarfFormatError(`.debug_line: program at ${hex(offset)} has segment selector size ${segmentSelectorSize}`);
  }
  const headerLength = Number(bounded.offset(offsetSize));
  const programOffset = bounded.pos + headerLength;
  const minInstLength = bounded.u8();
  const maxOpsPerInst = version >= 4 ? bounded.u8() : 1;
  const defaultIsStmt = bounded.u8() !== 0;
  const lineBase = bounded.i8();
  const lineRange = bounded.u8();
  const opcodeBase = bounded.u8();
  const standardOpcodeLengths = [0];
  for (let i = 1; i < opcodeBase; i++) standardOpcodeLengths.push(bounded.u8());
  if (maxOpsPerInst === 0) throw new DwarfFormatError(`.debug_line: program at ${hex(offset)} has maximum_operations_per_instruction 0`);
  let directories: LineFileEntry[];
  let files: LineFileEntry[];
  if (version >= 5) {
    directories = readEntryList(sections, bounded, offsetSize, 'directory');
    files = readEntryList(sections, bounded, offsetSize, 'file');
  } else {
    directories = [];
    for (;;) {
      const name = bounded.cstring();
      if (name === '') break;
      directories.push({ name, form: DW_FORM.string, dirIndex: 0, mtime: 0n, size: 0n });
    }
    files = [];
    for (;;) {
      const name = bounded.cstring();
      if (name === '') break;
      files.push({ name, form: DW_FORM.string, dirIndex: bounded.ulebNumber(), mtime: bounded.uleb(), size: bounded.uleb() });
    }
  }
  if (programOffset > end) throw new DwarfFormatError(`.debug_line: program at ${hex(offset)} has header_length past its end`);
  return {
    offset, end, version, offsetSize, addressSize, headerLength, minInstLength, maxOpsPerInst, defaultIsStmt,
    lineBase, lineRange, opcodeBase, standardOpcodeLengths, directories, files, programOffset,
  };
}

/** Runs the line number program at `offset` and returns its header and rows. */
export function decodeLineProgram(sections: DebugSections, offset: number, options: DecodeOptions = {}): LineProgram {
  const header = readLineProgramHeader(sections, offset, options.addressSize ?? 8);
  const section = sections.line as Uint8Array;
  const reader = dwarfReader(section, '.debug_line', header.programOffset, header.end);
  const rows: LineRow[] = [];
  const definedFiles: LineFileEntry[] = [];
  const initialFile = options.initialFile ?? 1;
  const { minInstLength, maxOpsPerInst, lineBase, lineRange, opcodeBase } = header;

  let address = 0n;
  let opIndex = 0;
  let file = initialFile;
  let line = 1;
  let column = 0;
  let isStmt = header.defaultIsStmt;
  let basicBlock = false;
  let endSequence = false;
  let prologueEnd = false;
  let epilogueBegin = false;
  let isa = 0;
  let discriminator = 0;
  const reset = (): void => {
    address = 0n;
    opIndex = 0;
    file = initialFile;
    line = 1;
    column = 0;
    isStmt = header.defaultIsStmt;
    basicBlock = false;
    endSequence = false;
    prologueEnd = false;
    epilogueBegin = false;
    isa = 0;
    discriminator = 0;
  };
  const emit = (): void => {
    rows.push({ address, opIndex, file, line, column, isStmt, basicBlock, endSequence, prologueEnd, epilogueBegin, isa, discriminator });
    basicBlock = false;
    prologueEnd = false;
    epilogueBegin = false;
    discriminator = 0;
  };
  const MASK = (1n << 64n) - 1n;
  const advance = (operationAdvance: bigint): void => {
    if (maxOpsPerInst === 1) {
      address = (address + BigInt(minInstLength) * operationAdvance) & MASK;
    } else {
      const total = BigInt(opIndex) + operationAdvance;
      address = (address + BigInt(minInstLength) * (total / BigInt(maxOpsPerInst))) & MASK;
      opIndex = Number(total % BigInt(maxOpsPerInst));
    }
  };

  while (!reader.atEnd()) {
    const at = reader.pos;
    const opcode = reader.u8();
    if (opcode >= opcodeBase) {
      if (lineRange === 0) throw new DwarfFormatError(`.debug_line: special opcode at ${hex(at)} with line_range 0`);
      const adjusted = opcode - opcodeBase;
      advance(BigInt(Math.floor(adjusted / lineRange)));
      line = (line + lineBase + (adjusted % lineRange)) >>> 0;
      emit();
      continue;
    }
    switch (opcode) {
      case 0: {
        const length = reader.ulebNumber('extended opcode length');
        if (length === 0) break;
        const start = reader.pos;
        const sub = reader.u8();
        switch (sub) {
          case DW_LNE.end_sequence:
            endSequence = true;
            emit();
            reset();
            break;
          case DW_LNE.set_address:
            address = reader.unsigned(length - 1);
            opIndex = 0;
            break;
          case DW_LNE.define_file:
            definedFiles.push({ name: reader.cstring(), form: DW_FORM.string, dirIndex: reader.ulebNumber(), mtime: reader.uleb(), size: reader.uleb() });
            break;
          case DW_LNE.set_discriminator:
            discriminator = reader.ulebNumber('discriminator');
            break;
          default:
            if (options.strictExtendedOpcodes) throw new DwarfFormatError(`.debug_line: unknown extended opcode ${hex(sub)} at ${hex(at)}`);
        }
        reader.pos = start + length; // the length is authoritative
        break;
      }
      case DW_LNS.copy:
        emit();
        break;
      case DW_LNS.advance_pc:
        advance(reader.uleb());
        break;
      case DW_LNS.advance_line:
        line = Number(BigInt.asUintN(32, BigInt(line) + reader.sleb()));
        break;
      case DW_LNS.set_file:
        file = reader.ulebNumber('file index');
        break;
      case DW_LNS.set_column:
        column = reader.ulebNumber('column');
        break;
      case DW_LNS.negate_stmt:
        isStmt = !isStmt;
        break;
      case DW_LNS.set_basic_block:
        basicBlock = true;
        break;
      case DW_LNS.const_add_pc:
        if (lineRange === 0) throw new DwarfFormatError(`.debug_line: DW_LNS_const_add_pc at ${hex(at)} with line_range 0`);
        advance(BigInt(Math.floor((255 - opcodeBase) / lineRange)));
        break;
      case DW_LNS.fixed_advance_pc:
        address = (address + BigInt(reader.u16())) & MASK;
        opIndex = 0;
        break;
      case DW_LNS.set_prologue_end:
        prologueEnd = true;
        break;
      case DW_LNS.set_epilogue_begin:
        epilogueBegin = true;
        break;
      case DW_LNS.set_isa:
        isa = reader.ulebNumber('isa');
        break;
      default:
        // An opcode this reader does not know: skip its ULEB128 operands as the header describes.
        for (let i = 0; i < (header.standardOpcodeLengths[opcode] ?? 0); i++) reader.uleb();
    }
  }
  return { header, rows, definedFiles };
}

function join(dir: string, name: string): string {
  if (dir === '') return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/**
 * The full path of file `index` of a line program, as debuggers show it: the file name, under
 * its directory, under the compilation directory when the directory is relative. Undefined for
 * an index with no entry.
 */
export function lineFilePath(program: Pick<LineProgram, 'header' | 'definedFiles'>, index: number, compDir: string | undefined): string | undefined {
  const { header } = program;
  const v5 = header.version >= 5;
  const all = [...header.files, ...program.definedFiles];
  const entry = v5 ? all[index] : index >= 1 ? all[index - 1] : undefined;
  if (!entry) return undefined;
  if (entry.name.startsWith('/')) return entry.name;
  let dir: string | undefined;
  if (v5) dir = header.directories[entry.dirIndex]?.name;
  else dir = entry.dirIndex === 0 ? compDir : header.directories[entry.dirIndex - 1]?.name;
  if (dir === undefined) return entry.name;
  if (!dir.startsWith('/') && compDir !== undefined && !(v5 && entry.dirIndex === 0)) dir = join(compDir, dir);
  return join(dir, entry.name);
}
