// The debug adapter on a Rust guest (test/guests/rust-types, rustc -O0), over stdio as VS Code
// drives it: a breakpoint in a .rs file, frames named by Rust path, locals printed as Rust values
// (a &str, a struct, integers) and expanded, line steps through a loop, expressions, the guest's
// printed output; and stopOnEntry, which stops in the guest_function! shim, then steps into the
// Rust function.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { buildRustTestGuest, rustSkip, rustTestSource } from './guests/build-rust-guests';
import { freshSessions, marks } from './support/dap';
import { needsKvm } from './support/kvm';

const SOURCE = rustTestSource('rust-types');
const mark = marks(SOURCE);

describe('debug adapter over stdio: a Rust guest', { skip: needsKvm || rustSkip }, () => {
  let elf: string;
  before(() => {
    elf = buildRustTestGuest('rust-types');
  });
  const session = freshSessions();

  test('a breakpoint in a .rs file, Rust frames and locals, line steps through a loop, the output', async () => {
    const dap = await session();
    const stop = await dap.launchToLine({ program: elf, function: 'Accumulate', args: [5, 'hi'] }, SOURCE, mark('loop body'));
    assert.equal(stop.reason, 'breakpoint');
    const frames = await dap.frames();
    assert.equal(frames[0].name, 'rust_types::accumulate');
    assert.equal(frames[0].source?.path, SOURCE);
    assert.equal(frames[0].line, mark('loop body'));
    assert.equal(frames[1].name, 'rust_types::Accumulate', 'the guest_function! shim, named like the guest function');

    let locals = await dap.values();
    assert.equal(locals.get('count'), '5');
    assert.equal(locals.get('label'), '"hi"', 'a &str shows its text');
    assert.equal(locals.get('point'), 'rust_types::Point {x: 5, y: -1}');
    assert.equal(locals.get('sum'), '0');
    assert.equal(locals.get('i'), '0');

    // The struct expands into its fields; the type column speaks Rust.
    const rows = await dap.variables((await dap.scope('Locals')).variablesReference);
    const point = rows.find((v) => v.name === 'point')!;
    assert.equal(point.type, 'rust_types::Point');
    assert.equal(rows.find((v) => v.name === 'label')?.type, '&str');
    assert.deepEqual((await dap.variables(point.variablesReference)).map((v) => `${v.name}=${v.value}`), ['x=5', 'y=-1']);
    assert.equal((await dap.evaluate('point.x')).result, '5');
    assert.equal((await dap.evaluate('label')).result, '"hi"');

    // Step by line until the loop body comes round again: i moved on, sum accumulated.
    const seen: number[] = [];
    for (let steps = 0; steps < 8; steps++) {
      await dap.stopAfter(() => dap.client.nextRequest({ threadId: 1 }));
      const top = await dap.top();
      assert.equal(top.name, 'rust_types::accumulate', 'next stays in the function');
      seen.push(top.line);
      if (top.line === mark('loop body')) break;
    }
    assert.equal(seen[seen.length - 1], mark('loop body'), `steps reached the loop body again (lines ${seen.join(', ')})`);
    assert.ok(seen.length > 1, 'the loop header came between');
    locals = await dap.values();
    assert.equal(locals.get('i'), '1');
    assert.equal(locals.get('sum'), '0');
    await dap.stopAfter(() => dap.client.continueRequest({ threadId: 1 }));
    locals = await dap.values();
    assert.equal(locals.get('i'), '2');
    assert.equal(locals.get('sum'), '2');

    // No more breakpoints: the call finishes, printing through HostPrint.
    await dap.client.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [] });
    const terminated = dap.client.waitForEvent('terminated');
    await dap.client.continueRequest({ threadId: 1 });
    await terminated;
    assert.equal(dap.text('stdout'), 'hi: 20 (Point { x: 5, y: -1 })\n');
    assert.match(dap.text('console'), /Accumulate => 20 \(/);
  });

  test('stopOnEntry stops in the guest_function! shim; step in enters the Rust function', async () => {
    const dap = await session();
    const stop = await dap.stopAfter(() => dap.launch({ program: elf, function: 'Inspect', args: [3], stopOnEntry: true }));
    assert.equal(stop.reason, 'entry');
    assert.equal((await dap.top()).name, 'rust_types::Inspect');
    assert.equal((await dap.values()).get('__a0'), '3', 'the shim\'s parameter, as the ABI passed it');
    await dap.stopAfter(() => dap.client.stepInRequest({ threadId: 1 }));
    const inside = await dap.top();
    assert.equal(inside.name, 'rust_types::inspect_entry');
    assert.equal(inside.source?.path, SOURCE);
    assert.equal((await dap.values()).get('n'), '3');
    await dap.client.disconnectRequest({});
  });

  test('Rust values expand: an enum into its variant\'s fields, a slice into its elements', async () => {
    const dap = await session();
    await dap.stopAfter(() => dap.launch({ program: elf, function: 'Inspect', args: [3] }, () =>
      dap.client.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: mark('crash call') }] })));
    assert.equal((await dap.top()).name, 'rust_types::inspect');
    const rows = await dap.variables((await dap.scope('Locals')).variablesReference);
    const row = (name: string) => rows.find((v) => v.name === name)!;
    const children = async (name: string) => (await dap.variables(row(name).variablesReference)).map((v) => `${v.name}=${v.value}`);
    assert.equal(row('opt').value, 'core::option::Option<i32>::Some(5)');
    assert.equal(row('opt').type, 'core::option::Option<i32>');
    assert.deepEqual(await children('opt'), ['0=5']);
    assert.equal(row('none').variablesReference, 0, 'None has nothing to expand');
    assert.deepEqual(await children('s2'), ['w=3', 'h=4']);
    assert.deepEqual(await children('s4'), ['0=-2', '1=true']);
    assert.deepEqual(await children('slice'), ['[0]=1', '[1]=2', '[2]=3']);
    assert.deepEqual(await children('data'), ['[0]=4', '[1]=5']);
    assert.deepEqual(await children('p'), ['x=1', 'y=2']);
    assert.equal(row('greeting').value, '"hello"');
    assert.deepEqual((await children('greeting')).map((c) => c.split('=')[0]), ['data_ptr', 'length']);
    await dap.client.disconnectRequest({});
  });
});
