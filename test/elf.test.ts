// The ELF reader against binutils: every header, section, segment, symbol and note of real gcc
// output must match `readelf -W`; functionAt must agree with `nm` and `addr2line -f`; malformed
// files must fail with an ElfFormatError naming the field and offset.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ElfFile, ElfFormatError, SymbolTable, elfConstants as C, fileTypeName, sectionFlagsString, sectionTypeName,
  segmentFlagsString, segmentTypeName, symbolBindName, symbolTypeName, symbolVisibilityName,
} from '../native/lib/elf';
import { parseFileHeader, parseNotes, parseSections, parseSegments, parseSymbols } from './fixtures/elf/readelf';
import { fixture, gcc } from './fixtures/elf/tools';
import { missingTools, readelf, run, scratch } from './support/oracles';

const missing = missingTools(['gcc', 'readelf', 'nm', 'addr2line', 'objcopy']);
const skip = missing.length > 0 ? `missing tools: ${missing.join(', ')}` : false;

const work = scratch('elf');
const bins: Record<string, string> = {};

before(() => {
  if (skip) return;
  const sample = fixture('sample.c');
  const dir = work;
  bins.static = gcc(dir, 'static', [sample], ['-g', '-O0', '-static', '-fno-pie', '-no-pie']);
  bins.pie = gcc(dir, 'pie', [sample], ['-g', '-O0', '-fpie', '-pie']);
  bins.staticPie = gcc(dir, 'static-pie', [sample], ['-g', '-O0', '-static-pie', '-fpie']);
  bins.zlib = gcc(dir, 'zlib', [sample], ['-g', '-O0', '-gz=zlib']);
  bins.shared = gcc(dir, 'lib.so', [fixture('sample-lib.c')], ['-g', '-O2', '-shared', '-fpic']);
});

after(() => rmSync(work, { recursive: true, force: true }));

const hexOf = (text: string): bigint => BigInt(text);

function ndxText(index: number): string {
  if (index === C.SHN_UNDEF) return 'UND';
  if (index === C.SHN_ABS) return 'ABS';
  if (index === C.SHN_COMMON) return 'COM';
  return String(index);
}

function checkHeader(elf: ElfFile, path: string): void {
  const h = parseFileHeader(readelf('-hW', path));
  assert.ok(h.get('Type')?.startsWith(`${fileTypeName(elf.header.type)} (`), `Type ${h.get('Type')}`);
  assert.equal(elf.header.entry, hexOf(h.get('Entry point address') ?? ''));
  assert.equal(elf.header.phoff, BigInt(parseInt(h.get('Start of program headers') ?? '', 10)));
  assert.equal(elf.header.shoff, BigInt(parseInt(h.get('Start of section headers') ?? '', 10)));
  assert.equal(elf.header.phnum, Number(h.get('Number of program headers')));
  assert.equal(elf.header.shnum, Number(h.get('Number of section headers')));
  assert.equal(elf.header.shstrndx, Number(h.get('Section header string table index')));
  assert.equal(elf.header.flags, Number(h.get('Flags')));
  assert.equal(elf.header.machine, C.EM_X86_64);
}

function checkSections(elf: ElfFile, path: string): void {
  const expected = parseSections(readelf('-SW', path));
  assert.equal(elf.sections.length, expected.length, 'section count');
  assert.ok(expected.length > 20, 'the parser saw the section table');
  for (const row of expected) {
    const s = elf.sections[row.index];
    const label = `section ${row.index} ${row.name}`;
    assert.equal(s.name, row.name, label);
    assert.equal(sectionTypeName(s.type), row.type, label);
    assert.equal(s.addr, row.addr, `${label} addr`);
    assert.equal(s.offset, row.offset, `${label} offset`);
    assert.equal(s.size, row.size, `${label} size`);
    assert.equal(s.entsize, row.entsize, `${label} entsize`);
    assert.equal(sectionFlagsString(s.flags), row.flags, `${label} flags`);
    assert.equal(s.link, row.link, `${label} link`);
    assert.equal(s.info, row.info, `${label} info`);
    assert.equal(s.addralign, row.align, `${label} align`);
  }
}

function checkSegments(elf: ElfFile, path: string): void {
  const expected = parseSegments(readelf('-lW', path));
  assert.equal(elf.programHeaders.length, expected.length, 'segment count');
  expected.forEach((row, i) => {
    const p = elf.programHeaders[i];
    const label = `segment ${i} ${row.type}`;
    assert.equal(segmentTypeName(p.type), row.type, label);
    assert.deepEqual(
      [p.offset, p.vaddr, p.paddr, p.filesz, p.memsz, segmentFlagsString(p.flags), p.align],
      [row.offset, row.vaddr, row.paddr, row.filesz, row.memsz, row.flags, row.align],
      label,
    );
  });
}

function checkSymbols(elf: ElfFile, path: string): number {
  const tables = parseSymbols(readelf('-sW', path));
  let compared = 0;
  for (const [table, rows] of tables) {
    const symbols = elf.symbols(table);
    assert.equal(symbols.length, rows.length, `${table} symbol count`);
    for (const row of rows) {
      const sym = symbols[row.num];
      const label = `${table} symbol ${row.num} ${row.name}`;
      // readelf names unnamed section symbols after their section.
      const name = sym.type === C.STT_SECTION && sym.name === '' ? elf.sections[sym.sectionIndex]?.name ?? '' : sym.name;
      assert.equal(name, row.name, label);
      assert.equal(sym.value, row.value, `${label} value`);
      assert.equal(sym.size, row.size, `${label} size`);
      assert.equal(symbolTypeName(sym.type), row.type, `${label} type`);
      assert.equal(symbolBindName(sym.bind), row.bind, `${label} bind`);
      assert.equal(symbolVisibilityName(sym.visibility), row.vis, `${label} visibility`);
      assert.equal(ndxText(sym.sectionIndex), row.ndx, `${label} section index`);
      compared++;
    }
  }
  return compared;
}

const NOTE_DESCRIPTIONS: Record<string, Record<number, string>> = {
  GNU: { 1: 'NT_GNU_ABI_TAG', 3: 'NT_GNU_BUILD_ID', 5: 'NT_GNU_PROPERTY_TYPE_0' },
  CORE: { 1: 'NT_PRSTATUS', 2: 'NT_FPREGSET', 3: 'NT_PRPSINFO', 6: 'NT_AUXV', 0x53494749: 'NT_SIGINFO', 0x46494c45: 'NT_FILE' },
  LINUX: { 0x202: 'NT_X86_XSTATE' },
  GDB: { 1: 'NT_GDB_TDESC' },
};

function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function checkNotes(elf: ElfFile, path: string): number {
  const groups = parseNotes(readelf('-nW', path));
  const expected = groups.flatMap((g) => g.notes.map((n) => ({ ...n, source: g.source })));
  const notes = elf.notes();
  assert.equal(notes.length, expected.length, 'note count');
  notes.forEach((note, i) => {
    const row = expected[i];
    const label = `note ${i} (${row.owner}) in ${row.source}`;
    assert.equal(note.name, row.owner, label);
    assert.equal(note.desc.length, row.size, `${label} size`);
    if (elf.sectionsOfType(C.SHT_NOTE).length > 0) assert.equal(note.source, row.source, `${label} source`);
    const known = NOTE_DESCRIPTIONS[note.name]?.[note.type];
    if (known) assert.ok(row.description.startsWith(known), `${label}: readelf says ${row.description}, we have type ${note.type}`);
    else assert.ok(row.description.startsWith(`Unknown note type: (0x${note.type.toString(16).padStart(8, '0')})`), `${label}: ${row.description}`);
    if (note.name === 'GNU' && note.type === C.NT_GNU_BUILD_ID) assert.ok(row.description.endsWith(`Build ID: ${hexBytes(note.desc)}`), label);
    if (note.name === 'GNU' && note.type === C.NT_GNU_ABI_TAG) {
      const view = new DataView(note.desc.buffer, note.desc.byteOffset, note.desc.byteLength);
      const abi = [4, 8, 12].map((o) => view.getUint32(o, true)).join('.');
      assert.ok(row.description.endsWith(`ABI: ${abi}`), `${label}: ${row.description}`);
    }
  });
  return notes.length;
}

function checkAll(path: string): ElfFile {
  const elf = ElfFile.fromFile(path);
  checkHeader(elf, path);
  checkSections(elf, path);
  checkSegments(elf, path);
  assert.ok(checkSymbols(elf, path) > 0, 'symbols were compared');
  checkNotes(elf, path);
  return elf;
}

interface NmSymbol { start: bigint; size: bigint; letter: string; name: string }

function nmFunctions(elf: ElfFile, path: string): NmSymbol[] {
  // nm gives addresses and sizes; readelf says which of them are functions.
  const funcs = new Set(
    [...parseSymbols(readelf('-sW', path)).values()].flat().filter((s) => s.type === 'FUNC' || s.type === 'IFUNC').map((s) => `${s.name}@${s.value}`),
  );
  const out: NmSymbol[] = [];
  for (const line of run('nm', ['-S', '--defined-only', path]).split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) ([A-Za-z]) (\S+)$/.exec(line);
    if (!m) continue;
    const sym = { start: BigInt(`0x${m[1]}`), size: BigInt(`0x${m[2]}`), letter: m[3], name: m[4] };
    if (sym.size > 0n && funcs.has(`${sym.name}@${sym.start}`)) out.push(sym);
  }
  assert.ok(out.length > 0 && elf.symbols().length > 0);
  return out;
}

function checkFunctionAt(elf: ElfFile, path: string): void {
  const table = SymbolTable.fromElf(elf);
  const nm = nmFunctions(elf, path);
  for (const fn of nm) {
    for (const address of [fn.start, fn.start + fn.size / 2n, fn.start + fn.size - 1n]) {
      const containing = nm.filter((s) => address >= s.start && address < s.start + s.size);
      const innermost = containing.reduce((max, s) => (s.start > max ? s.start : max), 0n);
      const candidates = containing.filter((s) => s.start === innermost);
      const found = table.functionAt(address);
      const label = `functionAt(0x${address.toString(16)}) among ${candidates.map((c) => `${c.name}/${c.letter}`).join(', ')}`;
      assert.ok(found, label);
      assert.ok(candidates.some((c) => c.name === found.name), `${label} gave ${found.name}`);
      assert.equal(found.start, innermost, label);
      assert.equal(found.offset, address - innermost, label);
      if (candidates.some((c) => c.letter === 'T')) {
        assert.equal(candidates.find((c) => c.name === found.name)?.letter, 'T', `${label}: a global symbol must win`);
      }
    }
  }
  // Just past a function that no other symbol covers: nothing.
  const sorted = [...nm].sort((a, b) => (a.start < b.start ? -1 : 1));
  let gaps = 0;
  for (let i = 0; i + 1 < sorted.length; i++) {
    const end = sorted[i].start + sorted[i].size;
    const anotherStarts = elf.allSymbols().some((s) => (s.type === C.STT_FUNC || s.type === C.STT_GNU_IFUNC) && s.value > sorted[i].start && s.value <= end);
    if (end < sorted[i + 1].start && !nm.some((s) => end >= s.start && end < s.start + s.size) && !anotherStarts) {
      assert.equal(table.functionAt(end), undefined, `functionAt(0x${end.toString(16)}) in the gap after ${sorted[i].name}`);
      gaps++;
    }
  }
  assert.ok(gaps > 0, 'some gaps between functions were checked');

  // Our own functions against addr2line -f (which uses the DWARF of the same file).
  const ours = ['main', 'sample_global', 'sample_local', 'sample_weak'].map((name) => {
    const [fn] = table.functionsNamed(name);
    assert.ok(fn, name);
    return fn;
  });
  const addresses = ours.map((fn) => fn.start + fn.size / 2n);
  const lines = run('addr2line', ['-f', '-e', path, ...addresses.map((a) => `0x${a.toString(16)}`)]).trim().split('\n');
  ours.forEach((fn, i) => {
    assert.equal(lines[i * 2], fn.name);
    assert.equal(table.functionAt(addresses[i])?.name, fn.name);
  });

  // A load bias shifts every function (a static-pie guest loaded at 0x100000).
  const biased = SymbolTable.fromElf(elf, 0x100000n);
  assert.equal(biased.functionAt(addresses[0] + 0x100000n)?.name, 'main');
  assert.equal(biased.functionAt(addresses[0] + 0x100000n)?.start, ours[0].start + 0x100000n);
}

test('static non-PIE executable matches readelf -hlSsnW, nm and addr2line', { skip }, () => {
  const elf = checkAll(bins.static);
  assert.equal(elf.header.type, C.ET_EXEC);
  checkFunctionAt(elf, bins.static);
  const custom = elf.notes().find((n) => n.name === 'MicroVM');
  assert.deepEqual(custom && [custom.type, [...custom.desc]], [0x1234, [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]]);
});

test('PIE executable matches readelf, including .dynsym', { skip }, () => {
  const elf = checkAll(bins.pie);
  assert.equal(elf.header.type, C.ET_DYN);
  assert.ok(elf.symbols('.dynsym').length > 1);
  checkFunctionAt(elf, bins.pie);
});

test('static-pie executable matches readelf', { skip }, () => {
  const elf = checkAll(bins.staticPie);
  assert.equal(elf.header.type, C.ET_DYN);
  assert.equal(elf.programHeaders.some((p) => p.type === C.PT_INTERP), false);
  checkFunctionAt(elf, bins.staticPie);
});

test('shared object matches readelf; exported and hidden functions resolve', { skip }, () => {
  const elf = checkAll(bins.shared);
  const table = SymbolTable.fromElf(elf);
  const dyn = elf.symbols('.dynsym').find((s) => s.name === 'lib_add');
  assert.ok(dyn && dyn.type === C.STT_FUNC && dyn.bind === C.STB_GLOBAL);
  assert.equal(table.functionAt(dyn.value + 1n)?.name, 'lib_add');
  // The linker turns hidden symbols into local ones and keeps them out of .dynsym.
  const hidden = elf.symbols().find((s) => s.name === 'lib_hidden');
  assert.equal(hidden?.bind, C.STB_LOCAL);
  assert.equal(table.functionAt(hidden.value)?.name, 'lib_hidden');
  assert.equal(elf.symbols('.dynsym').some((s) => s.name === 'lib_hidden'), false);
});

test('PT_NOTE segments parse to the same notes as the SHT_NOTE sections', { skip }, () => {
  const elf = ElfFile.fromFile(bins.static);
  const key = (n: { name: string; type: number; desc: Uint8Array; offset: number }): string => `${n.name}/${n.type}/${hexBytes(n.desc)}@${n.offset}`;
  // Every note the loader can see (in an allocated SHT_NOTE section) is in a PT_NOTE segment too.
  const fromSegments = elf.segmentNotes().map(key).sort();
  const fromSections = elf.sectionNotes().filter((n) => elf.section(n.source)!.flags & C.SHF_ALLOC).map(key).sort();
  assert.ok(fromSegments.length >= 3);
  assert.deepEqual(fromSegments, fromSections);
});

test('address → file offset through PT_LOAD agrees with section offsets', { skip }, () => {
  const elf = ElfFile.fromFile(bins.static);
  for (const s of elf.sections) {
    if (!(s.flags & C.SHF_ALLOC) || s.type === C.SHT_NOBITS || s.size === 0n || s.flags & C.SHF_TLS) continue;
    assert.equal(elf.addressToOffset(s.addr), s.offset, s.name);
    assert.equal(elf.addressToOffset(s.addr + s.size - 1n), s.offset + s.size - 1n, s.name);
  }
  const bss = elf.section('.bss')!;
  assert.equal(elf.addressToOffset(bss.addr + bss.size - 1n), undefined, '.bss has no file bytes');
  assert.equal(elf.segmentAt(bss.addr)?.type, C.PT_LOAD);
  assert.equal(elf.addressToOffset(0x10n), undefined);
  // The bytes at a symbol's address are the initialised data (sample_counter = 7).
  const counter = elf.symbols().find((s) => s.name === 'sample_counter')!;
  assert.deepEqual([...elf.bytesAt(counter.value, 4)!], [7, 0, 0, 0]);
  const message = elf.symbols().find((s) => s.name === 'sample_message')!;
  assert.equal(Buffer.from(elf.requireBytesAt(message.value, 6, 'sample_message')).toString(), 'sample');
});

test('zlib-compressed debug sections inflate to what objcopy --decompress-debug-sections gives', { skip }, () => {
  const elf = checkAll(bins.zlib);
  const compressed = elf.sections.filter((s) => s.flags & C.SHF_COMPRESSED);
  assert.ok(compressed.some((s) => s.name === '.debug_info'), 'gcc -gz=zlib compressed .debug_info');
  const plain = join(work, 'zlib-plain');
  run('objcopy', ['--decompress-debug-sections', bins.zlib, plain]);
  const plainSections = parseSections(readelf('-SW', plain));
  for (const s of compressed) {
    const data = elf.sectionData(s.name)!;
    const dumped = join(work, `dump${s.name}`);
    run('objcopy', ['--dump-section', `${s.name}=${dumped}`, plain, join(work, 'ignored')]);
    assert.equal(BigInt(data.length), plainSections.find((p) => p.name === s.name)?.size, s.name);
    assert.ok(Buffer.from(readFileSync(dumped)).equals(Buffer.from(data)), `${s.name} contents`);
    assert.equal(elf.rawSectionData(s).length, Number(s.size));
  }
  // An uncompressed section is a view into the file, not a copy.
  const text = elf.sectionData('.text')!;
  assert.equal(text.buffer, elf.bytes.buffer);
  assert.equal(elf.sectionData('.no-such-section'), undefined);
  assert.equal(elf.sectionData('.bss')?.length, 0);
});

test('extended numbering (e_shnum = 0, e_shstrndx = SHN_XINDEX) resolves through section header 0', { skip }, () => {
  const header = parseFileHeader(readelf('-hW', bins.static));
  const shoff = Number(header.get('Start of section headers')?.split(' ')[0]);
  const shnum = Number(header.get('Number of section headers'));
  const shstrndx = Number(header.get('Section header string table index'));
  const path = join(work, 'extended');
  writeFileSync(path, patched(bins.static, (_, v) => {
    v.setUint16(60, 0, true); // e_shnum: see section 0's sh_size
    v.setUint16(62, C.SHN_XINDEX, true); // e_shstrndx: see section 0's sh_link
    v.setBigUint64(shoff + 32, BigInt(shnum), true);
    v.setUint32(shoff + 40, shstrndx, true);
  }));
  const elf = ElfFile.fromFile(path);
  assert.equal(elf.header.shnum, shnum);
  assert.equal(elf.header.shstrndx, shstrndx);
  // readelf resolves the escape the same way; everything but section 0 must still match.
  const expected = parseSections(readelf('-SW', path));
  assert.equal(expected.length, shnum);
  assert.deepEqual(elf.sections.slice(1).map((s) => s.name), expected.slice(1).map((r) => r.name));
  assert.equal(elf.sections[0].size, BigInt(shnum));
  assert.equal(elf.sections[0].link, shstrndx);
});

// --- malformed files --------------------------------------------------------------------------

function patched(path: string, edit: (bytes: Uint8Array, view: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(readFileSync(path));
  edit(bytes, new DataView(bytes.buffer));
  return bytes;
}

function rejects(bytes: Uint8Array, message: string, step: (elf: ElfFile) => unknown = () => undefined): void {
  assert.throws(
    () => step(new ElfFile(bytes)),
    (error: unknown) => {
      assert.ok(error instanceof ElfFormatError);
      assert.equal(error.name, 'ElfFormatError');
      assert.equal(error.message, message);
      assert.equal(String(error), `ElfFormatError: ${message}`);
      return true;
    },
  );
}

test('malformed: truncated file header', { skip }, () => {
  rejects(readFileSync(bins.static).subarray(0, 40), 'file header (0x40 bytes at offset 0x0) extends past end of file (size 0x28)');
  rejects(readFileSync(bins.static).subarray(0, 10), 'e_ident (0x10 bytes at offset 0x0) extends past end of file (size 0xa)');
});

test('malformed: bad magic, class, byte order, machine', { skip }, () => {
  rejects(patched(bins.static, (b) => (b[3] = 0x47)), 'bad ELF magic at offset 0x0: 7f 45 4c 47 (expected 7f 45 4c 46)');
  rejects(new Uint8Array(0), 'bad ELF magic at offset 0x0: an empty file (expected 7f 45 4c 46)');
  rejects(patched(bins.static, (b) => (b[4] = 1)), 'e_ident[EI_CLASS] at offset 0x4 is 1 (ELFCLASS32); only ELFCLASS64 (2) is supported');
  rejects(patched(bins.static, (b) => (b[4] = 9)), 'e_ident[EI_CLASS] at offset 0x4 is 9 (invalid); only ELFCLASS64 (2) is supported');
  rejects(patched(bins.static, (b) => (b[5] = 2)), 'e_ident[EI_DATA] at offset 0x5 is 2 (ELFDATA2MSB); only little-endian ELFDATA2LSB (1) is supported');
  rejects(patched(bins.static, (_, v) => v.setUint16(18, 183, true)), 'e_machine at offset 0x12 is 183; only EM_X86_64 (62) is supported');
});

test('malformed: section header table, section contents and program headers past EOF', { skip }, () => {
  const original = readFileSync(bins.static);
  const header = parseFileHeader(readelf('-hW', bins.static));
  const shoff = Number(header.get('Start of section headers')?.split(' ')[0]);
  const shnum = Number(header.get('Number of section headers'));
  const cut = original.subarray(0, shoff + 100);
  rejects(cut, `section header table (e_shoff=0x${shoff.toString(16)}, ${shnum} entries of 0x40 bytes) extends past end of file (size 0x${cut.length.toString(16)})`);

  const sections = parseSections(readelf('-SW', bins.static));
  const seven = sections[7];
  const size = original.length;
  const moved = patched(bins.static, (_, v) => v.setBigUint64(shoff + 7 * 64 + 24, BigInt(size - 16), true));
  rejects(moved, `section header 7 (sh_offset=0x${(size - 16).toString(16)}, sh_size=0x${seven.size.toString(16)}) extends past end of file (size 0x${size.toString(16)})`);

  const segs = parseSegments(readelf('-lW', bins.static));
  const phdr1 = 64 + 56 * 1 + 32; // p_filesz of program header 1
  const grown = patched(bins.static, (_, v) => v.setBigUint64(phdr1, BigInt(size), true));
  rejects(grown, `program header 1 (p_offset=0x${segs[1].offset.toString(16)}, p_filesz=0x${size.toString(16)}) extends past end of file (size 0x${size.toString(16)})`);

  const phTable = patched(bins.static, (_, v) => v.setBigUint64(32, BigInt(size - 56), true));
  rejects(phTable, `program header table (e_phoff=0x${(size - 56).toString(16)}, ${segs.length} entries of 0x38 bytes) extends past end of file (size 0x${size.toString(16)})`);
});

test('malformed: string indices out of range', { skip }, () => {
  const header = parseFileHeader(readelf('-hW', bins.static));
  const shoff = Number(header.get('Start of section headers')?.split(' ')[0]);
  const shstrndx = Number(header.get('Section header string table index'));
  const sections = parseSections(readelf('-SW', bins.static));
  const shstrtabSize = sections[shstrndx].size;
  rejects(
    patched(bins.static, (_, v) => v.setUint32(shoff + 3 * 64, 0xffffff, true)),
    `section header 3: sh_name 0xffffff is outside the section name string table (section ${shstrndx}), which is 0x${shstrtabSize.toString(16)} bytes`,
  );
  rejects(
    patched(bins.static, (_, v) => v.setUint16(62, shnumOf(header) + 5, true)),
    `e_shstrndx ${shnumOf(header) + 5} is not a valid section index (e_shnum ${shnumOf(header)})`,
  );

  const symtab = sections.find((s) => s.name === '.symtab')!;
  const strtab = sections[symtab.link];
  rejects(
    patched(bins.static, (_, v) => v.setUint32(Number(symtab.offset) + 5 * 24, 0x7fffffff, true)),
    `symbol 5 of .symtab: st_name 0x7fffffff is outside string table .strtab (section ${symtab.link}), which is 0x${strtab.size.toString(16)} bytes`,
    (elf) => elf.symbols('.symtab'),
  );
  // Point symbol 1 at the last string of .strtab and overwrite that string's terminating NUL.
  const strtabEnd = Number(strtab.offset + strtab.size) - 1;
  const raw = readFileSync(bins.static);
  let lastStart = strtabEnd;
  while (raw[lastStart - 1] !== 0) lastStart--;
  const lastIndex = lastStart - Number(strtab.offset);
  rejects(
    patched(bins.static, (b, v) => {
      b[strtabEnd] = 0x41;
      v.setUint32(Number(symtab.offset) + 24, lastIndex, true);
    }),
    `string at offset 0x${lastIndex.toString(16)} of string table .strtab (section ${symtab.link}) is not NUL-terminated (symbol 1 of .symtab: st_name)`,
    (elf) => elf.symbols('.symtab'),
  );
});

function shnumOf(header: Map<string, string>): number {
  return Number(header.get('Number of section headers'));
}

test('malformed: note sizes that overrun their section', { skip }, () => {
  const sections = parseSections(readelf('-SW', bins.static));
  const buildId = sections.find((s) => s.name === '.note.gnu.build-id')!;
  rejects(
    patched(bins.static, (_, v) => v.setUint32(Number(buildId.offset) + 4, 0x1000, true)),
    `note 0 in .note.gnu.build-id at offset 0x${buildId.offset.toString(16)}: n_descsz 0x1000 extends past the end of the note area (0x14 bytes left)`,
    (elf) => elf.notes(),
  );
});

test('malformed: zstd and corrupt zlib sections', { skip }, () => {
  const sections = parseSections(readelf('-SW', bins.zlib));
  const info = sections.find((s) => s.name === '.debug_info')!;
  assert.equal(info.flags.includes('C'), true);
  rejects(
    patched(bins.zlib, (_, v) => v.setUint32(Number(info.offset), C.ELFCOMPRESS_ZSTD, true)),
    `section ${info.index} (.debug_info) is compressed with ELFCOMPRESS_ZSTD: zstd-compressed sections are unsupported (rebuild with -gz=zlib or run objcopy --decompress-debug-sections)`,
    (elf) => elf.sectionData('.debug_info'),
  );
  rejects(
    patched(bins.zlib, (_, v) => v.setUint32(Number(info.offset), 7, true)),
    `section ${info.index} (.debug_info) has unknown compression type ch_type=7 (expected ELFCOMPRESS_ZLIB)`,
    (elf) => elf.sectionData('.debug_info'),
  );
  const corrupt = patched(bins.zlib, (b) => b.fill(0xff, Number(info.offset) + 24, Number(info.offset) + 40));
  assert.throws(() => new ElfFile(corrupt).sectionData('.debug_info'), (e: unknown) => e instanceof ElfFormatError && /\.debug_info\): zlib data is corrupt/.test(e.message));
});
