// `microvm addr2line` against binutils `addr2line`: the exact text for EVERY instruction address
// of .text (instruction boundaries from objdump -d) of the DWARF test program built by gcc and
// clang at -O0/-O2 as Linux executables and as guests, plus DWARF 4, compressed, non-PIE and
// -ffunction-sections builds, stripped variants, -i/-a/-p/-s and addresses outside any section.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { main } from '../bin/cli/main';
import type { Io } from '../bin/cli/io';
import { ElfFile } from '../native/lib/elf';
import { DwarfFile, loadDebugSections } from '../debug-adapter/engine/dwarf';
import { CORE_BUILDS, EXTRA_BUILDS, fixturesBuiltBefore } from './fixtures/dwarf/builds';
import { binutilsAddr2line, instructionAddresses } from './fixtures/dwarf/oracles';
import { hex, requireTools, run, scratch } from './support/oracles';

requireTools(['gcc', 'clang', 'addr2line', 'objdump', 'objcopy', 'strip']);
const builds = [...CORE_BUILDS, ...EXTRA_BUILDS];
const paths = fixturesBuiltBefore(builds);
const work = scratch('addr2line');

async function microvm(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), cwd: process.cwd() };
  const code = await main(args, io);
  return { code, out, err };
}

/** Compares address by address so a failure names the first differing address. */
function assertSameOutput(actual: string, expected: string, addresses: readonly bigint[], linesPerAddress: number | undefined, what: string): void {
  if (actual === expected) return;
  if (linesPerAddress !== undefined) {
    const a = actual.split('\n');
    const e = expected.split('\n');
    for (let i = 0; i < addresses.length; i++) {
      const slice = (lines: string[]): string => lines.slice(i * linesPerAddress, (i + 1) * linesPerAddress).join('\n');
      assert.equal(slice(a), slice(e), `${what}: first difference at ${hex(addresses[i])}`);
    }
  }
  assert.equal(actual, expected, what);
}

async function compareAll(elf: string, addresses: readonly bigint[], flags: readonly string[], what: string): Promise<void> {
  const expected = binutilsAddr2line(elf, ['-f', ...flags], addresses);
  const result = await microvm(['addr2line', ...flags, elf, ...addresses.map(hex)]);
  assert.equal(result.code, 0, result.err);
  assertSameOutput(result.out, expected, addresses, flags.length === 0 ? 2 : undefined, what);
}

for (const build of builds) {
  test(`addr2line -f on every .text instruction equals binutils: ${build.name}`, async () => {
    const elf = paths.get(build.name) as string;
    const addresses = instructionAddresses(elf);
    assert.ok(addresses.length > 200, `${addresses.length} instructions`);
    await compareAll(elf, addresses, [], build.name);
  });

  test(`addr2line -f -i on every .text instruction equals binutils: ${build.name}`, async () => {
    const elf = paths.get(build.name) as string;
    await compareAll(elf, instructionAddresses(elf), ['-i'], `${build.name} -i`);
  });
}

test('every executable section, every symbol address (data too), section ends and addresses in no section', async () => {
  for (const build of CORE_BUILDS) {
    const elf = paths.get(build.name) as string;
    const sections = run('objdump', ['-h', '-w', elf])
      .split('\n')
      .map((l) => /^\s*\d+\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s.*\b(CODE|DATA)\b/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null);
    const addresses: bigint[] = [0n, 1n, 0xffffffffffffffffn, 0x7fffffffffffn];
    for (const [, name, size, vma, kind] of sections) {
      const start = BigInt(`0x${vma}`);
      const end = start + BigInt(`0x${size}`);
      addresses.push(start, end - 1n, end);
      if (kind === 'CODE') addresses.push(...instructionAddresses(elf, name));
    }
    for (const line of run('nm', ['-n', elf]).split('\n')) {
      const m = /^([0-9a-f]{16}) /.exec(line);
      if (m) addresses.push(BigInt(`0x${m[1]}`), BigInt(`0x${m[1]}`) + 1n);
    }
    await compareAll(elf, addresses, [], `${build.name} (all sections and symbols)`);
  }
});

test('-a, -p and -s print like binutils, and shuffled order gives the same answers', async () => {
  for (const build of CORE_BUILDS) {
    const elf = paths.get(build.name) as string;
    const all = instructionAddresses(elf);
    const sample = all.filter((_, i) => i % 7 === 0);
    await compareAll(elf, sample, ['-a', '-p', '-s', '-i'], `${build.name} -a -p -s -i`);
    await compareAll(elf, sample, ['-a'], `${build.name} -a`);
    // binutils keeps caches across addresses; a different order must still agree.
    const shuffled = [...all].sort((a, b) => Number(((a * 2654435761n) % 1000003n) - ((b * 2654435761n) % 1000003n)));
    await compareAll(elf, shuffled, ['-i'], `${build.name} shuffled`);
  }
});

test('symbol+offset arguments and decimal-looking input are read as addr2line reads them', async () => {
  const elf = paths.get('linux-gcc-O0') as string;
  const args = ['main', 'factorial+4', 'fibonacci+0x10', 'global_shapes', 'no_such_symbol', '1139', 'deadbeef', 'run_all + 3'];
  const expected = run('addr2line', ['-f', '-e', elf, ...args]);
  const result = await microvm(['addr2line', elf, ...args]);
  assert.equal(result.out, expected);
});

test('stripped files: no DWARF (symbols only) and no .symtab (dynamic symbols only)', async () => {
  for (const name of ['linux-gcc-O2', 'linux-clang-O0', 'guest-gcc-O0']) {
    const elf = paths.get(name) as string;
    const noDebug = path.join(work, `${name}.nodebug`);
    run('objcopy', ['--strip-debug', elf, noDebug]);
    await compareAll(noDebug, instructionAddresses(noDebug), [], `${name} --strip-debug`);
    if (name.startsWith('linux')) {
      const stripped = path.join(work, `${name}.stripped`);
      run('strip', ['-o', stripped, elf]);
      await compareAll(stripped, instructionAddresses(stripped), [], `${name} stripped`);
    }
  }
});

test('usage errors and unreadable files', async () => {
  const noAddress = await microvm(['addr2line', paths.get('linux-gcc-O0') as string]);
  assert.equal(noAddress.code, 2);
  assert.match(noAddress.err, /missing <address>/);
  const missingFile = await microvm(['addr2line', path.join(work, 'nope.elf'), '0x10']);
  assert.equal(missingFile.code, 1);
  assert.match(missingFile.err, /no such file/);
  const notElf = path.join(work, 'not-an-elf');
  fs.writeFileSync(notElf, 'hello');
  const bad = await microvm(['addr2line', notElf, '0x10']);
  assert.equal(bad.code, 1);
});

test('a unit whose DIEs do not parse fails alone, as in binutils', async () => {
  const elf = paths.get('linux-gcc-O0') as string;
  const bytes = Uint8Array.from(fs.readFileSync(elf));
  const file = new ElfFile(bytes);
  const info = file.section('.debug_info');
  assert.ok(info);
  const victim = new DwarfFile(loadDebugSections(file)).units.find((u) => u.name?.endsWith('numeric.c'));
  const child = victim?.root?.children[0];
  assert.ok(child);
  bytes[Number(info.offset) + child.offset] = 0x7e; // an abbreviation code no table defines
  const broken = path.join(work, 'broken.elf');
  fs.writeFileSync(broken, bytes);
  await compareAll(broken, instructionAddresses(broken), ['-i'], 'broken unit');
});
