// A FIFO, a device or a directory named where a guest ELF, a core file or a host-functions module
// belongs is refused with its kind in words, by every front end (readInputFile/checkInputFile).
// Reading a FIFO blocks until a writer comes and /dev/zero never ends, so each case runs in a child
// process with a timeout: a hang fails the test instead of hanging the suite. Found by the launch
// fuzz target (npm run fuzz -- --target launch), which named a FIFO as "program".
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildTestGuest } from './guests/build-guests';
import { scratch } from './support/oracles';
import { explain, ROOT, runCli, runNode, type ChildRun } from './support/child';

const OUT = path.join(ROOT, 'out');

/** Runs `body` (JS, with `out` the compiled tree) in a child; its stdout is the thrown error's message. */
function inChild(body: string): ChildRun {
  const script = `const out = ${JSON.stringify(OUT)};\ntry { ${body}; console.log('no error'); } catch (e) { console.log(e.message); }`;
  return runNode(['-e', script]);
}

describe('input files that are not regular files', () => {
  let dir = '';
  let fifo = '';
  let elf = '';

  before(() => {
    dir = scratch('microvm-input-files-');
    fifo = path.join(dir, 'guest.fifo');
    execFileSync('mkfifo', [fifo]);
    elf = buildTestGuest('faults');
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('Sandbox.create and inspectGuest refuse a FIFO, /dev/zero and a directory by kind', () => {
    for (const [file, kind] of [[fifo, 'a FIFO (named pipe)'], ['/dev/zero', 'a character device'], [dir, 'a directory']]) {
      for (const call of ['Sandbox.create', 'inspectGuest']) {
        const run = inChild(`require(out + '/native/lib')${call === 'inspectGuest' ? '.inspectGuest' : '.Sandbox.create'}(${JSON.stringify(file)})`);
        assert.equal(run.stdout.trim(), `guest ${file} is ${kind}, not a regular file`, `${call}(${file}): ${explain(run)}`);
      }
    }
  });

  test('a launch configuration naming a FIFO as program, coreDump or hostFunctions is refused by field', () => {
    const parse = (config: object) => inChild(`require(out + '/debug-adapter/engine/runtime/launch-config').parseLaunchConfig(${JSON.stringify(config)})`);
    const cases: [object, string][] = [
      [{ program: fifo, function: 'DerefNull' }, `"program": program ${fifo} is a FIFO (named pipe), not a regular file`],
      [{ program: elf, coreDump: fifo }, `"coreDump": ${fifo} is a FIFO (named pipe), not a regular file`],
      [{ program: elf, function: 'DerefNull', hostFunctions: fifo }, `"hostFunctions": ${fifo} is a FIFO (named pipe), not a regular file`],
      [{ program: elf, function: 'DerefNull', hostFunctions: dir }, `"hostFunctions": ${dir} is a directory, not a regular file`],
    ];
    for (const [config, message] of cases) {
      const run = parse(config);
      assert.equal(run.stdout.trim(), message, explain(run));
    }
  });

  test('the CLI refuses a FIFO as guest ELF or core file, and /dev/zero as guest', () => {
    const cases: [string[], string][] = [
      [['run', fifo, 'DerefNull'], `microvm run: guest ELF ${fifo} is a FIFO (named pipe), not a regular file`],
      [['run', '/dev/zero', 'DerefNull'], 'microvm run: guest ELF /dev/zero is a character device, not a regular file'],
      [['core', elf, fifo], `microvm core: core file ${fifo} is a FIFO (named pipe), not a regular file`],
      [['disasm', fifo], `microvm disasm: ELF file ${fifo} is a FIFO (named pipe), not a regular file`],
    ];
    for (const [args, message] of cases) {
      const run = runCli(args);
      assert.equal(run.signal, null, explain(run));
      assert.notEqual(run.status, 0, explain(run));
      assert.equal(run.stderr.split('\n')[0], message, explain(run));
    }
  });
});
