// `microvm run` reads the guest ELF once: the bytes it read for the function table are the ones
// the sandbox loads (Sandbox.create({ path, bytes })), and a fault's symbols come from them too.
// Counted in-process with spies on fs.readFileSync and fs.openSync, through which every ELF read goes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../bin/cli/main';
import type { Io } from '../bin/cli/io';
import { readMicroVmNote } from '../native/lib/coredump';
import { buildTestGuest } from './guests/build-guests';
import { needsKvm } from './support/kvm';

/**
 * Runs `microvm <args>` in this process and counts its reads of `file`: whole-file reads by path
 * (fs.readFileSync) and opens of it (fs.openSync, as readInputFile reads a user's file).
 */
async function runCountingReads(args: readonly string[], file: string, cwd: string): Promise<{ code: number; out: string; err: string; reads: number }> {
  const originalRead = fs.readFileSync;
  const originalOpen = fs.openSync;
  let reads = 0;
  const count = (target: unknown) => {
    if (typeof target === 'string' && path.resolve(cwd, target) === file) reads++;
  };
  const readSpy = (target: fs.PathOrFileDescriptor, options?: unknown): string | Buffer => {
    count(target);
    return (originalRead as (target: fs.PathOrFileDescriptor, options?: unknown) => string | Buffer)(target, options);
  };
  const openSpy = (target: fs.PathLike, flags: fs.OpenMode = 'r', mode?: fs.Mode): number => {
    count(target);
    return originalOpen(target, flags, mode);
  };
  let out = '';
  let err = '';
  const io: Io = { out: (text) => void (out += text), err: (text) => void (err += text), cwd };
  fs.readFileSync = readSpy as typeof fs.readFileSync;
  fs.openSync = openSpy as typeof fs.openSync;
  try {
    const code = await main(args, io);
    return { code, out, err, reads };
  } finally {
    fs.readFileSync = originalRead;
    fs.openSync = originalOpen;
  }
}

describe('microvm run reads the guest ELF once', { skip: needsKvm }, () => {
  let work = '';

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-run-reads-'));
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('a call that returns', async () => {
    const elf = buildTestGuest('types');
    const run = await runCountingReads(['run', elf, 'EchoI32', '5', '--no-crash-dump'], elf, work);
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, '=> 5\n');
    assert.equal(run.reads, 1, 'the ELF is read once');
  });

  test('a call that faults: its core is still named after the guest and records its path', async () => {
    const elf = buildTestGuest('faults');
    const dumps = path.join(work, 'dumps');
    const run = await runCountingReads(['run', elf, 'DerefNull', '--crash-dump-dir', dumps], elf, work);
    assert.equal(run.code, 1, run.err);
    assert.match(run.err, /null pointer dereference: read of address 0x0 at RIP 0x[0-9a-f]+ in DerefNull/);
    assert.equal(run.reads, 1, 'the fault\'s symbols come from the bytes already read');
    const [core] = fs.readdirSync(dumps);
    assert.ok(core.startsWith(`${path.basename(elf)}.DerefNull.`), core);
    assert.equal(readMicroVmNote(fs.readFileSync(path.join(dumps, core)))?.program, elf);
  });
});
