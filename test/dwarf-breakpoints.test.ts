// addressesForLine against gdb's breakpoint locations: `break file:line` for every line of every
// source file (gdb.Breakpoint(...).locations), with prologue skipping as gdb does it; the line a
// breakpoint lands on when the requested line has no code; inlined copies of a line each get one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { DebugInfo } from '../debug-adapter/engine/dwarf';
import { buildFixture, CORE_BUILDS, EXTRA_BUILDS, fixtureSource } from './fixtures/dwarf/builds';
import { gdbBreakpoints } from './fixtures/dwarf/oracles';
import { hex, requireTools, scratch } from './support/oracles';

requireTools(['gcc', 'clang', 'gdb']);

const FILES = ['numeric.c', 'shapes.c', 'strings.c', 'values.c', 'prog.h', 'linux-main.c'];

// Not the LTO build: there gdb moves breakpoints on main's first lines (code at main's entry, where
// run_all is inlined) to main's last line; the engine keeps main's first instruction.
const builds = [...CORE_BUILDS, ...EXTRA_BUILDS].filter((b) => b.kind === 'linux' && !b.name.includes('lto'));

for (const build of builds) {
  test(`addressesForLine equals gdb's breakpoint locations on every source line: ${build.name}`, (t) => {
    const elf = buildFixture(build);
    const dir = scratch('dwarf-break');
    const specs = FILES.flatMap((file) => {
      const count = fs.readFileSync(fixtureSource(file), 'utf8').split('\n').length;
      return Array.from({ length: count }, (_, i) => `${file}:${i + 1}`);
    });
    const expected = gdbBreakpoints(elf, specs, dir);
    const info = DebugInfo.fromFile(elf);
    const problems: string[] = [];
    let withCode = 0;
    for (const spec of specs) {
      const [file, lineText] = spec.split(':');
      const line = Number(lineText);
      const gdb = expected.get(spec) ?? null;
      const mine = info.addressesForLine(file, line, { skipPrologue: true });
      const plain = info.addressesForLine(file, line);
      const gdbText = gdb ? gdb.map((l) => hex(l.address)).sort().join(',') : 'no code';
      const mineText = mine ? mine.addresses.map(hex).sort().join(',') : 'no code';
      if (gdbText !== mineText) problems.push(`${spec}: gdb ${gdbText}, engine ${mineText}`);
      if (!gdb || !mine || !plain) continue;
      withCode++;
      // Where no prologue was skipped, the line is the requested one or the next one with code.
      const moved = mine.addresses.some((a, i) => a !== plain.addresses[i]);
      if (!moved && mine.line !== gdb[0].line) problems.push(`${spec}: gdb reports line ${gdb[0].line}, engine ${mine.line}`);
    }
    t.diagnostic(`${specs.length} lines, ${withCode} with code`);
    assert.ok(withCode > 100);
    assert.deepEqual(problems, []);
  });
}
