// The crash-dump viewer's page for a real core: the fault in words, a Debug button, the backtrace
// with each frame linking to its source line (the faulting line first), the registers; a core
// opened with another program says so instead of showing a wrong stack.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Sandbox } from '../native/lib';
import { readCrashDump } from '../extension/crash-dump-file';
import { coreViewerHtml, coreViewModel } from '../extension/core-viewer-html';
import { buildTestGuest, testGuestsDir } from './guests/build-guests';
import { marks } from './support/dap';
import { needsKvm } from './support/kvm';

const SOURCE = path.join(testGuestsDir(), 'debuggee.c');
const mark = marks(SOURCE);

describe('the crash-dump viewer', { skip: needsKvm }, () => {
  let dir: string;
  let elf: string;
  let core: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-core-viewer-'));
    elf = buildTestGuest('debuggee');
    const sandbox = Sandbox.create(elf, { crashDumpDir: dir });
    try {
      await assert.rejects(sandbox.call('Crash', 3), { code: 'GUEST_FAULT' });
    } finally {
      sandbox.dispose();
    }
    core = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.core'))!);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the list entry: the function, the fault in words, the guest ELF the core names', () => {
    const dump = readCrashDump(core);
    assert.equal(dump.functionName, 'Crash');
    assert.match(dump.description, /^null pointer dereference: read of address 0x0 at RIP 0x[0-9a-f]+ in Crash$/);
    assert.equal(dump.program, elf);
  });

  test('the page: fault, Debug button, frames linking to their lines, registers', () => {
    const view = coreViewModel(readCrashDump(core), elf);
    assert.equal(view.problem, undefined);
    const html = coreViewerHtml(view, 'nonce');
    assert.match(html, /<p class="fault" id="fault">null pointer dereference: read of address 0x0/);
    assert.match(html, /<button id="debug">Debug<\/button>/);
    const links = [...html.matchAll(/<a href="#" data-file="([^"]+)" data-line="(\d+)">/g)].map((m) => [m[1], Number(m[2])]);
    assert.deepEqual(links[0], [SOURCE, mark('crash')], 'the first frame links to the faulting line');
    assert.match(html, /<pre id="registers">rax\s+0x/);
    assert.match(html, /script-src 'nonce-nonce'/);
  });

  test('another program than the core\'s: the mismatch in words, no backtrace', () => {
    const other = buildTestGuest('debuggee', { cc: 'clang' });
    const view = coreViewModel(readCrashDump(core), other);
    assert.match(view.problem ?? '', /does not match the program/);
    assert.doesNotMatch(coreViewerHtml(view, 'n'), /id="backtrace"/);
    assert.match(coreViewerHtml(coreViewModel(readCrashDump(core), undefined), 'n'), /the guest ELF that wrote this core was not found/);
  });
});
