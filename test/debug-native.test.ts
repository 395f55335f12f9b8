// Native debug control on real KVM: breakpoints, single steps, watchpoints, pause, register and
// memory access. objdump is the oracle for instruction boundaries.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { NativeOutcome } from '../native/lib/addon';
import { ElfFile } from '../native/lib/elf';
import { Sandbox, checkKvm, type GuestValue } from '../native/lib';
import { encodeCall } from '../native/lib/records';
import { buildTestGuest } from './guests/build-guests';
import { needsKvm, toolEnv } from './support/kvm';

const hex = (n: bigint) => `0x${n.toString(16)}`;

/** objdump's instruction start addresses in [start, end). */
function instructionStarts(elf: string, start: bigint, end: bigint): bigint[] {
  const text = execFileSync('objdump', ['-d', '-M', 'intel', `--start-address=${hex(start)}`, `--stop-address=${hex(end)}`, elf],
    { encoding: 'utf8', env: toolEnv() });
  return [...text.matchAll(/^\s+([0-9a-f]+):\t/gm)].map((m) => BigInt(`0x${m[1]}`));
}

function objdumpLine(elf: string, address: bigint): string {
  const text = execFileSync('objdump', ['-d', '-M', 'intel', `--start-address=${hex(address)}`, `--stop-address=${hex(address + 16n)}`, elf],
    { encoding: 'utf8', env: toolEnv() });
  return text.split('\n').find((line) => line.trim().startsWith(`${address.toString(16)}:`)) ?? '';
}

describe('native debug control', { skip: needsKvm }, () => {
  let elf: string;
  let sandbox: Sandbox;
  const symbol = (name: string) => {
    const found = new ElfFile(fs.readFileSync(elf)).allSymbols().find((s) => s.name === name);
    assert.ok(found, name);
    return found;
  };
  const begin = (name: string, ...args: GuestValue[]) => {
    const signature = sandbox.functions.find((fn) => fn.name === name)!;
    sandbox.native.beginCall(5000);
    sandbox.native.writeInput(encodeCall(signature, args, sandbox.layout.inputAddress, sandbox.layout.inputSize));
  };
  const run = (): NativeOutcome => sandbox.native.runSync();
  const finish = () => {
    let outcome = run();
    while (outcome.kind === 'host-call') outcome = run();
    assert.equal(outcome.kind, 'ready');
    sandbox.native.restore();
  };

  before(() => {
    elf = buildTestGuest('types');
    sandbox = Sandbox.create(elf);
  });
  after(() => sandbox?.dispose());

  test('a software breakpoint on a function stops at its first instruction, with the arguments in registers', () => {
    const echo = symbol('EchoI32').value;
    sandbox.native.setBreakpoint(echo);
    try {
      begin('EchoI32', 1234);
      const stop = run();
      assert.equal(stop.kind, 'breakpoint');
      assert.equal(stop.address, echo);
      assert.equal(stop.registers?.rip, echo);
      assert.equal(stop.registers?.rdi, 1234n);
      assert.equal(stop.registers?.cs.selector, 0x23);
      assert.deepEqual(sandbox.native.getRegisters().rip, echo);
      finish();
    } finally {
      sandbox.native.removeBreakpoint(echo);
    }
  });

  test('memory reads never show the int3 of a breakpoint', () => {
    const echo = symbol('EchoI32').value;
    const before = sandbox.native.readMemory(echo, 16);
    sandbox.native.setBreakpoint(echo);
    assert.deepEqual(sandbox.native.readMemory(echo, 16), before);
    assert.deepEqual(sandbox.native.readMemory(echo - 3n, 4).subarray(3), before.subarray(0, 1));
    sandbox.native.removeBreakpoint(echo);
    assert.notEqual(before[0], 0xcc);
  });

  test('single-step advances exactly one instruction, as objdump splits them', () => {
    const fn = symbol('MixedArgs');
    const starts = instructionStarts(elf, fn.value, fn.value + fn.size);
    sandbox.native.setBreakpoint(fn.value);
    begin('MixedArgs', 1, 2.5, 'abc', 10n, 0.5, true);
    assert.equal(run().kind, 'breakpoint');
    sandbox.native.setSingleStep(true);
    for (let i = 1; i <= 8; i++) {
      const step = run();
      assert.equal(step.kind, 'step');
      assert.equal(step.registers?.rip, starts[i], `step ${i}`);
    }
    sandbox.native.setSingleStep(false);
    sandbox.native.removeBreakpoint(fn.value);
    finish();
  });

  test('a breakpoint set before a snapshot restore still fires on the next call', () => {
    const counter = symbol('Counter').value;
    sandbox.native.setBreakpoint(counter);
    for (let call = 0; call < 3; call++) {
      begin('Counter');
      const stop = run();
      assert.equal(stop.kind, 'breakpoint', `call ${call}`);
      assert.equal(stop.address, counter);
      finish();
    }
    sandbox.native.removeBreakpoint(counter);
    begin('Counter');
    finish();
  });

  test('a write watchpoint on a global stops at the writing instruction with the old and new values', () => {
    const counter = symbol('counter');
    sandbox.native.setHardwareBreakpoint(0, { address: counter.value, kind: 'write', length: 4 });
    try {
      begin('Counter');
      const stop = run();
      assert.equal(stop.kind, 'watchpoint');
      assert.equal(stop.address, counter.value);
      assert.equal(stop.hardwareSlot, 0);
      assert.deepEqual([...stop.oldValue!], [0, 0, 0, 0]);
      assert.deepEqual([...stop.newValue!], [1, 0, 0, 0]);
      // The instruction that wrote: reported by the emulation, or the one ending at RIP.
      const fn = symbol('Counter');
      const starts = instructionStarts(elf, fn.value, fn.value + fn.size + 1n);
      const rip = stop.registers!.rip;
      const writer = stop.writerRip ?? starts[starts.indexOf(rip) - 1];
      assert.ok(starts.includes(writer), `writer ${hex(writer)} is an instruction boundary`);
      assert.match(objdumpLine(elf, writer), /<counter>/, objdumpLine(elf, writer));
      assert.ok(rip > writer && rip - writer <= 15n, 'RIP is just after the writing instruction');
      finish();
    } finally {
      sandbox.native.clearHardwareBreakpoint(0);
    }
  });

  test('reading or writing unmapped guest memory fails cleanly, naming the page', () => {
    assert.throws(() => sandbox.native.readMemory(0n, 8), { code: 'UNMAPPED', message: /cannot read guest address 0x0: page 0x0 is not mapped/ });
    assert.throws(() => sandbox.native.readMemory(sandbox.layout.stackGuardAddress + 8n, 8), { code: 'UNMAPPED' });
    assert.throws(() => sandbox.native.writeMemory(0x8000000000000000n, Uint8Array.of(1)), { code: 'UNMAPPED', message: /non-canonical/ });
    assert.throws(() => sandbox.native.setBreakpoint(0x10n), { code: 'UNMAPPED' });
  });

  test('registers written at a breakpoint change what the guest computes', () => {
    const echo = symbol('EchoF64').value;
    sandbox.native.setBreakpoint(echo);
    try {
      begin('EchoF64', 1.5);
      assert.equal(run().kind, 'breakpoint');
      const registers = sandbox.native.getRegisters();
      assert.equal(Buffer.from(registers.fpu.xmm[0]).readDoubleLE(0), 1.5);
      assert.equal(registers.fpu.mxcsr, 0x1f80);
      assert.equal(registers.efer & 0x500n, 0x500n);
      const xmm0 = new Uint8Array(16);
      Buffer.from(xmm0.buffer).writeDoubleLE(-42.25, 0);
      sandbox.native.setRegisters({ fpu: { xmm: [xmm0] } });
      sandbox.native.removeBreakpoint(echo);
      let outcome = run();
      assert.equal(outcome.kind, 'ready');
      const result = sandbox.native.readOutput(32);
      assert.equal(Buffer.from(result).readDoubleLE(24), -42.25);
      sandbox.native.restore();
    } finally {
      sandbox.native.removeBreakpoint(echo);
    }
    // General registers too.
    const echoI = symbol('EchoI32').value;
    sandbox.native.setBreakpoint(echoI);
    begin('EchoI32', 1);
    assert.equal(run().kind, 'breakpoint');
    sandbox.native.setRegisters({ rdi: 77n });
    sandbox.native.removeBreakpoint(echoI);
    assert.equal(run().kind, 'ready');
    assert.equal(Buffer.from(sandbox.native.readOutput(32)).readInt32LE(24), 77);
    sandbox.native.restore();
  });

  test('checkKvm says whether the host honours debug registers', () => {
    assert.equal(typeof checkKvm().debugRegisters, 'boolean');
  });

  test('a hardware execute breakpoint stops at its address (an int3 where debug registers do not work)', () => {
    const echo = symbol('EchoU32').value;
    sandbox.native.setHardwareBreakpoint(2, { address: echo, kind: 'execute' });
    try {
      begin('EchoU32', 9);
      const stop = run();
      assert.equal(stop.kind, 'breakpoint');
      assert.equal(stop.address, echo);
      assert.equal(stop.registers?.rip, echo);
      finish();
    } finally {
      sandbox.native.clearHardwareBreakpoint(2);
    }
    begin('EchoU32', 9);
    finish();
  });

  test('read watchpoints: debug registers where the host has them, a precise refusal where it has not', () => {
    const counter = symbol('counter');
    if (checkKvm().debugRegisters) {
      sandbox.native.setHardwareBreakpoint(1, { address: counter.value, kind: 'readwrite', length: 4 });
      try {
        begin('Counter');
        assert.equal(run().kind, 'watchpoint');
        finish();
      } finally {
        sandbox.native.clearHardwareBreakpoint(1);
      }
    } else {
      assert.throws(() => sandbox.native.setHardwareBreakpoint(1, { address: counter.value, kind: 'readwrite', length: 4 }),
        { code: 'UNSUPPORTED', message: /read watchpoints need the CPU's debug registers, which this KVM host .* does not provide/ });
    }
    assert.throws(() => sandbox.native.setHardwareBreakpoint(1, { address: counter.value + 1n, kind: 'write', length: 4 }),
      { code: 'INVALID_OPTIONS', message: /a 4-byte watchpoint needs an address aligned to 4/ });
    assert.throws(() => sandbox.native.setHardwareBreakpoint(4, { address: counter.value, kind: 'write', length: 4 }),
      { code: 'INVALID_OPTIONS', message: /slot 4 does not exist/ });
  });
});

describe('pause', { skip: needsKvm }, () => {
  test('pause interrupts a spinning guest, and time stopped does not count against the timeout', async () => {
    const sandbox = Sandbox.create(buildTestGuest('faults'), { timeoutMs: 400 });
    try {
      const signature = sandbox.functions.find((fn) => fn.name === 'SpinForever')!;
      sandbox.native.beginCall(400);
      sandbox.native.writeInput(encodeCall(signature, [], sandbox.layout.inputAddress, sandbox.layout.inputSize));
      const runAsync = () => new Promise<NativeOutcome>((resolve, reject) => sandbox.native.runAsync((error, outcome) => (error ? reject(error) : resolve(outcome!))));
      const spin = symbol(sandbox, 'SpinForever');
      for (let round = 0; round < 3; round++) {
        const running = runAsync();
        await new Promise((resolve) => setTimeout(resolve, 60));
        sandbox.native.requestPause();
        const stop = await running;
        assert.equal(stop.kind, 'paused', `round ${round}`);
        assert.ok(stop.registers!.rip >= spin.value && stop.registers!.rip < spin.value + spin.size, 'paused inside SpinForever');
        // Stopped for longer than the whole budget: it must not count.
        await new Promise((resolve) => setTimeout(resolve, 450));
      }
      const last = await runAsync();
      assert.equal(last.kind, 'timeout');
      sandbox.native.restore();
    } finally {
      sandbox.dispose();
    }
  });
});

function symbol(sandbox: Sandbox, name: string) {
  const found = new ElfFile(fs.readFileSync(sandbox.guestPath!)).allSymbols().find((s) => s.name === name);
  assert.ok(found, name);
  return found;
}
