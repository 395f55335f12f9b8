// `microvm core`: the backtrace of a guest crash dump equals gdb's `bt` on the same core file.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { formatBacktrace, summarizeCore } from '../debug-adapter/engine/postmortem';
import { ElfFile } from '../native/lib/elf';
import { MicroVmError, Sandbox } from '../native/lib';
import { buildTestGuest } from './guests/build-guests';
import { needsKvm, toolEnv } from './support/kvm';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-core-test-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function crashDump(elf: string, fn: string): string {
  const sandbox = Sandbox.create(elf, { crashDumpDir: scratch });
  try {
    sandbox.callSync(fn);
  } catch (error) {
    assert.ok(error instanceof MicroVmError && error.crashDumpPath, String(error));
    return error.crashDumpPath;
  } finally {
    sandbox.dispose();
  }
  assert.fail(`${fn} did not fault`);
}

/** gdb's `bt` lines, frame #0 once (gdb also prints it when it loads the core). */
function gdbBacktrace(elf: string, core: string): string[] {
  const text = execFileSync('gdb', ['-batch', '-nx', '-ex', 'bt', elf, core], { encoding: 'utf8', env: toolEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const frames = new Map<number, string>();
  for (const line of text.split('\n')) {
    const match = /^#(\d+)\s/.exec(line);
    if (match) frames.set(Number(match[1]), line);
  }
  return [...frames.keys()].sort((a, b) => a - b).map((n) => frames.get(n)!);
}

const functionAndLine = (line: string) => {
  const match = /^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*\)(?: at (\S+:\d+))?$/.exec(line);
  return match ? `${match[1]} ${match[2] ?? ''}` : line;
};

describe('microvm core', { skip: needsKvm }, () => {
  const builds = [
    { cc: 'gcc', optimize: '0' },
    { cc: 'gcc', optimize: '2' },
    { cc: 'clang', optimize: '0' },
    { cc: 'clang', optimize: '2' },
  ] as const;
  for (const build of builds) {
    test(`a fault three calls deep: same frames, functions and lines as gdb (${build.cc} -O${build.optimize})`, () => {
      const elf = buildTestGuest('faults', { cc: build.cc, optimize: build.optimize });
      const core = crashDump(elf, 'Nested3');
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
    const core = crashDump(elf, 'DerefNull');
    const cli = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'microvm.js'), 'core', elf, core], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /^guest function DerefNull faulted: null pointer dereference: read of address 0x0 at RIP 0x[0-9a-f]+ in DerefNull\n/);
    assert.match(cli.stdout, /\nRegisters:\nrax {12}0x/);
    assert.match(cli.stdout, /\nrip {12}0x[0-9a-f]+/);
    assert.match(cli.stdout, /\nBacktrace:\n#0 {2}0x[0-9a-f]{16} in DerefNull \(\) at .*faults\.c:\d+\n#1 /);
    const bad = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'microvm.js'), 'core', elf, path.join(scratch, 'missing.core')], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /cannot read core file .*missing\.core/);
  });
});
