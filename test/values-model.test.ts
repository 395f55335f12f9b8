// Values beyond their text: children (names, paging, counts, unreadable ones), memory references
// and data-breakpoint locations, assignment through a writable in-memory machine (memory overlaid
// on the program's file image, registers in a map) with conversion, bitfields and partial
// registers, refusals (aggregates, non-lvalues, read-only targets), and gdb's error messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DebugInfo, NamedEntities } from '../debug-adapter/engine/dwarf';
import { ElfSegmentMemory } from '../debug-adapter/engine/unwind';
import { evaluate, EvaluationError, registerView, variablesInScope, variableValue, type EvaluationScope, type Value } from '../debug-adapter/engine/values';
import { buildFixture, EXTRA_BUILDS } from './fixtures/dwarf/builds';

// A non-PIE build: the file image holds the globals exactly as the process starts with them.
const program = buildFixture(EXTRA_BUILDS.find((b) => b.name === 'linux-gcc-O1-zlib-nopie')!);
const info = DebugInfo.fromFile(program);

interface FakeMachine {
  readonly scope: EvaluationScope;
  readonly registers: Map<number, bigint>;
  readonly written: Map<bigint, number>;
}

/** A stopped machine at `pc`: memory is the file image plus what was written; registers a map. */
function machine(options: { pc?: bigint; writable?: boolean; registers?: Record<string, bigint> } = {}): FakeMachine {
  const image = new ElfSegmentMemory(info.elf);
  const written = new Map<bigint, number>();
  const registers = new Map<number, bigint>();
  for (const [name, value] of Object.entries(options.registers ?? {})) registers.set(registerView(name)!.dwarf, value);
  const readMemory = (address: bigint, length: number): Uint8Array | undefined => {
    const base = image.read(address, length);
    const bytes = base ? Uint8Array.from(base) : new Uint8Array(length);
    let any = base !== undefined;
    for (let i = 0; i < length; i++) {
      const byte = written.get(address + BigInt(i));
      if (byte !== undefined) bytes[i] = byte;
      any ||= byte !== undefined;
    }
    return any ? bytes : undefined;
  };
  const pc = options.pc ?? NamedEntities.of(info).function('shape_score')!.address;
  const { variables, unit } = variablesInScope(info, pc, 0);
  const writable = options.writable ?? true;
  const scope: EvaluationScope = {
    info,
    frame: { pc, readRegister: (n) => registers.get(n), readMemory },
    variables,
    unit,
    readRegister: (name) => {
      const view = registerView(name);
      return view ? registers.get(view.dwarf) : undefined;
    },
    writeMemory: writable ? (address, bytes) => bytes.forEach((b, i) => written.set(address + BigInt(i), b)) : undefined,
    writeRegister: writable ? (regno, value) => void registers.set(regno, BigInt.asUintN(regno >= 17 && regno <= 32 ? 128 : 64, value)) : undefined,
    readOnlyReason: writable ? undefined : 'the core file is read-only',
  };
  return { scope, registers, written };
}

function errorOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof EvaluationError, `an EvaluationError, not ${String(error)}`);
    return error.message;
  }
  assert.fail('expected an EvaluationError');
}

function childNames(value: Value): string[] {
  return value.children().map((c) => c.name);
}

function addressOf(name: string): bigint {
  const found = info.globals().find((v) => v.name === name);
  assert.ok(found, name);
  const location = info.variableLocation(found, { pc: 0n, readRegister: () => undefined, readMemory: () => undefined });
  assert.equal(location.kind, 'memory');
  return (location as { address: bigint }).address;
}

test('children: members, elements of every dimension, pointees, anonymous members, paging', () => {
  const { scope } = machine();
  const nested = evaluate('nested_value', scope);
  assert.deepEqual(childNames(nested), ['p', 'n', 'inner', '<anonymous struct>', '<anonymous union>', 'arr', 'label', 'op', 'vp', 'fl', 'col', 'self']);
  const anonymous = nested.children(3, 1)[0].value;
  assert.equal(anonymous.text, '{c = 11, d = 12}');
  assert.deepEqual(anonymous.children().map((c) => [c.name, c.value.expression, c.value.text]), [['c', 'nested_value.c', '11'], ['d', 'nested_value.d', '12']]);
  const arr = nested.children(5, 1)[0].value;
  assert.deepEqual(childNames(arr), ['[0]', '[1]']);
  assert.deepEqual(arr.children(1, 1)[0].value.children().map((c) => [c.name, c.value.expression, c.value.text]), [
    ['[0]', 'nested_value.arr[1][0]', '4'],
    ['[1]', 'nested_value.arr[1][1]', '5'],
    ['[2]', 'nested_value.arr[1][2]', '6'],
  ]);
  // Bitfields are children like any member.
  assert.deepEqual(evaluate('flag_values[0]', scope).children().map((c) => `${c.name}=${c.value.text}`), ['ready=1', 'mode=7', 'level=-8', "tag=120 'x'"]);

  // A pointer to a complete type has one child, its pointee, named as gdb's `print *p`.
  const pointer = evaluate('shape_pointer', scope);
  assert.equal(pointer.childCount, 1);
  const [pointee] = pointer.children();
  assert.equal(pointee.name, '*shape_pointer');
  assert.equal(pointee.value.children(0, 1)[0].value.expression, 'shape_pointer->name');
  assert.equal(pointee.value.children(0, 1)[0].value.text, '"square\\000\\000\\000\\000\\000"');
  // Char pointers show the string and still expose the character.
  const text = evaluate('const_string', scope);
  assert.match(text.text, /^0x[0-9a-f]+ "const string"$/);
  assert.deepEqual(text.children().map((c) => [c.name, c.value.text]), [['*const_string', "99 'c'"]]);
  // No pointee for void and function pointers; a null pointer's pointee says why it has no value.
  assert.equal(evaluate('void_pointer', scope).childCount, 0);
  assert.equal(evaluate('single_function', scope).childCount, 0);
  assert.equal(evaluate('null_pointer', scope).children()[0].value.text, '<error: Cannot access memory at address 0x0>');

  // Paging: the count comes from the type; a page past the end is cut short.
  const big = evaluate('mostly_zero', scope);
  assert.equal(big.childCount, 300);
  assert.deepEqual(big.children(298, 10).map((c) => [c.name, c.value.text]), [['[298]', '0'], ['[299]', '1']]);
  assert.deepEqual(big.children(400, 5), []);
  assert.equal(evaluate('global_counter', scope).childCount, 0);
  assert.deepEqual(childNames(evaluate('$xmm0', machine({ registers: { xmm0: 0n } }).scope)), ['v8_bfloat16', 'v8_half', 'v4_float', 'v2_double', 'v16_int8', 'v8_int16', 'v4_int32', 'v2_int64', 'uint128']);
});

test('children of an unreadable object say why, and never throw', () => {
  const { scope } = machine();
  const bad = evaluate('(struct shape *)16', scope);
  const [pointee] = bad.children();
  assert.equal(pointee.value.text, '<error: Cannot access memory at address 0x10>');
  assert.equal(pointee.value.childCount, 10);
  const members = pointee.value.children();
  assert.equal(members[0].value.text, '<error: Cannot access memory at address 0x10>');
  assert.equal(members[5].name, 'next');
  assert.equal(members[5].value.text, '<error: Cannot access memory at address 0x40>');
  assert.equal(members[5].value.children()[0].value.text, '<error: Cannot access memory at address 0x40>');
  // A local whose frame memory is not there.
  const score = scope.variables.find((v) => v.name === 'score' && v.kind === 'local');
  assert.ok(score);
  assert.match(variableValue(scope, score).text, /^<error: Cannot access memory at address 0x[0-9a-f]+>$|^<optimized out>$/);
});

test('memory references and data-breakpoint locations', () => {
  const { scope } = machine();
  const counter = addressOf('global_counter');
  assert.equal(evaluate('global_counter', scope).memoryReference, counter);
  assert.deepEqual(evaluate('global_counter', scope).dataLocation, { address: counter, size: 4 });
  // A pointer's reference is the address it holds.
  assert.equal(evaluate('void_pointer', scope).memoryReference, counter);
  assert.equal(evaluate('&global_counter', scope).memoryReference, counter);
  assert.equal(evaluate('&global_counter', scope).dataLocation, undefined);
  const shapes = addressOf('global_shapes');
  assert.deepEqual(evaluate('global_shapes[1].corners[2]', scope).dataLocation, { address: shapes + 80n + 16n + 16n, size: 8 });
  // A bitfield's location is the bytes of its storage unit that hold it.
  assert.deepEqual(evaluate('flag_values[1].level', scope).dataLocation, { address: addressOf('flag_values') + 4n, size: 1 });
  assert.equal(evaluate('global_counter + 1', scope).memoryReference, undefined);
  assert.equal(evaluate('global_counter + 1', scope).dataLocation, undefined);
  assert.equal(evaluate('$rax', machine({ registers: { rax: 1n } }).scope).dataLocation, undefined);
});

test('assignment converts to the target type and writes memory', () => {
  const { scope } = machine();
  const set = (target: string, text: string): string => evaluate(target, scope).assign(text).text;
  assert.equal(set('global_counter', '42'), '42');
  assert.equal(evaluate('global_counter', scope).text, '42');
  assert.equal(set('global_counter', 'global_counter * 2 + 1'), '85');
  assert.equal(set('shorts[0]', '70000'), '4464');
  assert.equal(evaluate('shorts', scope).text, '{4464, 32767, -32768}');
  assert.equal(set('blob[0]', '-1'), "255 '\\377'");
  assert.equal(set('ulls[1]', '-1'), '18446744073709551615');
  assert.equal(set('lls[1]', '2.9e3'), '2900');
  assert.equal(set('doubles[1]', '1.0 / 4'), '0.25');
  assert.equal(set('floats[0]', '3'), '3');
  assert.equal(set('floats[1]', '0.1'), '0.100000001');
  assert.equal(set('ldoubles[2]', '-0.5'), '-0.5');
  assert.equal(set('bools[1]', '5'), 'true');
  assert.equal(set('bools[0]', '0'), 'false');
  // Enums by enumerator name or by number; pointers from addresses or integers.
  assert.equal(set('colors[0]', 'BLUE'), 'BLUE');
  assert.equal(set('colors[1]', '5'), 'GREEN');
  assert.equal(set('int_pointer', '&numbers[5]'), `(int *) 0x${(addressOf('numbers') + 20n).toString(16)} <numbers+20>`);
  assert.equal(evaluate('*int_pointer', scope).text, '1');
  assert.equal(set('void_pointer', '0x10'), '(void *) 0x10');
  assert.equal(set('text_escapes[0]', "'X'"), "88 'X'");
  assert.match(evaluate('text_escapes', scope).text, /^"Xab\\there/);
  // Through pointers, members and children.
  assert.equal(set('shape_pointer->corners[2].y', '-7'), '-7');
  assert.equal(evaluate('global_shapes[1].corners', scope).text, '{{x = 1, y = 1}, {x = 3, y = 1}, {x = 3, y = -7}}');
  const p = evaluate('nested_value', scope).children(0, 1)[0].value;
  assert.equal(p.children(1, 1)[0].value.assign('99').text, '99');
  assert.equal(evaluate('nested_value.p', scope).text, '{x = 3, y = 99}');
});

test('assignment to bitfields keeps the bits around them', () => {
  const { scope } = machine();
  assert.equal(evaluate('flag_values[0].mode', scope).assign('3').text, '3');
  assert.equal(evaluate('flag_values[0]', scope).text, "{ready = 1, mode = 3, level = -8, tag = 120 'x'}");
  assert.equal(evaluate('flag_values[0].level', scope).assign('-3').text, '-3');
  // 9 does not fit a signed 4-bit field: truncated as C does.
  assert.equal(evaluate('flag_values[0].level', scope).assign('9').text, '-7');
  assert.equal(evaluate('flag_values[0].ready', scope).assign('0').text, '0');
  assert.equal(evaluate('flag_values[0]', scope).text, "{ready = 0, mode = 3, level = -7, tag = 120 'x'}");
  assert.equal(evaluate('flag_values[1]', scope).text, '{ready = 0, mode = 0, level = 7, tag = 0 \'\\000\'}');
});

test('assignment to registers: whole, partial views, and DWARF register variables', () => {
  const { scope, registers } = machine({ registers: { rax: 0x1122334455667788n, rbx: 0n, rip: 0x401000n, eflags: 0x246n } });
  assert.equal(evaluate('$rax', scope).assign('5').text, '5');
  assert.equal(registers.get(0), 5n);
  assert.equal(evaluate('$rax', scope).assign('0x1122334455667788').text, '1234605616436508552');
  assert.equal(evaluate('$eax', scope).assign('-1').text, '-1');
  assert.equal(registers.get(0), 0x11223344ffffffffn);
  assert.equal(evaluate('$ah', scope).assign('0x12').text, '18');
  assert.equal(registers.get(0), 0x11223344ffff12ffn);
  assert.equal(evaluate('$eflags', scope).assign('$eflags | 1').text, '[ CF PF ZF IF ]');
  assert.equal(evaluate('$rflags', scope).text, '[ CF PF ZF IF ]');
  assert.equal(evaluate('$rflags & 0x40', scope).text, '64');
  assert.equal(evaluate('$pc', scope).assign('$pc + 4').text, '(void (*)()) 0x401004 <_init+4>');

  // A parameter in a register at a function's entry: `apply(op, a, b)`, a in rsi.
  const entry = NamedEntities.of(info).function('apply')!.address;
  const atEntry = machine({ pc: entry, registers: { rsi: 7n, rdi: 0n, rdx: 0n } });
  const a = atEntry.scope.variables.find((v) => v.name === 'a')!;
  const value = variableValue(atEntry.scope, a);
  assert.equal(value.text, '7');
  assert.equal(value.location.kind, 'register');
  assert.equal(value.dataLocation, undefined);
  assert.equal(value.assign('-2').text, '-2');
  assert.equal(atEntry.registers.get(4), 0xfffffffffffffffen & 0xffffffffn);
  assert.equal(errorOf(() => evaluate('&a', atEntry.scope)), 'Address requested for identifier "a" which is in register $rsi');
});

test('assignment refuses aggregates, non-lvalues, bad conversions and read-only targets', () => {
  const { scope } = machine();
  assert.match(errorOf(() => evaluate('global_shapes[0]', scope).assign('0')), /^cannot assign to global_shapes\[0\]: it is a struct \(struct shape\)/);
  assert.match(errorOf(() => evaluate('numbers', scope).assign('0')), /^cannot assign to numbers: it is an array \(int \[12\]\)/);
  assert.equal(errorOf(() => evaluate('global_counter + 1', scope).assign('3')), 'Left operand of assignment is not an lvalue.');
  assert.equal(errorOf(() => evaluate('int_pointer', scope).assign('1.5')), 'Invalid cast.');
  assert.equal(errorOf(() => evaluate('global_counter', scope).assign('nope')), 'No symbol "nope" in current context.');
  assert.equal(errorOf(() => evaluate('global_counter', scope).assign('1 +')), 'syntax error at column 4: unexpected end of expression');

  const readOnly = machine({ writable: false, registers: { rax: 1n } }).scope;
  const counter = addressOf('global_counter');
  assert.equal(errorOf(() => evaluate('global_counter', readOnly).assign('1')), `cannot write memory at 0x${counter.toString(16)}: the core file is read-only`);
  assert.equal(errorOf(() => evaluate('$rax', readOnly).assign('1')), 'cannot write register $rax: the core file is read-only');
  assert.equal(evaluate('global_counter', readOnly).text, '7');

  const failing: EvaluationScope = { ...scope, writeMemory: () => { throw new Error('the page is not writable'); } };
  assert.equal(errorOf(() => evaluate('global_counter', failing).assign('1')), `cannot write memory at 0x${counter.toString(16)}: the page is not writable`);
});

test('evaluation errors: what was wrong, in gdb\'s words where gdb has them', () => {
  const { scope } = machine({ registers: { rsp: 0x1000n } });
  const cases: Array<[string, string]> = [
    ['foo', 'No symbol "foo" in current context.'],
    ['global_counter + foo', 'No symbol "foo" in current context.'],
    ['10 / 0', 'Division by zero'],
    ['global_counter % (global_counter - 7)', 'Division by zero'],
    ['*null_pointer', 'Cannot access memory at address 0x0'],
    ['*(struct point *)0', 'Cannot access memory at address 0x0'],
    ['global_counter[1]', "cannot subscript something of type `int'"],
    ['global_counter.x', 'Attempt to extract a component of a value that is not a structure.'],
    ['null_pointer->x', 'Attempt to extract a component of a value that is not a structure pointer.'],
    ['nested_value.zz', 'There is no member named zz.'],
    ['(struct nosuch *)0', 'No struct type named nosuch.'],
    ['(struct point)1', 'Invalid cast.'],
    ['&1', 'Attempt to take address of value not located in memory.'],
    ['*void_pointer', 'Attempt to dereference a generic pointer.'],
    ['-shape_pointer', 'Argument to negate operation not a number.'],
    ['shape_pointer * 2', 'Argument to arithmetic operation not a number or boolean.'],
    ['1.5 % 2', 'Integer-only operation on floating point number.'],
    ['~1.5', 'Argument to complement operation not an integer, boolean.'],
    ['08', 'Invalid number "08".'],
    ['99999999999999999999', 'Numeric constant too large.'],
    ["'ab'", 'Invalid character constant.'],
    ['(1', "syntax error at column 3: expected ')' before the end of the expression"],
    ['numbers[1 2]', "syntax error at column 11: expected ']' before '2'"],
    ['1 +', 'syntax error at column 4: unexpected end of expression'],
    ['(int 3', "syntax error at column 6: expected ')' before '3'"],
    ['global_counter = 3', "assignment ('=' at column 16) is not supported in expressions: assign to the variable instead"],
    ['global_counter++', "'++' at column 15 is not supported: it would change the program"],
    ['plus(1, 2)', 'function calls (column 5) are not supported'],
    ['', 'syntax error at column 1: empty expression'],
    ['1 # 2', "syntax error at column 3: unexpected character '#'"],
  ];
  const actual = cases.map(([expression]) => [expression, errorOf(() => evaluate(expression, scope))]);
  assert.deepEqual(actual, cases);
  // A syntax error knows its column.
  try {
    evaluate('(1', scope);
  } catch (error) {
    assert.equal((error as EvaluationError).column, 3);
  }
});
