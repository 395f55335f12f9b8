// Post-mortem sessions over stdio and launch configurations the adapter refuses. A guest fault
// writes a core; opening it with the debugger shows the faulting line, the frames gdb's `bt`
// shows and the locals gdb shows, read-only. A bad configuration ends the session with one
// message that says what to fix.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildTestGuest, COMPILER_MATRIX, testGuestsDir } from './guests/build-guests';
import { DapSession, marks } from './support/dap';
import { needsKvm } from './support/kvm';
import { gdbBacktrace, gdbBatch } from './support/oracles';

const SOURCE = path.join(testGuestsDir(), 'debuggee.c');
const mark = marks(SOURCE);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-dap-postmortem-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface GdbFrame {
  readonly name: string;
  readonly line: number | undefined;
}

/** gdb's `bt` of a core: function and line per frame. */
function gdbFrames(elf: string, core: string): GdbFrame[] {
  return gdbBacktrace(elf, core)
    .map((line) => /^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*?\)(?: at (\S+):(\d+))?$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ name: m[1], line: m[3] ? Number(m[3]) : undefined }));
}

/** gdb's `info args` + `info locals` of frame 0, name → text. */
function gdbLocals(elf: string, core: string): Map<string, string> {
  const out = gdbBatch([elf, core], ['set width 0', 'info args', 'info locals']);
  return new Map([...out.matchAll(/^(\w+) = (.*)$/gm)].map((m) => [m[1], m[2]]));
}

async function launchError(config: Record<string, unknown>): Promise<string> {
  const dap = await new DapSession().start();
  try {
    const terminated = dap.client.waitForEvent('terminated');
    const error = await dap.client.launch({ type: 'microvm', request: 'launch', name: 'bad', ...config } as DebugProtocol.LaunchRequestArguments).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(error, `launch of ${JSON.stringify(config)} was accepted`);
    await terminated;
    return error.message;
  } finally {
    await dap.stop();
  }
}

for (const build of COMPILER_MATRIX) {
  describe(`post-mortem: a core of debuggee.c Crash, ${build.cc} -O${build.optimize}`, { skip: needsKvm }, () => {
    let elf: string;
    let core: string;
    before(async () => {
      elf = buildTestGuest('debuggee', build);
      const dir = fs.mkdtempSync(path.join(scratch, 'crash-'));
      // The live session writes the core when the fault ends the call.
      const dap = await new DapSession().start();
      try {
        const ended = dap.client.waitForEvent('terminated');
        await dap.launch({ program: elf, function: 'Crash', args: [7], crashDumpDir: dir }, () => dap.client.setExceptionBreakpointsRequest({ filters: [] }));
        await ended;
      } finally {
        await dap.stop();
      }
      const cores = fs.readdirSync(dir).filter((f) => f.endsWith('.core'));
      assert.equal(cores.length, 1, `one core in ${dir}`);
      core = path.join(dir, cores[0]);
    });

    test('opens frozen at the fault: the faulting line, gdb\'s frames and gdb\'s locals; nothing runs or changes', async () => {
      const dap = await new DapSession().start();
      try {
        const stop = await dap.stopAfter(() => dap.launch({ program: elf, coreDump: core }));
        assert.equal(stop.reason, 'exception');
        assert.match(stop.text ?? '', new RegExp(`^null pointer dereference: read of address 0x0 in Crash \\(debuggee\\.c:${mark('crash')}\\)$`));
        const frames = await dap.frames();
        assert.equal(frames[0].name, 'Crash');
        assert.equal(frames[0].line, mark('crash'));
        const gdb = gdbFrames(elf, core);
        assert.deepEqual(frames.map((f) => ({ name: f.name.replace(/ \[inlined\]$/, ''), line: f.line || undefined })), gdb);
        const locals = await dap.values();
        assert.deepEqual(locals, gdbLocals(elf, core));
        assert.equal(locals.get('depth'), build.optimize === '0' ? '7' : locals.get('depth'));
        const info = await dap.client.exceptionInfoRequest({ threadId: 1 });
        assert.equal(info.body.exceptionId, '#PF');
        // Every inspection works; execution and writes are refused with the reason.
        assert.ok((await dap.values('Registers')).has('rip'));
        await assert.rejects(dap.client.continueRequest({ threadId: 1 }), /post-mortem session on a core file; nothing can run/);
        await assert.rejects(dap.client.nextRequest({ threadId: 1 }), /post-mortem/);
        await assert.rejects(dap.client.restartRequest({}), /post-mortem session cannot restart/);
        const scope = await dap.scope('Locals');
        const first = (await dap.variables(scope.variablesReference))[0];
        await assert.rejects(dap.client.setVariableRequest({ variablesReference: scope.variablesReference, name: first.name, value: '1' }), /read-only/);
        await assert.rejects(dap.client.customRequest('writeMemory', { memoryReference: '0x200000', data: 'AA==' }), /read-only/);
        await dap.client.disconnectRequest({});
      } finally {
        await dap.stop();
      }
    });

    test('a program that is not the core\'s is refused, not shown with a wrong stack', async () => {
      const other = buildTestGuest('debuggee', { cc: build.cc === 'gcc' ? 'clang' : 'gcc', optimize: build.optimize });
      const message = await launchError({ program: other, coreDump: core });
      assert.match(message, /does not match the program .*differs from what the core holds there/);
    });
  });
}

describe('launch configurations the adapter refuses', { skip: needsKvm }, () => {
  let elf: string;
  before(() => {
    elf = buildTestGuest('debuggee');
  });

  test('each problem is one message naming the field and what to do', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ function: 'Shapes' }, /needs "program"/],
      [{ program: '/nonexistent/guest.elf', function: 'Shapes' }, /"program": program \/nonexistent\/guest\.elf cannot be read/],
      [{ program: SOURCE, function: 'Shapes' }, /"program": program .*debuggee\.c is not an ELF file/],
      [{ program: elf }, /needs "function"/],
      [{ program: elf, function: 'Nope' }, /"function": the guest .* has no function "Nope"; it exports: Accumulate, Shapes/],
      [{ program: elf, function: 'Shapes', args: [] }, /"args": Shapes expects 1 argument, got 0/],
      [{ program: elf, function: 'Shapes', args: ['x'] }, /"args": argument 1 of Shapes: expected i32/],
      [{ program: elf, function: 'Shapes', args: [1], timeoutMs: -5 }, /"timeoutMs" must be a whole number of milliseconds/],
      [{ program: elf, function: 'Shapes', args: [1], memorySize: 1000 }, /"memorySize" must be a multiple of 4096/],
      [{ program: elf, function: 'Shapes', args: 5 }, /"args" must be an array/],
      [{ program: elf, coreDump: '/nonexistent.core' }, /"coreDump": \/nonexistent\.core does not exist/],
      [{ program: elf, coreDump: elf, function: 'Shapes' }, /"function" has no meaning with "coreDump"/],
      [{ program: elf, function: 'Shapes', args: [1], hostFunctions: '/nonexistent.js' }, /"hostFunctions": \/nonexistent\.js does not exist/],
    ];
    for (const [config, expected] of cases) assert.match(await launchError(config), expected, JSON.stringify(config));
  });
});
