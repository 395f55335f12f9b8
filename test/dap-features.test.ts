// More of the debug adapter over stdio: breakpoints on lines without code, instruction breakpoints,
// data breakpoints on locals and addresses, inlined frames, JS host functions and breakpoints on
// them, writing variables, registers and memory, and guests that go wrong in ways meant to break
// debuggers (a smashed stack, malformed host-call records). The adapter must answer every request
// and never crash.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { checkKvm } from '../native/lib';
import { repoRoot } from '../guest-templates/toolchain';
import { buildTestGuest, testGuestsDir } from './guests/build-guests';
import { DapSession, freshSessions, marks } from './support/dap';
import { needsKvm } from './support/kvm';

const SOURCE = path.join(testGuestsDir(), 'debuggee.c');
const TYPES = path.join(testGuestsDir(), 'types.c');
const HOST_FUNCTIONS = path.join(repoRoot(), 'test', 'fixtures', 'host-functions', 'host-add.js');
const mark = marks(SOURCE);

// DebugClient 1.68 has no helper for this request.
async function setInstructionBreakpoints(dap: DapSession, breakpoints: DebugProtocol.InstructionBreakpoint[]) {
  return ((await dap.client.customRequest('setInstructionBreakpoints', { breakpoints })) as DebugProtocol.SetInstructionBreakpointsResponse).body;
}

for (const build of [{ cc: 'gcc', optimize: '0' }, { cc: 'clang', optimize: '2' }] as const) {
  const optimized = build.optimize !== '0';
  describe(`debug adapter features: ${build.cc} -O${build.optimize}`, { skip: needsKvm }, () => {
    let elf: string;
    before(() => {
      elf = buildTestGuest('debuggee', build);
    });
    const session = freshSessions();

    test('a breakpoint on a line without code moves to the next line with code and says so; an instruction breakpoint stops at its address', async () => {
      const dap = await session();
      const comment = mark('add_point body') - 2; // the blank line before add_point
      let instruction = '';
      const stop = await dap.stopAfter(() => dap.launch({ program: elf, function: 'Shapes', args: [1] }, async () => {
        const set = await dap.client.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: comment }] });
        const bp = set.body.breakpoints[0];
        assert.equal(bp.verified, true);
        assert.equal(bp.line, mark('add_point body'));
        assert.match(bp.message ?? '', new RegExp(`moved from line ${comment} to line ${mark('add_point body')}`));
        instruction = bp.instructionReference!;
      }));
      assert.equal(stop.reason, 'breakpoint');
      // The same address as an instruction breakpoint, on a second run.
      await dap.client.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [] });
      const set = await setInstructionBreakpoints(dap, [{ instructionReference: instruction }]);
      assert.equal(set.breakpoints[0].verified, true);
      const again = await dap.stopAfter(() => dap.client.restartRequest({}));
      assert.equal(again.reason, 'instruction breakpoint');
      assert.equal((await dap.top()).instructionPointerReference, instruction);
      const bad = await setInstructionBreakpoints(dap, [{ instructionReference: '0x10' }]);
      assert.equal(bad.breakpoints[0].verified, false);
      assert.match(bad.breakpoints[0].message ?? '', /0x10 is not inside the guest's code/);
      const nowhere = await dap.client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'NoSuchFunction' }, { name: 'Shapes', hitCondition: 'often' }] });
      assert.match(nowhere.body.breakpoints[0].message ?? '', /no function "NoSuchFunction" .* and no host function of that name \(host functions: HostPrint\)/);
      assert.match(nowhere.body.breakpoints[1].message ?? '', /hit condition "often" is not understood/);
      await dap.client.disconnectRequest({});
    });

    test('an inlined call is a frame of its own, inside its caller', async () => {
      const dap = await session();
      await dap.stopAfter(() => dap.launch({ program: elf, function: 'Shapes', args: [2] }, () =>
        dap.client.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: mark('inlined') }] })));
      const frames = await dap.frames();
      assert.equal(frames[0].name, 'square [inlined]');
      assert.equal(frames[0].line, mark('inlined'));
      assert.equal(frames[1].name, 'Shapes');
      assert.equal(frames[1].line, mark('call square'));
      assert.equal(frames[0].instructionPointerReference, frames[1].instructionPointerReference);
      if (!optimized) assert.equal((await dap.values()).get('v'), '8');
      await dap.client.disconnectRequest({});
    });

    test('data breakpoints: on a local from the variables view, on an address; read access as the host allows', async () => {
      const dap = await session();
      await dap.stopAfter(() => dap.launch({ program: elf, function: 'Accumulate', args: [5] }, () =>
        dap.client.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: mark('loop body') }] })));
      const locals = await dap.scope('Locals');
      const local = await dap.client.dataBreakpointInfoRequest({ variablesReference: locals.variablesReference, name: 'acc' });
      // `acc` lives in memory at -O0; an optimizer keeps it in a register, which cannot be watched.
      if (optimized) assert.ok(local.body.dataId || /register or a computed value/.test(local.body.description), local.body.description);
      else assert.match(local.body.description, /^acc \(4 bytes at 0x[0-9a-f]+\)$/);
      const address = (await dap.evaluate('&total')).result.match(/0x[0-9a-f]+/)![0];
      // `&expr` names the bytes it points to.
      const pointed = await dap.client.dataBreakpointInfoRequest({ name: '&total', frameId: (await dap.top()).id });
      assert.equal(pointed.body.dataId, `${address}/4`);
      const byAddress = await dap.client.dataBreakpointInfoRequest({ name: address, asAddress: true, bytes: 4, frameId: (await dap.top()).id });
      assert.equal(byAddress.body.dataId, `${address}/4`);
      const readWrite = await dap.client.setDataBreakpointsRequest({ breakpoints: [{ dataId: byAddress.body.dataId!, accessType: 'readWrite' }] });
      if (checkKvm().debugRegisters) assert.equal(readWrite.body.breakpoints[0].verified, true);
      else assert.match(readWrite.body.breakpoints[0].message ?? '', /read watchpoints need the CPU's debug registers/);
      const write = await dap.client.setDataBreakpointsRequest({ breakpoints: [{ dataId: byAddress.body.dataId!, accessType: 'write' }] });
      assert.equal(write.body.breakpoints[0].verified, true);
      await dap.client.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [] });
      const stop = await dap.stopAfter(() => dap.client.continueRequest({ threadId: 1 }));
      assert.equal(stop.reason, 'data breakpoint');
      await dap.client.disconnectRequest({});
    });

    test('variables, registers and memory can be written at a stop, and the guest computes with them', async () => {
      const dap = await session();
      await dap.stopAfter(() => dap.launch({ program: elf, function: 'Shapes', args: [2] }, () =>
        dap.client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'add_point' }] })));
      // p->x through memory: 8 becomes 10, so d = 10 and the result 100 + 3 + 3.
      const x = (await dap.evaluate('&p->x')).result.match(/0x[0-9a-f]+/)![0];
      const wrote = await dap.client.customRequest('writeMemory', { memoryReference: x, data: Buffer.from([10, 0, 0, 0]).toString('base64') }) as DebugProtocol.WriteMemoryResponse;
      assert.equal(wrote.body?.bytesWritten, 4);
      assert.equal((await dap.evaluate('p->x')).result, '10');
      // A register: rsi is not used by add_point's result; write it and read it back.
      const registers = await dap.scope('Registers');
      const set = await dap.client.setVariableRequest({ variablesReference: registers.variablesReference, name: 'rsi', value: '0x1234' });
      assert.equal(set.body.value, '0x1234');
      assert.equal((await dap.values('Registers')).get('rsi'), '0x1234');
      await assert.rejects(dap.client.setVariableRequest({ variablesReference: registers.variablesReference, name: 'rsi', value: 'twelve' }), /rsi: expected an integer/);
      await dap.stopAfter(() => dap.client.stepOutRequest({ threadId: 1 }));
      if (!optimized) {
        // A local of Shapes, written through the variables view.
        const locals = await dap.scope('Locals');
        const d = await dap.client.setVariableRequest({ variablesReference: locals.variablesReference, name: 'scale', value: '3' });
        assert.equal(d.body.value, '3');
      }
      const exited = dap.client.waitForEvent('exited');
      await dap.client.continueRequest({ threadId: 1 });
      await exited;
      assert.match(dap.text('console'), /Shapes => 106 \(/);
    });

    test('a smashed stack: the fault stops, the stack shows what can be known, every request is answered', async () => {
      const dap = await session();
      const stop = await dap.stopAfter(() => dap.launch({ program: elf, function: 'Smash' }));
      assert.equal(stop.reason, 'exception');
      const frames = await dap.frames();
      assert.equal(frames[0].name, 'Smash');
      assert.equal(frames[0].line, mark('smash'));
      assert.ok(frames.length <= 3, `the unwinder stops at the smashed frame (${frames.map((f) => f.name).join(' < ')})`);
      for (const frame of frames) {
        const scopes = (await dap.client.scopesRequest({ frameId: frame.id })).body.scopes;
        for (const scope of scopes) await dap.variables(scope.variablesReference);
      }
      const disassembly = await dap.client.disassembleRequest({ memoryReference: '0x4242424242424242', instructionOffset: -2, instructionCount: 4 });
      assert.deepEqual(disassembly.body!.instructions.map((i) => i.instruction), ['??', '??', '??', '??']);
      await assert.rejects(dap.evaluate('*(int *)0'), /Cannot access memory at address 0x0/);
      const exited = dap.client.waitForEvent('exited');
      await dap.client.continueRequest({ threadId: 1 });
      assert.equal(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, 1);
    });
  });
}

describe('debug adapter: a client that leaves out optional initialize arguments', () => {
  test('no pathFormat means path, as the protocol says: the adapter initializes', async () => {
    const dap = await new DapSession().start({ adapterID: 'microvm' });
    try {
      const threads = await dap.client.threadsRequest();
      assert.equal(threads.body.threads.length, 1);
    } finally {
      await dap.stop();
    }
  });
});

describe('debug adapter: JS host functions and malformed host calls', { skip: needsKvm }, () => {
  let dap: DapSession | undefined;
  after(async () => dap?.stop());

  test('hostFunctions from a module are answered; a breakpoint on one stops where the guest calls it', async () => {
    const elf = buildTestGuest('types');
    dap = await new DapSession().start();
    const stop = await dap.stopAfter(() => dap!.launch({ program: elf, function: 'CallHostConcatTwice', args: ['x'], hostFunctions: HOST_FUNCTIONS }, () =>
      dap!.client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'HostConcat' }] })));
    assert.equal(stop.reason, 'function breakpoint');
    assert.match(stop.description ?? '', /host call HostConcat/);
    const frames = await dap.frames();
    const caller = frames.find((f) => f.name === 'CallHostConcatTwice');
    assert.ok(caller && caller.source?.path === TYPES, frames.map((f) => f.name).join(' < '));
    await dap.stopAfter(() => dap!.client.continueRequest({ threadId: 1 }));
    const calls = await dap.values('Host calls');
    assert.deepEqual([...calls.values()], ['HostConcat("x") => "<x>"']);
    const exited = dap.client.waitForEvent('exited');
    await dap.client.continueRequest({ threadId: 1 });
    await exited;
    assert.match(dap.text('console'), /CallHostConcatTwice => "<<x>>"/);
    await dap.stop();
    dap = undefined;
  });

  test('a guest that sends a malformed host-call record ends its session with the reason; the adapter lives on', async () => {
    const elf = buildTestGuest('hostile');
    dap = await new DapSession().start();
    const exited = dap.client.waitForEvent('exited');
    await dap.launch({ program: elf, function: 'HostCallBadMagic' });
    assert.equal(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, 1);
    assert.match(dap.text('stderr'), /^BAD_HOST_CALL: /m);
    const threads = await dap.client.threadsRequest();
    assert.equal(threads.body.threads.length, 1, 'the adapter still answers');
    await assert.rejects(dap.client.stackTraceRequest({ threadId: 1 }), /the call has ended/);
  });
});
