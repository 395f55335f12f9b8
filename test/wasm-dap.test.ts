// The debug adapter on a Wasm module (the wasm-c-hello template, clang -O0): "program" is the
// .wasm; a breakpoint in the module's C source stops there, line steps follow the C lines, the
// call stack has the C function names and the Locals the Wasm parameters by their C names.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { DapSession } from './support/dap';
import { needsKvm } from './support/kvm';
import { buildWasmTestGuest, wasmHelloSource, wasmToolchainMissing } from './wasm-guests/build';

const SOURCE = wasmHelloSource();
const lineOf = (text: string): number => {
  const index = fs.readFileSync(SOURCE, 'utf8').split('\n').findIndex((line) => line.includes(text));
  assert.ok(index >= 0, `no line with ${text} in ${SOURCE}`);
  return index + 1;
};

describe('debug adapter: a Wasm module debugged in its C source', { skip: needsKvm || wasmToolchainMissing() }, () => {
  let wasm: string;
  let dap: DapSession | undefined;
  before(() => {
    wasm = buildWasmTestGuest('wasm-c-hello');
  });
  after(async () => dap?.stop());

  test('breakpoint in hello.c, the stack, the locals, steps by line', async () => {
    dap = await new DapSession().start();
    const body = lineOf('uint64_t next = a + b;');
    const stop = await dap.stopAfter(() => dap!.launch({ program: wasm, function: 'Fibonacci', args: [10] }, async () => {
      const set = await dap!.client.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: body }] });
      assert.equal(set.body.breakpoints[0].verified, true);
      assert.equal(set.body.breakpoints[0].line, body);
    }));
    assert.equal(stop.reason, 'breakpoint');
    const frames = await dap.frames();
    assert.equal(frames[0].name, 'Fibonacci');
    assert.equal(frames[0].source?.path, SOURCE);
    assert.equal(frames[0].line, body);
    assert.equal(frames[1].name, 'wasm_x_export_Fibonacci', 'the guest ABI entry the translator wrote');
    // The Wasm parameter, named after the C parameter by the module's DWARF.
    assert.equal((await dap.values()).get('n'), '10');
    assert.equal((await dap.evaluate('n * 2')).result, '20');

    // Line steps: the loop body, then back to the loop's condition.
    await dap.stopAfter(() => dap!.client.nextRequest({ threadId: 1 }));
    assert.equal((await dap.top()).line, lineOf('a = b;'));
    await dap.stopAfter(() => dap!.client.nextRequest({ threadId: 1 }));
    assert.equal((await dap.top()).line, lineOf('b = next;'));
    await dap.stopAfter(() => dap!.client.nextRequest({ threadId: 1 }));
    assert.equal((await dap.top()).line, lineOf('for (uint32_t i = 0; i < n; i++)'));
    const exited = dap.client.waitForEvent('exited');
    await dap.client.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [] });
    await dap.client.continueRequest({ threadId: 1 });
    await exited;
  });

  test('stopOnEntry stops in the Wasm function by its name; a trap stops as an abort naming it', async () => {
    await dap?.stop();
    dap = await new DapSession().start();
    const entry = await dap.stopAfter(() => dap!.launch({ program: wasm, function: 'Divide', args: [1, 0], stopOnEntry: true }));
    assert.equal(entry.reason, 'entry');
    const top = await dap.top();
    assert.equal(top.name, 'Divide');
    assert.equal(top.source?.path, SOURCE);
    assert.deepEqual([...(await dap.values())].filter(([name]) => name === 'a' || name === 'b'), [['a', '1'], ['b', '0']]);
    const trapped = await dap.stopAfter(() => dap!.client.continueRequest({ threadId: 1 }));
    assert.equal(trapped.reason, 'exception');
    assert.match(trapped.description ?? '', /wasm trap: integer divide by zero in Divide \(function \d+, offset 0x[0-9a-f]+\)/);
    const frames = await dap.frames();
    assert.ok(frames.some((f) => f.name === 'Divide' && f.source?.path === SOURCE && f.line === lineOf('return a / divisor;')), frames.map((f) => `${f.name}:${f.line}`).join(' '));
  });
});
