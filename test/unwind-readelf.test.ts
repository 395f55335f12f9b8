// The CFI reader against readelf: `readelf --debug-dump=frames-interp` prints every FDE's unwind
// table (LOC, CFA rule, one column per register). For every FDE of .eh_frame and .debug_frame of
// several binaries (our chain program from gcc and clang, a .debug_frame-only build, a static glibc
// program, libc.so.6, ld.so and a guest), our rows must render to the same text at every address
// where either side starts a row.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { ElfFile } from '../native/lib/elf';
import { CfiModule, SortedFdeIndex, unwindRowAt, unwindRows, type CfiSection, type RegisterRule, type UnwindRow } from '../debug-adapter/engine/unwind';
import { X86_64_REGISTER_NAMES, registerName } from '../debug-adapter/engine/shared/dwarf-registers';
import { buildChain } from './fixtures/unwind/gdb-oracle';
import { runTool, skipWithoutTools } from './support/oracles';
import { buildTestGuest } from './guests/build-guests';

function columnNumber(name: string): number {
  if (name === 'ra') return 16;
  const n = X86_64_REGISTER_NAMES.indexOf(name); // readelf names the columns as the psABI does
  if (n < 0) throw new Error(`unknown readelf column ${name}`);
  return n;
}

const signed = (n: bigint) => (n >= 0n ? `+${n}` : `${n}`);

function renderRule(rule: RegisterRule | undefined): string {
  if (!rule) return 'u';
  switch (rule.kind) {
    case 'undefined': return 'u';
    case 'same-value': return 's';
    case 'offset': return `c${signed(rule.offset)}`;
    case 'val-offset': return `v${signed(rule.offset)}`;
    case 'register': return `r${rule.register} (${registerName(rule.register)})`;
    case 'expression': return 'exp';
    case 'val-expression': return 'vexp';
  }
}

function renderRow(row: UnwindRow, columns: readonly number[]): string {
  const cfa = row.cfa.kind === 'expression' ? 'exp' : `${registerName(row.cfa.register)}${signed(row.cfa.offset)}`;
  return [cfa, ...columns.map((c) => renderRule(row.registers.get(c)))].join(' ');
}

interface ReadelfFde {
  readonly section: string;
  readonly offset: number;
  readonly pcBegin: bigint;
  readonly pcEnd: bigint;
  readonly columns: number[];
  readonly rows: { loc: bigint; text: string }[];
}

function readelfFdes(file: string): ReadelfFde[] {
  // readelf exits 1 on some system libraries (their separate debug files are not installed) while
  // printing the tables in full; the output is what counts.
  const run = runTool('readelf', ['--debug-dump=frames-interp', file]);
  const text = run.stdout;
  assert.ok(text.includes('Contents of the'), `readelf printed frames for ${file}: ${run.stderr}`);
  const fdes: ReadelfFde[] = [];
  let section = '';
  let current: ReadelfFde | undefined;
  for (const line of text.split('\n')) {
    const s = /^Contents of the (\.\w+) section\b/.exec(line);
    if (s) {
      section = s[1];
      current = undefined;
      continue;
    }
    const f = /^([0-9a-f]+) [0-9a-f]+ [0-9a-f]+ FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(line);
    if (f) {
      current = { section, offset: parseInt(f[1], 16), pcBegin: BigInt(`0x${f[2]}`), pcEnd: BigInt(`0x${f[3]}`), columns: [], rows: [] };
      fdes.push(current);
      continue;
    }
    if (/ CIE /.test(line)) {
      current = undefined;
      continue;
    }
    if (!current) continue;
    const header = /^\s+LOC\s+CFA\s*(.*)$/.exec(line);
    if (header) {
      current.columns.push(...header[1].trim().split(/\s+/).filter(Boolean).map(columnNumber));
      continue;
    }
    const row = /^([0-9a-f]{16}) (.*)$/.exec(line);
    if (row) current.rows.push({ loc: BigInt(`0x${row[1]}`), text: row[2].trim().split(/\s+/).join(' ') });
  }
  return fdes;
}

function sectionOf(module: CfiModule, name: string): CfiSection {
  const section = module.cfiSections.find((s) => `.${s.kind}` === name);
  assert.ok(section, `${name} found`);
  return section;
}

function compareWithReadelf(file: string): { fdes: number; rows: number } {
  const module = new CfiModule(ElfFile.fromFile(file), { ignoreEhFrameHdr: true });
  const expected = readelfFdes(file);
  assert.ok(expected.length > 0, `readelf lists FDEs of ${file}`);
  let rows = 0;
  for (const want of expected) {
    const section = sectionOf(module, want.section);
    const fde = section.fdeAt(want.offset);
    const where = `${file} ${want.section} FDE at 0x${want.offset.toString(16)}`;
    assert.equal(fde.pcBegin, want.pcBegin, `${where} pc_begin`);
    assert.equal(fde.pcEnd, want.pcEnd, `${where} pc_end`);
    const ours = unwindRows(fde, section.bases);
    if (want.rows.length === 0) continue; // readelf prints no table for an FDE without instructions
    // Every row readelf starts must be what we have in effect at its LOC, and vice versa.
    for (const { loc, text } of want.rows) {
      if (loc >= fde.pcEnd) continue;
      const row = unwindRowAt(fde, loc, section.bases);
      assert.ok(row, `${where}: a row at 0x${loc.toString(16)}`);
      assert.equal(renderRow(row, want.columns), text, `${where} at 0x${loc.toString(16)}`);
      rows++;
    }
    for (const row of ours) {
      const theirs = [...want.rows].reverse().find((r) => r.loc <= row.start);
      assert.ok(theirs, `${where}: readelf has a row at or before 0x${row.start.toString(16)}`);
      assert.equal(renderRow(row, want.columns), theirs.text, `${where}: our row at 0x${row.start.toString(16)}`);
    }
  }
  return { fdes: expected.length, rows };
}

const NO_EH = ['-fno-asynchronous-unwind-tables', '-fno-unwind-tables'];
const SYSTEM = ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'].filter((f) => fs.existsSync(f));

describe('CFI tables equal readelf --debug-dump=frames-interp', { skip: skipWithoutTools(['readelf', 'gcc', 'clang']) }, () => {
  const programs: [string, () => string][] = [
    ['chain, gcc -O2 -g', () => buildChain({ cc: 'gcc', flags: ['-O2', '-g'] })],
    ['chain, clang -O2 -g', () => buildChain({ cc: 'clang', flags: ['-O2', '-g'] })],
    ['chain, gcc -O0 -g, .debug_frame only', () => buildChain({ cc: 'gcc', flags: ['-O0', '-g', ...NO_EH] })],
    ['chain, clang -O0 -g, .debug_frame only', () => buildChain({ cc: 'clang', flags: ['-O0', '-g', ...NO_EH] })],
    ['chain, gcc -O2 -g -static (glibc hand-written assembly too)', () => buildChain({ cc: 'gcc', flags: ['-O2', '-g', '-static'] })],
    ['faults guest, gcc -O2', () => buildTestGuest('faults', { cc: 'gcc', optimize: '2' })],
    ['faults guest, clang -O0', () => buildTestGuest('faults', { cc: 'clang', optimize: '0' })],
    ...SYSTEM.map((file): [string, () => string] => [file, () => file]),
  ];
  for (const [name, build] of programs) {
    test(name, () => {
      const { fdes, rows } = compareWithReadelf(build());
      assert.ok(fdes > 0 && rows > 0);
    });
  }

  test('.eh_frame_hdr finds the same FDE as a scan for every FDE of libc.so.6', { skip: SYSTEM.length ? false : 'no libc.so.6' }, () => {
    const elf = ElfFile.fromFile(SYSTEM[0]);
    const withHdr = new CfiModule(elf);
    assert.ok(withHdr.ehFrameHdr?.searchable);
    const eh = sectionOf(withHdr, '.eh_frame');
    const all = new SortedFdeIndex(eh).all();
    assert.equal(all.length, withHdr.ehFrameHdr.header.fdeCount);
    for (const fde of all) {
      for (const pc of [fde.pcBegin, fde.pcEnd - 1n, (fde.pcBegin + fde.pcEnd) / 2n]) {
        assert.equal(withHdr.ehFrameHdr.find(pc)?.offset, fde.offset, `pc 0x${pc.toString(16)}`);
      }
    }
  });
});
