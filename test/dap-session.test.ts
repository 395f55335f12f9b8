// The debug adapter over stdio, driven by a DAP client (DebugClient) as VS Code drives it, against
// real micro-VMs: the test guest debuggee.c built by gcc and clang at -O0 and -O2. objdump is the
// oracle for instruction boundaries.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildTestGuest, COMPILER_MATRIX, testGuestsDir } from './guests/build-guests';
import { freshSessions, marks } from './support/dap';
import { needsKvm } from './support/kvm';
import { hex, objdump } from './support/oracles';
import path from 'node:path';

const SOURCE = path.join(testGuestsDir(), 'debuggee.c');
const mark = marks(SOURCE);

/** objdump's instructions of a range: address → { length, text }. */
function objdumpInstructions(elf: string, start: bigint, end: bigint): Map<bigint, { next: bigint; text: string }> {
  const out = objdump(['-d', '-M', 'intel', '--no-show-raw-insn', `--start-address=${hex(start)}`, `--stop-address=${hex(end)}`, elf]);
  const rows = [...out.matchAll(/^\s+([0-9a-f]+):\s+(.*)$/gm)].map((m) => ({ address: BigInt(`0x${m[1]}`), text: m[2].trim() }));
  const map = new Map<bigint, { next: bigint; text: string }>();
  rows.forEach((row, i) => map.set(row.address, { next: rows[i + 1]?.address ?? end, text: row.text }));
  return map;
}

for (const build of COMPILER_MATRIX) {
  const label = `${build.cc} -O${build.optimize}`;
  const optimized = build.optimize !== '0';

  describe(`debug adapter over stdio: debuggee.c, ${label}`, { skip: needsKvm }, () => {
    let elf: string;
    before(() => {
      elf = buildTestGuest('debuggee', { cc: build.cc, optimize: build.optimize });
    });
    const session = freshSessions();

    test('a source breakpoint stops on its line; locals, a struct member through a pointer, step in, step out, step over', async () => {
      const dap = await session();
      const stop = await dap.launchToLine({ program: elf, function: 'Shapes', args: [2] }, SOURCE, mark('add_point body'));
      assert.equal(stop.reason, 'breakpoint');
      const frames = await dap.frames();
      assert.equal(frames[0].name, 'add_point');
      assert.equal(frames[0].line, mark('add_point body'));
      assert.equal(frames[0].source?.path, SOURCE);
      assert.equal(frames[1].name, 'Shapes');
      assert.equal(frames[1].line, mark('call add_point'));
      assert.match(frames[0].instructionPointerReference ?? '', /^0x[0-9a-f]+$/);

      // The parameter is a pointer into Shapes' struct: its members as gdb prints them.
      const locals = await dap.values();
      assert.match(locals.get('p') ?? '', /^0x[0-9a-f]+$/, 'as gdb\'s info args shows a pointer (the type is the row\'s)');
      assert.equal((await dap.evaluate('p->x')).result, '8');
      assert.equal((await dap.evaluate('*p')).result, '{x = 8, y = 0}');
      // Expanding the pointer shows the struct, then its members.
      const pointer = (await dap.variables((await dap.scope('Locals')).variablesReference)).find((v) => v.name === 'p')!;
      assert.ok(pointer.variablesReference > 0 && pointer.memoryReference, 'a pointer expands and has a memory reference');
      const [pointee] = await dap.variables(pointer.variablesReference);
      assert.equal(pointee.name, '*p');
      assert.deepEqual((await dap.variables(pointee.variablesReference)).map((v) => `${v.name}=${v.value}`), ['x=8', 'y=0']);
      // The caller's frame: its parameter (kept at -O0; -O2 may not keep it after its last use).
      if (!optimized) assert.equal((await dap.values('Locals', frames[1].id)).get('scale'), '2');

      // Step out: back in Shapes, with the value add_point returned.
      await dap.stopAfter(() => dap.client.stepOutRequest({ threadId: 1 }));
      const out = await dap.top();
      assert.equal(out.name, 'Shapes');
      // Right after the call, as gdb's `finish`: still on the call's line at -O0; -O2 may have
      // scheduled the next line's first instruction there.
      if (!optimized) assert.equal(out.line, mark('call add_point'));
      const returned = await dap.values('Return value');
      assert.equal([...returned.values()][0], '8');

      // Step over to the next line, then into the inlined square().
      await dap.stopAfter(() => dap.client.nextRequest({ threadId: 1 }));
      const next = await dap.top();
      assert.equal(next.name, 'Shapes');
      if (!optimized) assert.equal(next.line, mark('call square'));
      else assert.notEqual(next.line, mark('add_point body'));
      await dap.client.disconnectRequest({});
    });

    test('step into a call stops on the callee\'s first line; step over a host call prints and stays in the caller', async () => {
      const dap = await session();
      await dap.stopAfter(() => dap.launch({ program: elf, function: 'Shapes', args: [1] }, () =>
        dap.client.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: mark('call add_point') }] })));
      assert.equal((await dap.top()).line, mark('call add_point'));
      await dap.stopAfter(() => dap.client.stepInRequest({ threadId: 1 }));
      const inside = await dap.top();
      assert.equal(inside.name, 'add_point');
      assert.equal(inside.line, mark('add_point body'));
      await dap.stopAfter(() => dap.client.stepOutRequest({ threadId: 1 }));
      // Over the host print: the output arrives and the stop is still in Shapes.
      await dap.client.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: mark('host print') }] });
      await dap.stopAfter(() => dap.client.continueRequest({ threadId: 1 }));
      assert.equal((await dap.top()).line, mark('host print'));
      assert.equal(dap.text('stdout'), '');
      await dap.stopAfter(() => dap.client.nextRequest({ threadId: 1 }));
      // At -O2 no statement of Shapes may follow the print: then `next` ends in its caller.
      if (!optimized) assert.equal((await dap.top()).name, 'Shapes');
      assert.equal(dap.text('stdout'), 'shapes');
      const hostCalls = await dap.values('Host calls');
      assert.match([...hostCalls.values()][0] ?? '', /^HostPrint\("shapes"\) => 6$/);
      await dap.client.disconnectRequest({});
    });

    test('an instruction step lands on objdump\'s next instruction boundary; registers, memory and disassembly around the pc', async () => {
      const dap = await session();
      await dap.stopAfter(() => dap.launch({ program: elf, function: 'Shapes', args: [2] }, () =>
        dap.client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'add_point' }] })));
      // Memory: the struct p points to, read through its memory reference.
      const p = await dap.evaluate('p');
      const readMemory = async (args: DebugProtocol.ReadMemoryArguments) => ((await dap.client.customRequest('readMemory', args)) as DebugProtocol.ReadMemoryResponse).body!;
      const memory = await readMemory({ memoryReference: p.memoryReference!, count: 8 });
      const bytes = Buffer.from(memory.data!, 'base64');
      assert.deepEqual([bytes.readInt32LE(0), bytes.readInt32LE(4)], [8, 0]);
      const unreadable = await readMemory({ memoryReference: '0x0', count: 16 });
      assert.equal(unreadable.unreadableBytes, 16);

      const start = BigInt((await dap.top()).instructionPointerReference!);
      const listing = objdumpInstructions(elf, start - 64n, start + 256n);
      let pc = start;
      for (let i = 0; i < 4; i++) {
        const here = listing.get(pc);
        assert.ok(here, `0x${pc.toString(16)} is an objdump instruction boundary`);
        const stop = await dap.stopAfter(() => dap.client.stepInRequest({ threadId: 1, granularity: 'instruction' }));
        assert.equal(stop.reason, 'step');
        const now = BigInt((await dap.top()).instructionPointerReference!);
        if (!/^(j|call|ret)/.test(here.text)) assert.equal(now, here.next, `after ${here.text}`);
        pc = now;
        if (/^ret/.test(here.text)) break; // back in Shapes: the listing above covers add_point only
      }
      // Registers: rip is the frame's pc; rflags decodes its flags.
      const registers = await dap.values('Registers');
      assert.equal(BigInt(registers.get('rip')!), pc);
      const [rflags, flags] = /^(0x[0-9a-f]+) \[ (.*)\]$/.exec(registers.get('rflags') ?? '')!.slice(1);
      const expected = [['CF', 0], ['PF', 2], ['AF', 4], ['ZF', 6], ['SF', 7], ['TF', 8], ['IF', 9], ['DF', 10], ['OF', 11]] as const;
      assert.deepEqual(flags.trim().split(' ').filter(Boolean), expected.filter(([, bit]) => (BigInt(rflags) >> BigInt(bit)) & 1n).map(([name]) => name));
      assert.match(registers.get('cs') ?? '', /^0x23 /);
      assert.match(registers.get('xmm0') ?? '', /^0x[0-9a-f]{32}$/);
      // Disassembly around the pc: the same boundaries as objdump, the pc in the middle.
      const around = objdumpInstructions(elf, pc, pc + 64n);
      const disassembly = await dap.client.disassembleRequest({ memoryReference: `0x${pc.toString(16)}`, instructionOffset: -3, instructionCount: 8 });
      const rows = disassembly.body!.instructions;
      assert.equal(rows.length, 8);
      assert.equal(BigInt(rows[3].address), pc);
      for (const row of rows.slice(3)) assert.ok(around.has(BigInt(row.address)), `${row.address} ${row.instruction} is an objdump boundary`);
      const physical = (await dap.frames()).find((f) => !f.name.endsWith('[inlined]'))!.name;
      assert.match(rows[3].symbol ?? '', new RegExp(`^<${physical}(\\+0x[0-9a-f]+)?>$`));
      await dap.client.disconnectRequest({});
    });

    test('a conditional breakpoint, a hit-count breakpoint and a logpoint in a loop', async () => {
      const dap = await session();
      const line = mark('loop body');
      const stop = await dap.stopAfter(() => dap.launch({ program: elf, function: 'Accumulate', args: [10] }, () =>
        dap.client.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line, condition: 'i == 3' }] })));
      assert.equal(stop.reason, 'breakpoint');
      assert.equal((await dap.evaluate('i')).result, '3');
      // Hit count: the 2nd hit from here on (i = 4 is the first, 5 the second).
      await dap.client.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line, hitCondition: '2' }] });
      await dap.stopAfter(() => dap.client.continueRequest({ threadId: 1 }));
      assert.equal((await dap.evaluate('i')).result, '5');
      // A logpoint prints and does not stop: the call runs to its end.
      await dap.client.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line, logMessage: 'pass {i}' }] });
      const ended = dap.client.waitForEvent('terminated');
      await dap.client.continueRequest({ threadId: 1 });
      await ended;
      assert.match(dap.text('console'), /pass 6\npass 7\npass 8\npass 9\n/);
      assert.match(dap.text('console'), /Accumulate => 45 \(/);
    });

    test('a write data breakpoint on a global stops where it is written', async () => {
      const dap = await session();
      await dap.stopAfter(() => dap.launch({ program: elf, function: 'Accumulate', args: [4], stopOnEntry: true }));
      const info = await dap.client.dataBreakpointInfoRequest({ name: 'total', frameId: (await dap.top()).id });
      assert.ok(info.body.dataId, info.body.description);
      assert.ok(info.body.accessTypes?.includes('write'));
      const set = await dap.client.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
      assert.equal(set.body.breakpoints[0].verified, true);
      const stop = await dap.stopAfter(() => dap.client.continueRequest({ threadId: 1 }));
      assert.equal(stop.reason, 'data breakpoint');
      const top = await dap.top();
      assert.equal(top.name, 'Accumulate');
      // Stopped right after the store: on its line or the loop's next statement (the for line).
      assert.ok(top.line >= mark('loop body') - 1 && top.line <= mark('store total'), `line ${top.line}`);
      assert.match((await dap.evaluate('total')).result, /^[01]$/);
      await dap.client.disconnectRequest({});
    });

    test('a function breakpoint on HostPrint stops before the guest prints', async () => {
      const dap = await session();
      const stop = await dap.stopAfter(() => dap.launch({ program: elf, function: 'Shapes', args: [1] }, () =>
        dap.client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'HostPrint' }] })));
      assert.equal(stop.reason, 'function breakpoint');
      const frames = await dap.frames();
      // HostPrint of the C SDK (at -O2 its first line may be a helper inlined into it).
      assert.ok(frames.slice(0, 3).some((f) => f.name === 'HostPrint'), frames.map((f) => f.name).join(' < '));
      assert.ok(frames.some((f) => f.name === 'Shapes' && f.line === mark('host print')), 'Shapes calls it at its host print line');
      assert.equal(dap.text('stdout'), '');
      await dap.client.disconnectRequest({});
    });

    test('pause stops a spinning guest; restart runs the call again from the snapshot', async () => {
      const dap = await session();
      const launched = dap.client.waitForEvent('initialized');
      await dap.launch({ program: elf, function: 'Spin', timeoutMs: 60000 });
      await launched;
      await new Promise((resolve) => setTimeout(resolve, 200));
      const stop = await dap.stopAfter(() => dap.client.pauseRequest({ threadId: 1 }));
      assert.equal(stop.reason, 'pause');
      assert.equal((await dap.top()).name, 'Spin');
      const restarted = await dap.stopAfter(async () => {
        await dap.client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'Spin' }] });
        await dap.client.restartRequest({});
      });
      assert.equal(restarted.reason, 'function breakpoint');
      assert.equal((await dap.top()).name, 'Spin');
      await dap.client.disconnectRequest({});
    });

    test('run to the end: the guest\'s output, the returned value and the exit', async () => {
      const dap = await session();
      const exited = dap.client.waitForEvent('exited');
      const terminated = dap.client.waitForEvent('terminated');
      await dap.launch({ program: elf, function: 'Shapes', args: [3] });
      assert.equal(((await exited) as { body: { exitCode: number } }).body.exitCode, 0);
      await terminated;
      assert.equal(dap.text('stdout'), 'shapes');
      // d = 12 + 0, s = 144, + widths[2] + sides
      assert.match(dap.text('console'), /^Shapes => 150 \(\d+(\.\d+)? (µs|ms)\)\n$/m);
    });

    test('a guest fault stops with the exception in words', async () => {
      const dap = await session();
      const stop = await dap.stopAfter(() => dap.launch({ program: elf, function: 'Crash', args: [5] }));
      assert.equal(stop.reason, 'exception');
      assert.match(stop.text ?? '', new RegExp(`^null pointer dereference: read of address 0x0 in Crash \\(debuggee\\.c:${mark('crash')}\\)$`));
      const info = await dap.client.exceptionInfoRequest({ threadId: 1 });
      assert.equal(info.body.exceptionId, '#PF');
      assert.match(info.body.details?.stackTrace ?? '', /vector 14/);
      assert.match(info.body.details?.stackTrace ?? '', /CR2 \(fault address\): 0x0 \(read\)/);
      const top = await dap.top();
      assert.equal(top.name, 'Crash');
      assert.equal(top.line, mark('crash'));
      assert.equal((await dap.evaluate('depth')).result, '5');
      const ended = dap.client.waitForEvent('exited');
      await dap.client.continueRequest({ threadId: 1 });
      assert.equal(((await ended) as { body: { exitCode: number } }).body.exitCode, 1);
      assert.match(dap.text('stderr'), /GUEST_FAULT: guest function Crash faulted: null pointer dereference/);
    });
  });
}
