// Which guest function a line of a C source belongs to (the extension's CodeLens and "function
// under the cursor"), on the template and the test guests as they are written.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { declaredFunctions, functionAtLine } from '../extension/guest-functions';
import { repoRoot } from '../guest-templates/toolchain';

const read = (relative: string) => fs.readFileSync(path.join(repoRoot(), relative), 'utf8');

test('the c-hello template: each declaration, its definition, and the lines inside each', () => {
  const text = read('guest-templates/c-hello/hello.c');
  const lines = text.split('\n');
  const functions = declaredFunctions(text);
  assert.deepEqual(functions.map((f) => f.name), ['PrintOutput', 'Fibonacci', 'Add', 'DerefNull']);
  for (const fn of functions) {
    assert.match(lines[fn.declarationLine], new RegExp(`^MV_GUEST_FUNCTION\\(${fn.name},`));
    assert.match(lines[fn.definitionLine!], new RegExp(`\\b${fn.name}\\(`), `${fn.name}'s definition`);
  }
  assert.deepEqual(functions.find((f) => f.name === 'Add')?.types, ['i32', 'i32', 'i32']);
  const at = (needle: string) => functionAtLine(functions, lines.findIndex((l) => l.includes(needle)))?.name;
  assert.equal(at('return HostPrint(msg);'), 'PrintOutput');
  assert.equal(at('uint64_t next = a + b;'), 'Fibonacci');
  assert.equal(at('return a + b;'), 'Add');
  assert.equal(at('return *p;'), 'DerefNull');
  assert.equal(at('#include "microvm.h"'), undefined, 'outside every function');
});

test('a test guest with helpers between functions and comments that name functions', () => {
  const text = read('test/guests/debuggee.c');
  const lines = text.split('\n');
  const functions = declaredFunctions(text);
  assert.deepEqual(functions.map((f) => f.name), ['Accumulate', 'Shapes', 'Factorial', 'Spin', 'Crash', 'Smash']);
  const at = (mark: string) => functionAtLine(functions, lines.findIndex((l) => l.includes(`MARK: ${mark}`)))?.name;
  assert.equal(at('loop body'), 'Accumulate');
  assert.equal(at('call add_point'), 'Shapes');
  assert.equal(at('crash'), 'Crash');
  assert.equal(at('add_point body'), undefined, 'a helper is not a guest function');
});

test('the rust-hello template: guest_function! declarations and the fn each publishes', () => {
  const text = read('guest-templates/rust-hello/src/main.rs');
  const lines = text.split('\n');
  const functions = declaredFunctions(text);
  assert.deepEqual(functions.map((f) => f.name), ['PrintOutput', 'Fibonacci', 'Add', 'DerefNull', 'Panic']);
  assert.deepEqual(functions.find((f) => f.name === 'Add')?.types, ['i32', 'i32', 'i32']);
  for (const fn of functions) assert.match(lines[fn.definitionLine!], /^fn \w+\(/, `${fn.name}'s definition`);
  const at = (needle: string) => functionAtLine(functions, lines.findIndex((l) => l.includes(needle)))?.name;
  assert.equal(at('let next = a.wrapping_add(b);'), 'Fibonacci');
  assert.equal(at('unsafe { core::ptr::read_volatile(p) }'), 'DerefNull');
  assert.equal(at('#![no_std]'), undefined);
});

test('a recursive Rust function: the fn line, not the call in its body, starts its definition', () => {
  const text = ['fn fact(n: u64) -> u64 {', '    if n == 0 { 1 } else { n * fact(n - 1) }', '}', 'guest_function!(Fact = fact, u64, u64);'].join('\n');
  const [fn] = declaredFunctions(text);
  assert.equal(fn.definitionLine, 0);
  assert.equal(functionAtLine([fn], 1)?.name, 'Fact');
});
