// Debug calls on real KVM (Sandbox.debugCall): breakpoints, single steps, watchpoints, pause,
// register and memory access, host functions answered as in call(), stops at host calls and at
// faults, and the end of a call leaving the sandbox as a plain call would. objdump is the oracle
// for instruction boundaries.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ElfFile } from '../native/lib/elf';
import { Sandbox, checkKvm, type DebugCallState, type DebugStop, type HostFunction } from '../native/lib';
import { readCoreRegisters } from '../native/lib/coredump';
import { buildTestGuest } from './guests/build-guests';
import { needsKvm } from './support/kvm';
import { hex, objdump } from './support/oracles';

/** objdump's instruction start addresses in [start, end). */
function instructionStarts(elf: string, start: bigint, end: bigint): bigint[] {
  const text = objdump(['-d', '-M', 'intel', `--start-address=${hex(start)}`, `--stop-address=${hex(end)}`, elf]);
  return [...text.matchAll(/^\s+([0-9a-f]+):\t/gm)].map((m) => BigInt(`0x${m[1]}`));
}

function objdumpLine(elf: string, address: bigint): string {
  const text = objdump(['-d', '-M', 'intel', `--start-address=${hex(address)}`, `--stop-address=${hex(address + 16n)}`, elf]);
  return text.split('\n').find((line) => line.trim().startsWith(`${address.toString(16)}:`)) ?? '';
}

function symbolOf(elf: string, name: string) {
  const found = new ElfFile(fs.readFileSync(elf)).allSymbols().find((s) => s.name === name);
  assert.ok(found, name);
  return found;
}

function stopOf(state: DebugCallState): DebugStop {
  assert.equal(state.kind, 'stopped', `expected a stop, got ${JSON.stringify(state, (_, v) => (typeof v === 'bigint' ? hex(v) : v))}`);
  return (state as { stop: DebugStop }).stop;
}

function valueOf(state: DebugCallState) {
  if (state.kind === 'failed') assert.fail(`the call failed: ${state.error.message}`);
  assert.equal(state.kind, 'finished');
  return (state as { result: { value: unknown } }).result.value;
}

const hostFunctions: HostFunction[] = [
  { name: 'HostAdd', paramTypes: ['i32', 'i32'], returnType: 'i32', implementation: (a, b) => (a as number) + (b as number) },
  { name: 'HostConcat', paramTypes: ['string'], returnType: 'string', implementation: async (s) => `${s as string}!` },
];

describe('debug calls', { skip: needsKvm }, () => {
  let elf: string;
  let sandbox: Sandbox;
  const printed: string[] = [];
  const symbol = (name: string) => symbolOf(elf, name);

  before(() => {
    elf = buildTestGuest('types');
    sandbox = Sandbox.create(elf, { hostFunctions, onPrint: (text) => printed.push(text) });
  });
  after(() => sandbox?.dispose());

  test('a debug call starts stopped at its entry, before any guest instruction, and runs to its value', async () => {
    const call = sandbox.debugCall('EchoI32', 1234);
    const stop = stopOf(call.state);
    assert.equal(stop.reason, 'entry');
    assert.equal(call.registers().cs.selector, 0x23, 'ring 3');
    assert.equal(valueOf(await call.continue()), 1234);
    assert.throws(() => call.registers(), { code: 'SANDBOX_BUSY', message: /has finished; start a new one/ });
    assert.equal(sandbox.callSync('EchoI32', 5).value, 5, 'the sandbox serves plain calls afterwards');
  });

  test('a breakpoint on a function stops at its first instruction, with the arguments in registers', async () => {
    const echo = symbol('EchoI32').value;
    const call = sandbox.debugCall('EchoI32', 1234);
    await call.setBreakpoint(echo);
    const stop = stopOf(await call.continue());
    assert.deepEqual(stop, { reason: 'breakpoint', address: echo });
    const registers = call.registers();
    assert.equal(registers.rip, echo);
    assert.equal(registers.rdi, 1234n);
    assert.equal(registers.cs.selector, 0x23);
    assert.equal(valueOf(await call.continue()), 1234);
  });

  test('memory reads never show the int3 of a breakpoint', async () => {
    const echo = symbol('EchoI32').value;
    const call = sandbox.debugCall('EchoI32', 1);
    const before = call.readMemory(echo, 16);
    await call.setBreakpoint(echo);
    assert.deepEqual(call.readMemory(echo, 16), before);
    assert.deepEqual(call.readMemory(echo - 3n, 4).subarray(3), before.subarray(0, 1));
    assert.notEqual(before[0], 0xcc);
    await call.abort();
    assert.equal(call.state.kind, 'failed');
  });

  test('stepInstruction advances exactly one instruction, as objdump splits them', async () => {
    const fn = symbol('MixedArgs');
    const starts = instructionStarts(elf, fn.value, fn.value + fn.size);
    const call = sandbox.debugCall('MixedArgs', 1, 2.5, 'abc', 10n, 0.5, true);
    await call.setBreakpoint(fn.value);
    assert.equal(stopOf(await call.continue()).reason, 'breakpoint');
    for (let i = 1; i <= 8; i++) {
      assert.equal(stopOf(await call.stepInstruction()).reason, 'step');
      assert.equal(call.registers().rip, starts[i], `step ${i}`);
    }
    assert.equal(valueOf(await call.continue()), 1 + 2.5 + 3 + 10 + 0.5 + 1);
  });

  test('a breakpoint in a loop fires on every pass; after the debug call a plain call meets no breakpoint', async () => {
    const fn = symbol('PrintMany');
    const call = sandbox.debugCall('PrintMany', 3);
    // mv_printf runs once per pass: break on its first instruction.
    const printf = symbol('mv_printf').value;
    await call.setBreakpoint(printf);
    for (let pass = 0; pass < 3; pass++) assert.deepEqual(stopOf(await call.continue()), { reason: 'breakpoint', address: printf }, `pass ${pass}`);
    assert.equal(valueOf(await call.continue()), 3);
    assert.equal(call.output, 'line 0 of 3\nline 1 of 3\nline 2 of 3\n');
    assert.deepEqual(call.hostCalls.map((c) => c.function), ['HostPrint', 'HostPrint', 'HostPrint']);
    assert.equal(sandbox.callSync('PrintMany', 2).value, 2);
    assert.ok(fn.value > 0n);
  });

  test('a write watchpoint on a global stops at the writing instruction with the old and new values', async () => {
    const counter = symbol('counter');
    const call = sandbox.debugCall('Counter');
    const slot = await call.setWatchpoint(counter.value, 4, 'write');
    const stop = stopOf(await call.continue());
    assert.equal(stop.reason, 'watchpoint');
    if (stop.reason !== 'watchpoint') return;
    assert.equal(stop.address, counter.value);
    assert.equal(stop.slot, slot);
    assert.deepEqual([...stop.oldValue], [0, 0, 0, 0]);
    assert.deepEqual([...stop.newValue], [1, 0, 0, 0]);
    // The instruction that wrote: reported by the emulation, or the one ending at RIP.
    const fn = symbol('Counter');
    const starts = instructionStarts(elf, fn.value, fn.value + fn.size + 1n);
    const rip = call.registers().rip;
    const writer = stop.writerRip ?? starts[starts.indexOf(rip) - 1];
    assert.ok(starts.includes(writer), `writer ${hex(writer)} is an instruction boundary`);
    assert.match(objdumpLine(elf, writer), /<counter>/, objdumpLine(elf, writer));
    assert.ok(rip > writer && rip - writer <= 15n, 'RIP is just after the writing instruction');
    assert.equal(valueOf(await call.continue()), 1);
  });

  test('read watchpoints: debug registers where the host has them, a precise refusal where it has not; bad slots and alignment refused', async () => {
    const counter = symbol('counter');
    const call = sandbox.debugCall('Counter');
    try {
      if (checkKvm().debugRegisters) {
        await call.setWatchpoint(counter.value, 4, 'readwrite');
        assert.equal(stopOf(await call.continue()).reason, 'watchpoint');
      } else {
        await assert.rejects(call.setWatchpoint(counter.value, 4, 'readwrite'),
          { code: 'UNSUPPORTED', message: /read watchpoints need the CPU's debug registers, which this KVM host .* does not provide/ });
      }
      await assert.rejects(call.setWatchpoint(counter.value + 1n, 4, 'write'), { code: 'INVALID_OPTIONS', message: /a 4-byte watchpoint needs an address aligned to 4/ });
      await assert.rejects(call.setWatchpoint(counter.value, 3, 'write'), { code: 'INVALID_OPTIONS', message: /covers 1, 2, 4 or 8 bytes, not 3/ });
    } finally {
      await call.abort();
    }
  });

  test('reading or writing unmapped guest memory fails cleanly, naming the page', async () => {
    const call = sandbox.debugCall('Counter');
    try {
      assert.throws(() => call.readMemory(0n, 8), { code: 'UNMAPPED', message: /cannot read guest address 0x0: page 0x0 is not mapped/ });
      assert.throws(() => call.readMemory(sandbox.layout.stackGuardAddress + 8n, 8), { code: 'UNMAPPED' });
      assert.throws(() => call.writeMemory(0x8000000000000000n, Uint8Array.of(1)), { code: 'UNMAPPED', message: /non-canonical/ });
      await assert.rejects(call.setBreakpoint(0x10n), { code: 'UNMAPPED' });
    } finally {
      await call.abort();
    }
  });

  test('registers and memory written at a stop change what the guest computes', async () => {
    const echo = symbol('EchoF64').value;
    const call = sandbox.debugCall('EchoF64', 1.5);
    await call.setBreakpoint(echo);
    stopOf(await call.continue());
    const registers = call.registers();
    assert.equal(Buffer.from(registers.fpu.xmm[0]).readDoubleLE(0), 1.5);
    assert.equal(registers.fpu.mxcsr, 0x1f80);
    assert.equal(registers.efer & 0x500n, 0x500n);
    const xmm0 = new Uint8Array(16);
    Buffer.from(xmm0.buffer).writeDoubleLE(-42.25, 0);
    call.setRegisters({ fpu: { xmm: [xmm0] } });
    assert.equal(Buffer.from(call.registers().fpu.xmm[0]).readDoubleLE(0), -42.25, 'the registers a stop shows follow the write');
    assert.equal(valueOf(await call.continue()), -42.25);

    const echoI = symbol('EchoI32').value;
    const second = sandbox.debugCall('EchoI32', 1);
    await second.setBreakpoint(echoI);
    stopOf(await second.continue());
    second.setRegisters({ rdi: 77n });
    assert.equal(valueOf(await second.continue()), 77);

    // A global written before the first instruction runs.
    const counter = symbol('counter').value;
    const third = sandbox.debugCall('Counter');
    third.writeMemory(counter, Uint8Array.of(41, 0, 0, 0));
    assert.equal(valueOf(await third.continue()), 42);
    assert.equal(sandbox.callSync('Counter').value, 1, 'the restore undid the debugger\'s write');
  });

  test('host functions are answered as in call(): HostPrint, a sync and an async JS function', async () => {
    printed.length = 0;
    const add = sandbox.debugCall('CallHostAdd', 20, 22);
    assert.equal(valueOf(await add.continue()), 42);
    assert.deepEqual(add.hostCalls.map(({ function: fn, args, result }) => ({ fn, args, result })), [{ fn: 'HostAdd', args: [20, 22], result: 42 }]);
    const concat = sandbox.debugCall('CallHostConcatTwice', 'a');
    assert.equal(valueOf(await concat.continue()), 'a!!');
    const print = sandbox.debugCall('PrintMany', 2);
    assert.equal(valueOf(await print.continue()), 2);
    assert.deepEqual(printed, ['line 0 of 2\n', 'line 1 of 2\n'], 'onPrint sees every chunk, in order');
  });

  test('a host-call breakpoint stops where the guest calls the host function, before it is answered', async () => {
    const call = sandbox.debugCall('CallHostConcatTwice', 'x');
    call.breakOnHostCalls(['HostConcat']);
    assert.deepEqual(stopOf(await call.continue()), { reason: 'host-call', hostCall: { function: 'HostConcat', args: ['x'] } });
    assert.equal(call.hostCalls.length, 0, 'not answered yet');
    const rip = call.registers().rip;
    assert.equal(sandbox.functionAt(rip) !== undefined, true, 'RIP is in guest code');
    assert.deepEqual(stopOf(await call.continue()), { reason: 'host-call', hostCall: { function: 'HostConcat', args: ['x!'] } });
    assert.equal(call.hostCalls.length, 1);
    assert.equal(valueOf(await call.continue()), 'x!!');

    const print = sandbox.debugCall('PrintMany', 1);
    print.breakOnHostCalls(['HostPrint']);
    assert.deepEqual(stopOf(await print.continue()), { reason: 'host-call', hostCall: { function: 'HostPrint', args: ['line 0 of 1\n'] } });
    assert.equal(valueOf(await print.continue()), 1);
  });

  test('stepping over the instruction that calls the host answers the call and stops after it', async () => {
    const call = sandbox.debugCall('CallHostAdd', 1, 2);
    call.breakOnHostCalls(['HostAdd']);
    stopOf(await call.continue());
    const at = call.registers().rip;
    assert.equal(stopOf(await call.stepInstruction()).reason, 'step');
    assert.equal(call.hostCalls.length, 1);
    assert.notEqual(call.registers().rip, at);
    assert.equal(valueOf(await call.continue()), 3);
  });

  test('a core file of a stopped call holds its registers', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-debug-call-'));
    try {
      const echo = symbol('EchoI32').value;
      const call = sandbox.debugCall('EchoI32', 99);
      await call.setBreakpoint(echo);
      stopOf(await call.continue());
      const core = call.dumpCore(dir, 'breakpoint in EchoI32');
      const registers = readCoreRegisters(fs.readFileSync(core));
      assert.equal(registers.rip, echo);
      assert.equal(registers.rdi, 99n);
      await call.abort();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('one call at a time: a plain call during a debug call is refused; running calls refuse inspection', async () => {
    const call = sandbox.debugCall('Counter');
    assert.throws(() => sandbox.callSync('Counter'), { code: 'SANDBOX_BUSY' });
    assert.throws(() => sandbox.debugCall('Counter'), { code: 'SANDBOX_BUSY' });
    const running = call.continue();
    assert.throws(() => call.registers(), { code: 'SANDBOX_BUSY', message: /Counter is running; pause it first/ });
    assert.equal(valueOf(await running), 1);
    assert.throws(() => sandbox.debugCall('NoSuch'), { code: 'UNKNOWN_FUNCTION' });
    assert.equal(sandbox.callSync('Counter').value, 1);
  });
});

describe('single steps through whole calls', { skip: needsKvm }, () => {
  test('every instruction of a call, thousands of steps across time slices, lands in guest code and the call returns its value', async () => {
    // A time slice that ran out while the host's #DB stub reported a step once left the trap
    // flag armed in the stub, which then trapped in ring 0 and ended the call as a fault.
    const elf = buildTestGuest('debuggee');
    const sandbox = Sandbox.create(elf, { inlineSliceUs: 50 });
    try {
      let steps = 0;
      for (let round = 0; round < 3; round++) {
        const call = sandbox.debugCall('Shapes', 2);
        let state = call.state;
        while (state.kind === 'stopped') {
          state = await call.stepInstruction();
          steps++;
          if (state.kind === 'stopped') assert.equal(state.stop.reason, 'step', `step ${steps}`);
        }
        assert.equal(valueOf(state), 70, `round ${round} after ${steps} steps`);
      }
      assert.ok(steps > 1000, `${steps} steps`);
    } finally {
      sandbox.dispose();
    }
  });
});

describe('continuing from breakpoints across time slices', { skip: needsKvm }, () => {
  test('thousands of continues from a breakpoint in a loop each stop at the next pass, with slices ending mid-step', { timeout: 120_000 }, async () => {
    // Continuing from an int3 first single-steps the original instruction; a time slice that
    // ended during that step once left KVM_RUN returning EINTR forever (the watchdog's
    // immediate_exit was never cleared): the vCPU spun in the kernel and the stop never came.
    const elf = buildTestGuest('debuggee');
    const sandbox = Sandbox.create(elf, { inlineSliceUs: 20, timeoutMs: 60_000 });
    try {
      const passes = 3000;
      const call = sandbox.debugCall('Accumulate', passes);
      const body = symbolOf(elf, 'Accumulate');
      // The store to `total` inside the loop: objdump names the global in its operand.
      const store = [...instructionStarts(elf, body.value, body.value + body.size)].find((a) => /<total>/.test(objdumpLine(elf, a)))!;
      assert.ok(store, 'the loop stores to total');
      await call.setBreakpoint(store);
      for (let pass = 0; pass < passes; pass++) assert.deepEqual(stopOf(await call.continue()), { reason: 'breakpoint', address: store }, `pass ${pass}`);
      assert.equal(valueOf(await call.continue()), (passes * (passes - 1)) / 2);
    } finally {
      sandbox.dispose();
    }
  });
});

describe('debug calls that fault, spin or are cut short', { skip: needsKvm }, () => {
  let elf: string;
  before(() => {
    elf = buildTestGuest('faults');
  });

  test('a fault stops the call with its error and the registers of the faulting instruction; resuming ends the call', async () => {
    const sandbox = Sandbox.create(elf);
    try {
      const call = sandbox.debugCall('DerefNull');
      const stop = stopOf(await call.continue());
      assert.equal(stop.reason, 'exception');
      if (stop.reason !== 'exception') return;
      assert.equal(stop.error.code, 'GUEST_FAULT');
      assert.match(stop.error.message, /null pointer dereference: read of address 0x0 at RIP 0x[0-9a-f]+ in DerefNull/);
      const fn = symbolOf(elf, 'DerefNull');
      const rip = call.registers().rip;
      assert.ok(rip >= fn.value && rip < fn.value + fn.size, 'registers are the guest\'s, at the faulting instruction');
      assert.equal(call.registers().cs.selector, 0x23);
      assert.throws(() => call.setRegisters({ rax: 1n }), { code: 'UNSUPPORTED', message: /only inspected/ });
      const end = await call.continue();
      assert.equal(end.kind, 'failed');
      assert.equal(end.kind === 'failed' && end.error, stop.error);
      await assert.rejects(sandbox.call('Nested3'), { code: 'GUEST_FAULT' }, 'the sandbox runs plain calls again');
    } finally {
      sandbox.dispose();
    }
  });

  test('an abort stops as an exception with its message', async () => {
    const sandbox = Sandbox.create(elf);
    try {
      const call = sandbox.debugCall('AssertFails');
      const stop = stopOf(await call.continue());
      assert.equal(stop.reason === 'exception' && stop.error.code, 'GUEST_ABORT');
      assert.equal((await call.continue()).kind, 'failed');
    } finally {
      sandbox.dispose();
    }
  });

  test('pause interrupts a spinning guest, and time stopped does not count against the timeout', async () => {
    const sandbox = Sandbox.create(elf, { timeoutMs: 400 });
    try {
      const call = sandbox.debugCall('SpinForever');
      const spin = symbolOf(elf, 'SpinForever');
      for (let round = 0; round < 3; round++) {
        const running = call.continue();
        await new Promise((resolve) => setTimeout(resolve, 60));
        call.pause();
        assert.equal(stopOf(await running).reason, 'pause', `round ${round}`);
        const rip = call.registers().rip;
        assert.ok(rip >= spin.value && rip < spin.value + spin.size, 'paused inside SpinForever');
        // Stopped for longer than the whole budget: it must not count.
        await new Promise((resolve) => setTimeout(resolve, 450));
      }
      const last = stopOf(await call.continue());
      assert.equal(last.reason === 'exception' && last.error.code, 'TIMEOUT');
      assert.equal((await call.continue()).kind, 'failed');
    } finally {
      sandbox.dispose();
    }
  });

  test('breakpoints set while the guest runs take effect without a visible stop', async () => {
    const sandbox = Sandbox.create(elf, { timeoutMs: 5000 });
    try {
      const call = sandbox.debugCall('SpinForever');
      const running = call.continue();
      await new Promise((resolve) => setTimeout(resolve, 30));
      const spin = symbolOf(elf, 'SpinForever');
      const starts = instructionStarts(elf, spin.value, spin.value + spin.size);
      // Every instruction of the loop body: one of them runs next, whichever it is.
      await Promise.all(starts.slice(starts.length >> 1).map((address) => call.setBreakpoint(address)));
      const stop = stopOf(await running);
      assert.equal(stop.reason, 'breakpoint');
      await call.abort();
      assert.equal(call.state.kind === 'failed' && call.state.error.code, 'CANCELLED');
    } finally {
      sandbox.dispose();
    }
  });

  test('abort of a running call stops the guest and frees the sandbox; dispose fails a debug call in progress', async () => {
    const sandbox = Sandbox.create(elf, { timeoutMs: 5000 });
    try {
      const call = sandbox.debugCall('SpinForever');
      const running = call.continue();
      await new Promise((resolve) => setTimeout(resolve, 30));
      await call.abort();
      const ended = await running;
      assert.equal(ended.kind, 'failed');
      assert.equal(call.state.kind === 'failed' && call.state.error.code, 'CANCELLED');
      await assert.rejects(sandbox.call('Nested3'), { code: 'GUEST_FAULT' }, 'the sandbox runs plain calls again');
    } finally {
      sandbox.dispose();
    }
    const doomed = Sandbox.create(elf, { timeoutMs: 5000 });
    const call = doomed.debugCall('SpinForever');
    const running = call.continue();
    await new Promise((resolve) => setTimeout(resolve, 30));
    doomed.dispose();
    const ended = await running;
    assert.equal(ended.kind === 'failed' && ended.error.code, 'SANDBOX_DISPOSED');
  });
});
