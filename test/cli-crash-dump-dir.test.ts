// Crash-dump directories that cannot hold a core file are refused up front, by every front end,
// with one shared check (checkCrashDumpDir). Node's recursive mkdir never returns under /proc, so
// everything that could hang runs in a child process with a timeout: a hang fails the test instead
// of hanging the suite.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LaunchConfigError, parseLaunchConfig } from '../debug-adapter/engine/runtime/launch-config';
import { buildTestGuest } from './guests/build-guests';
import { needsKvm } from './support/kvm';
import { explain, ROOT, runCli, runNode } from './support/child';

const OUT = path.join(ROOT, 'out');

describe('unusable crash-dump directories', () => {
  let faults = '';
  let work = '';
  let file = '';

  before(() => {
    faults = buildTestGuest('faults');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-dump-dir-'));
    file = path.join(work, 'a-file');
    fs.writeFileSync(file, 'not a directory\n');
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('run --crash-dump-dir under /proc is refused at once instead of hanging', () => {
    const run = runCli(['run', faults, 'DerefNull', '--crash-dump-dir', '/proc/nope']);
    assert.equal(run.status, 2, explain(run));
    assert.equal(run.stderr.split('\n')[0],
      'microvm run: --crash-dump-dir "/proc/nope": cannot create /proc/nope: /proc exists but refuses new directories (mkdir: ENOENT; a virtual file system such as /proc or /sys), or use --no-crash-dump');
  });

  test('run --crash-dump-dir naming a file, or a path through one, is refused', () => {
    const direct = runCli(['run', faults, 'DerefNull', '--crash-dump-dir', file]);
    assert.equal(direct.status, 2, explain(direct));
    assert.equal(direct.stderr.split('\n')[0], `microvm run: --crash-dump-dir "${file}": ${file} is a file, not a directory, or use --no-crash-dump`);

    const below = runCli(['run', faults, 'DerefNull', '--crash-dump-dir', path.join(file, 'sub')]);
    assert.equal(below.status, 2, explain(below));
    assert.equal(below.stderr.split('\n')[0], `microvm run: --crash-dump-dir "${file}/sub": cannot create ${file}/sub: ${file} is a file, not a directory, or use --no-crash-dump`);
  });

  test('run --crash-dump-dir "" is refused instead of meaning the working directory', () => {
    for (const args of [['--crash-dump-dir', ''], ['--crash-dump-dir=']]) {
      const run = runCli(['run', faults, 'DerefNull', ...args], { cwd: work });
      assert.equal(run.status, 2, explain(run));
      assert.match(run.stderr, /^microvm run: --crash-dump-dir "": an empty path names no directory; give one, such as \.\/microvm-crashes, or use --no-crash-dump\n/);
      assert.deepEqual(fs.readdirSync(work).filter((f) => f.endsWith('.core')), [], 'no core in the working directory');
    }
  });

  test('a usable directory is only created when a fault writes a core into it', { skip: needsKvm }, () => {
    const nested = path.join(work, 'dumps', 'a', 'b');
    const aborted = runCli(['run', faults, 'Abort', '--crash-dump-dir', nested]);
    assert.equal(aborted.status, 1, explain(aborted));
    assert.equal(fs.existsSync(path.join(work, 'dumps')), false, 'the check leaves no directory behind');

    const faulted = runCli(['run', faults, 'DerefNull', '--crash-dump-dir', nested]);
    assert.equal(faulted.status, 1, explain(faulted));
    assert.equal(fs.readdirSync(nested).filter((f) => f.endsWith('.core')).length, 1, explain(faulted));
  });

  test('the host API: a fault with crashDumpDir under /proc reports the failed dump instead of hanging', { skip: needsKvm }, () => {
    const script = `
      const { Sandbox } = require(${JSON.stringify(path.join(OUT, 'native', 'lib'))});
      const sandbox = Sandbox.create(${JSON.stringify(faults)}, { crashDumpDir: '/proc/nope' });
      try { sandbox.callSync('DerefNull'); } catch (error) { console.log(error.message); } finally { sandbox.dispose(); }`;
    const run = runNode(['-e', script]);
    assert.equal(run.status, 0, explain(run));
    assert.match(run.stdout, /faulted: .*; writing the crash dump failed: crash-dump directory "\/proc\/nope": cannot create \/proc\/nope: \/proc exists but refuses new directories/);
  });

  test('writableDir (the demo and build caches) skips a candidate under /proc instead of hanging', () => {
    const fallback = path.join(work, 'cache');
    const script = `
      const { writableDir } = require(${JSON.stringify(path.join(OUT, 'guest-templates', 'build-cache'))});
      console.log(writableDir(['/proc/nope/cache', ${JSON.stringify(fallback)}]));`;
    const run = runNode(['-e', script]);
    assert.equal(run.status, 0, explain(run));
    assert.equal(run.stdout, `${fallback}\n`);
  });

  test('the debug adapter refuses a crashDumpDir that is a file, naming the field', () => {
    assert.throws(
      () => parseLaunchConfig({ program: faults, function: 'DerefNull', crashDumpDir: file }),
      (error: unknown) => error instanceof LaunchConfigError && error.message === `"crashDumpDir": ${file} is a file, not a directory`,
    );
  });
});
