// `microvm core`: the backtrace of a guest crash dump equals gdb's `bt` on the same core file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { formatBacktrace, summarizeCore } from '../debug-adapter/engine/postmortem';
import { readCoreStatus } from '../native/lib/coredump';
import { encodeNoteJson } from '../native/lib/coredump/microvm-note';
import { ElfFile } from '../native/lib/elf';
import { buildTestGuest, COMPILER_MATRIX } from './guests/build-guests';
import { crashDump, needsKvm } from './support/kvm';
import { gdbBacktrace } from './support/oracles';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-core-test-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const CLI = path.join(__dirname, '..', '..', 'bin', 'microvm.js');

function cli(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The backtrace lines of `microvm core`'s text. */
function backtraceLines(stdout: string): string[] {
  return stdout.slice(stdout.indexOf('\nBacktrace:\n') + '\nBacktrace:\n'.length).split('\n').filter((line) => line.startsWith('#'));
}

const functionAndLine = (line: string) => {
  const match = /^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*\)(?: at (\S+:\d+))?$/.exec(line);
  return match ? `${match[1]} ${match[2] ?? ''}` : line;
};

describe('microvm core', { skip: needsKvm }, () => {
  for (const build of COMPILER_MATRIX) {
    test(`a fault three calls deep: same frames, functions and lines as gdb (${build.cc} -O${build.optimize})`, () => {
      const elf = buildTestGuest('faults', { cc: build.cc, optimize: build.optimize });
      const core = crashDump(elf, scratch, 'Nested3');
      const summary = summarizeCore(new ElfFile(fs.readFileSync(elf)), new ElfFile(fs.readFileSync(core)));
      const ours = formatBacktrace(summary.backtrace).split('\n');
      const gdb = gdbBacktrace(elf, core);
      assert.deepEqual(ours.map(functionAndLine), gdb.map(functionAndLine));
      if (build.optimize === '0') assert.deepEqual(ours, gdb, 'at -O0 every line, arguments included, is what gdb prints');
      assert.match(summary.description ?? '', /^null pointer dereference: read of address 0x0 at RIP 0x[0-9a-f]+ in Level3$/);
    });
  }

  test('the CLI prints the fault, the registers and the backtrace', () => {
    const elf = buildTestGuest('faults');
    const core = crashDump(elf, scratch, 'DerefNull');
    const cli = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'microvm.js'), 'core', elf, core], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /^guest function DerefNull faulted: null pointer dereference: read of address 0x0 at RIP 0x[0-9a-f]+ in DerefNull\n/);
    assert.match(cli.stdout, /\nRegisters:\nrax {12}0x/);
    assert.match(cli.stdout, /\nrip {12}0x[0-9a-f]+/);
    assert.match(cli.stdout, /\nBacktrace:\n#0 {2}0x[0-9a-f]{16} in DerefNull \(\) at .*faults\.c:\d+\n#1 /);
    const bad = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'microvm.js'), 'core', elf, path.join(scratch, 'missing.core')], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /core file .*missing\.core cannot be read: ENOENT/);
  });

  test('a deep backtrace: the innermost 64 frames and how many more; --all-frames prints every one, as gdb does', () => {
    const elf = buildTestGuest('faults');
    const core = crashDump(elf, scratch, 'StackOverflow');
    const gdb = gdbBacktrace(elf, core);
    assert.ok(gdb.length > 100, `a deep recursion: gdb shows ${gdb.length} frames`);

    const cut = cli(['core', elf, core]);
    assert.equal(cut.status, 0, cut.stderr);
    assert.deepEqual(backtraceLines(cut.stdout), gdb.slice(0, 64));
    assert.ok(cut.stdout.endsWith(`\n(${gdb.length - 64} more frames not shown: the innermost 64 of ${gdb.length}; --all-frames prints every one)\n`), cut.stdout.slice(-300));

    const all = cli(['core', elf, core, '--all-frames']);
    assert.equal(all.status, 0, all.stderr);
    assert.deepEqual(backtraceLines(all.stdout), gdb);
    assert.doesNotMatch(all.stdout, /more frames not shown/);

    const json = JSON.parse(cli(['core', elf, core, '--json']).stdout) as { backtrace: { frames: unknown[]; omittedFrames: number } };
    assert.equal(json.backtrace.frames.length, 64);
    assert.equal(json.backtrace.omittedFrames, gdb.length - 64);
    const allJson = JSON.parse(cli(['core', elf, core, '--json', '--all-frames']).stdout) as typeof json;
    assert.equal(allJson.backtrace.frames.length, gdb.length);
    assert.equal(allJson.backtrace.omittedFrames, 0);

    assert.match(cli(['core', '--help']).stdout, /--all-frames +print every frame of the backtrace \(by default the innermost 64, then how many more there are\)/);
  });

  test('a core opened with an ELF that did not write it is refused (gdb: "core file may not match")', () => {
    const faults = buildTestGuest('faults');
    const core = crashDump(faults, scratch, 'DerefNull');
    const other = buildTestGuest('types');
    const refused = cli(['core', other, core]);
    assert.equal(refused.status, 1, refused.stdout);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /^microvm core: the core file \S+ does not match the program \S+types\S*\.elf: the program's code at 0x[0-9a-f]+ differs from what the core holds there\. .* \(--ignore-mismatch shows it anyway\)\n$/);

    const forced = cli(['core', other, core, '--ignore-mismatch']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stderr, /^microvm core: warning: the core file \S+ does not match the program /);
    assert.match(forced.stdout, /\nBacktrace:\n#0 /);

    const matching = cli(['core', faults, core]);
    assert.equal(matching.status, 0, matching.stderr);
    assert.equal(matching.stderr, '');
  });

  test('core --json writes bigints and bytes as the crash-dump note does ({"$bytes": hex}), not as Buffer objects', () => {
    const elf = buildTestGuest('faults');
    const core = crashDump(elf, scratch, 'DerefNull');
    const run = cli(['core', elf, core, '--json']);
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /"type": "Buffer"/);
    const parsed = JSON.parse(run.stdout) as { registers: { rip: string; fpu: { st: unknown[]; xmm: unknown[] } } };
    assert.match(parsed.registers.rip, /^0x[0-9a-f]+$/);
    assert.equal(parsed.registers.fpu.st.length, 8);
    for (const st of parsed.registers.fpu.st) assert.match((st as { $bytes: string }).$bytes, /^[0-9a-f]{20}$/);
    for (const xmm of parsed.registers.fpu.xmm) assert.match((xmm as { $bytes: string }).$bytes, /^[0-9a-f]{32}$/);
    // One encoder: the registers are exactly what the note's encoder makes of them.
    assert.deepEqual(parsed.registers, JSON.parse(encodeNoteJson(readCoreStatus(fs.readFileSync(core)).registers)));
  });
});
