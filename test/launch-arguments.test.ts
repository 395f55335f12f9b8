// JSON arguments of a debug launch configuration → guest values (native/lib/presentation/
// launch-arguments.ts): every type's accepted forms, its edges, and the exact message for what it
// refuses. Pure: no VM.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ArgumentError, convertArguments, convertJsonArgument, convertJsonArguments } from '../native/lib/presentation';
import type { FunctionSignature, GuestValue, ValueType } from '../native/lib/types';

const ADD: FunctionSignature = { name: 'Add', returnType: 'i32', paramTypes: ['i32', 'i32'] };

/** Converts one argument as the first parameter of F. */
function convert(value: unknown, type: ValueType): GuestValue {
  return convertJsonArgument(value, type, 1, 'F');
}

/** Asserts that converting fails with an ArgumentError whose message is exactly `message`. */
function refuses(value: unknown, type: ValueType, message: string): void {
  assert.throws(
    () => convert(value, type),
    (e: unknown) => {
      assert.ok(e instanceof ArgumentError, `an ArgumentError, got ${String(e)}`);
      assert.equal(e.message, message);
      return true;
    },
  );
}

describe('convertJsonArgument: 32-bit integers', () => {
  test('integral JSON numbers within range', () => {
    assert.equal(convert(42, 'i32'), 42);
    assert.equal(convert(-2147483648, 'i32'), -2147483648);
    assert.equal(convert(2147483647, 'i32'), 2147483647);
    assert.equal(convert(0, 'u32'), 0);
    assert.equal(convert(4294967295, 'u32'), 4294967295);
    assert.equal(convert(1e3, 'i32'), 1000, 'exponent notation of an integer is an integer');
    assert.ok(Object.is(convert(-0, 'i32'), 0), '-0 becomes 0');
  });

  test('out of range, with the range as the text converter gives it', () => {
    refuses(2147483648, 'i32', 'argument 1 of F: 2147483648 is out of range for i32 (-2147483648..2147483647)');
    refuses(-2147483649, 'i32', 'argument 1 of F: -2147483649 is out of range for i32 (-2147483648..2147483647)');
    refuses(-1, 'u32', 'argument 1 of F: -1 is out of range for u32 (0..4294967295)');
    refuses(4294967296, 'u32', 'argument 1 of F: 4294967296 is out of range for u32 (0..4294967295)');
    refuses(1e30, 'i32', 'argument 1 of F: 1e+30 is out of range for i32 (-2147483648..2147483647)');
  });

  test('not integers, and not numbers', () => {
    refuses(1.5, 'i32', 'argument 1 of F: expected i32, got 1.5 (not an integer)');
    refuses(NaN, 'i32', 'argument 1 of F: expected i32, got NaN (an integral JSON number)');
    refuses(Infinity, 'u32', 'argument 1 of F: expected u32, got Infinity (an integral JSON number)');
    refuses('5', 'i32', 'argument 1 of F: expected i32, got "5" (an integral JSON number)');
    refuses(true, 'i32', 'argument 1 of F: expected i32, got true (an integral JSON number)');
    refuses(null, 'u32', 'argument 1 of F: expected u32, got null (an integral JSON number)');
    refuses([1], 'i32', 'argument 1 of F: expected i32, got [1] (an integral JSON number)');
    refuses({ value: 1 }, 'i32', 'argument 1 of F: expected i32, got {"value":1} (an integral JSON number)');
    refuses(5n, 'i32', 'argument 1 of F: expected i32, got 5n (an integral JSON number)');
  });
});

describe('convertJsonArgument: 64-bit integers', () => {
  test('safe JSON numbers become bigints', () => {
    assert.equal(convert(0, 'u64'), 0n);
    assert.equal(convert(-5, 'i64'), -5n);
    assert.equal(convert(Number.MAX_SAFE_INTEGER, 'i64'), 9007199254740991n);
    assert.equal(convert(Number.MIN_SAFE_INTEGER, 'i64'), -9007199254740991n);
    assert.equal(convert(-0, 'u64'), 0n);
  });

  test('decimal strings carry every value exactly, to the ends of the range', () => {
    assert.equal(convert('18446744073709551615', 'u64'), 18446744073709551615n);
    assert.equal(convert('0', 'u64'), 0n);
    assert.equal(convert('9223372036854775807', 'i64'), 9223372036854775807n);
    assert.equal(convert('-9223372036854775808', 'i64'), -9223372036854775808n);
    assert.equal(convert('9007199254740993', 'i64'), 9007199254740993n, 'a value a JSON number cannot hold');
    assert.equal(convert('-0', 'i64'), 0n);
    assert.equal(convert('007', 'u64'), 7n);
  });

  test('out of range, as strings and as numbers', () => {
    refuses('18446744073709551616', 'u64', 'argument 1 of F: 18446744073709551616 is out of range for u64 (0..18446744073709551615)');
    refuses('-1', 'u64', 'argument 1 of F: -1 is out of range for u64 (0..18446744073709551615)');
    refuses(-1, 'u64', 'argument 1 of F: -1 is out of range for u64 (0..18446744073709551615)');
    refuses('9223372036854775808', 'i64', 'argument 1 of F: 9223372036854775808 is out of range for i64 (-9223372036854775808..9223372036854775807)');
    refuses('-9223372036854775809', 'i64', 'argument 1 of F: -9223372036854775809 is out of range for i64 (-9223372036854775808..9223372036854775807)');
    refuses(1e20, 'u64', 'argument 1 of F: 100000000000000000000 is out of range for u64 (0..18446744073709551615)');
  });

  test('JSON numbers past 2^53 are refused: their precision is already lost', () => {
    refuses(2 ** 53, 'i64', 'argument 1 of F: expected i64, got 9007199254740992 (beyond 2^53, where JSON numbers lose precision: give it as a decimal string)');
    refuses(-(2 ** 53), 'i64', 'argument 1 of F: expected i64, got -9007199254740992 (beyond 2^53, where JSON numbers lose precision: give it as a decimal string)');
    refuses(18446744073709551615, 'u64', 'argument 1 of F: 18446744073709552000 is out of range for u64 (0..18446744073709551615)');
    refuses(2 ** 63, 'u64', 'argument 1 of F: expected u64, got 9223372036854776000 (beyond 2^53, where JSON numbers lose precision: give it as a decimal string)');
  });

  test('other strings and types', () => {
    const hint = '(an integral JSON number, or a decimal string such as "18446744073709551615")';
    refuses('0xff', 'u64', `argument 1 of F: expected u64, got "0xff" ${hint}`);
    refuses('', 'u64', `argument 1 of F: expected u64, got "" ${hint}`);
    refuses(' 5', 'u64', `argument 1 of F: expected u64, got " 5" ${hint}`);
    refuses('1e3', 'u64', `argument 1 of F: expected u64, got "1e3" ${hint}`);
    refuses('+5', 'u64', `argument 1 of F: expected u64, got "+5" ${hint}`);
    refuses(1.5, 'i64', 'argument 1 of F: expected i64, got 1.5 (not an integer)');
    refuses(null, 'i64', 'argument 1 of F: expected i64, got null (an integral JSON number, or a decimal string such as "-9223372036854775808")');
    refuses(false, 'u64', `argument 1 of F: expected u64, got false ${hint}`);
  });
});

describe('convertJsonArgument: floats', () => {
  test('JSON numbers, kept as given', () => {
    assert.equal(convert(1.5, 'f64'), 1.5);
    assert.equal(convert(0.1, 'f32'), 0.1, 'rounding to f32 is the host API\'s job, as for text');
    assert.equal(convert(-2e3, 'f32'), -2000);
    assert.equal(convert(3, 'f64'), 3);
    assert.equal(convert(Number.MAX_VALUE, 'f64'), Number.MAX_VALUE);
    assert.equal(convert(3.4028234663852886e38, 'f32'), 3.4028234663852886e38, 'the largest f32');
    assert.equal(convert(1e-50, 'f32'), 1e-50, 'underflow to zero is not an error');
    assert.ok(Object.is(convert(-0, 'f64'), -0), 'a JSON -0 stays -0');
    assert.ok(Number.isNaN(convert(NaN, 'f64') as number), 'a NaN number (from code, not JSON) is NaN');
  });

  test('the strings for what JSON numbers cannot say', () => {
    for (const type of ['f32', 'f64'] as const) {
      assert.ok(Number.isNaN(convert('NaN', type) as number));
      assert.equal(convert('Infinity', type), Infinity);
      assert.equal(convert('-Infinity', type), -Infinity);
      assert.ok(Object.is(convert('-0', type), -0));
    }
  });

  test('finite values that overflow the type are errors, as in the text converter', () => {
    refuses(1e39, 'f32', 'argument 1 of F: 1e+39 is out of range for f32');
    refuses(-3.5e38, 'f32', 'argument 1 of F: -3.5e+38 is out of range for f32');
    // What a JSON reader makes of 1e309.
    refuses(Infinity, 'f64', 'argument 1 of F: the number is out of range for f64 (for infinity give the string "Infinity")');
    refuses(-Infinity, 'f32', 'argument 1 of F: the number is out of range for f32 (for infinity give the string "-Infinity")');
  });

  test('other strings and types', () => {
    const hint = '(a JSON number, or "NaN", "Infinity", "-Infinity" or "-0")';
    refuses('1.5', 'f64', `argument 1 of F: expected f64, got "1.5" ${hint}`);
    refuses('nan', 'f64', `argument 1 of F: expected f64, got "nan" ${hint}`);
    refuses('inf', 'f32', `argument 1 of F: expected f32, got "inf" ${hint}`);
    refuses('+Infinity', 'f32', `argument 1 of F: expected f32, got "+Infinity" ${hint}`);
    refuses(null, 'f64', `argument 1 of F: expected f64, got null ${hint}`);
    refuses(true, 'f32', `argument 1 of F: expected f32, got true ${hint}`);
    refuses([1.5], 'f64', `argument 1 of F: expected f64, got [1.5] ${hint}`);
  });
});

describe('convertJsonArgument: bool, string, bytes, void', () => {
  test('bool takes only true and false', () => {
    assert.equal(convert(true, 'bool'), true);
    assert.equal(convert(false, 'bool'), false);
    refuses(1, 'bool', 'argument 1 of F: expected bool, got 1 (true or false)');
    refuses('true', 'bool', 'argument 1 of F: expected bool, got "true" (true or false)');
    refuses(null, 'bool', 'argument 1 of F: expected bool, got null (true or false)');
  });

  test('string takes any JSON string without NUL', () => {
    assert.equal(convert('', 'string'), '');
    assert.equal(convert(' a "b"\n', 'string'), ' a "b"\n');
    assert.equal(convert('héllo ✓', 'string'), 'héllo ✓');
    refuses('a\0b', 'string', 'argument 1 of F: a string cannot contain a NUL character');
    refuses(5, 'string', 'argument 1 of F: expected string, got 5 (a JSON string)');
    refuses(null, 'string', 'argument 1 of F: expected string, got null (a JSON string)');
    refuses(['a'], 'string', 'argument 1 of F: expected string, got ["a"] (a JSON string)');
  });

  test('bytes take a 0x hex string with an even number of digits', () => {
    assert.deepEqual(convert('0xdeadbeef', 'bytes'), Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
    assert.deepEqual(convert('0XDeadBEEF', 'bytes'), Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
    assert.deepEqual(convert('0x00ff', 'bytes'), Uint8Array.of(0, 255));
    assert.deepEqual(convert('0x', 'bytes'), new Uint8Array(0), '0x is empty bytes');
    assert.ok(convert('0x01', 'bytes') instanceof Uint8Array);
    refuses('0xabc', 'bytes', 'argument 1 of F: expected bytes, got "0xabc" (an odd number of hex digits; each byte takes two)');
    refuses('0xzz', 'bytes', 'argument 1 of F: expected bytes, got "0xzz" (0x then hex digits only)');
    refuses('0xde ad', 'bytes', 'argument 1 of F: expected bytes, got "0xde ad" (0x then hex digits only)');
    refuses('deadbeef', 'bytes', 'argument 1 of F: expected bytes, got "deadbeef" (a hex string such as "0xdeadbeef")');
    refuses('hex:dead', 'bytes', 'argument 1 of F: expected bytes, got "hex:dead" (a hex string such as "0xdeadbeef")');
    refuses([222, 173], 'bytes', 'argument 1 of F: expected bytes, got [222,173] (a hex string such as "0xdeadbeef")');
    refuses(null, 'bytes', 'argument 1 of F: expected bytes, got null (a hex string such as "0xdeadbeef")');
  });

  test('a void parameter is refused whatever the value', () => {
    refuses(null, 'void', 'argument 1 of F: a parameter cannot have type void');
  });

  test('long values are shortened in the message, and values JSON cannot write are named', () => {
    const long = 'x'.repeat(100);
    assert.throws(() => convert(long, 'i32'), /^ArgumentError: argument 1 of F: expected i32, got "x{58}… \(an integral JSON number\)$/);
    refuses(undefined, 'i32', 'argument 1 of F: expected i32, got undefined (an integral JSON number)');
    refuses(() => 1, 'bool', 'argument 1 of F: expected bool, got function (true or false)');
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    refuses(cyclic, 'string', 'argument 1 of F: expected string, got object (a JSON string)');
  });

  test('the position and function name are those given', () => {
    assert.throws(() => convertJsonArgument('abc', 'i32', 2, 'Add'), /^ArgumentError: argument 2 of Add: expected i32, got "abc" \(an integral JSON number\)$/);
  });
});

describe('convertJsonArguments', () => {
  test('converts every argument by the signature', () => {
    const sig: FunctionSignature = { name: 'Mix', returnType: 'void', paramTypes: ['i32', 'u64', 'f32', 'bool', 'string', 'bytes'] };
    assert.deepEqual(convertJsonArguments(sig, [-5, '18446744073709551615', 'NaN', true, 'hi', '0x01']), [
      -5, 18446744073709551615n, NaN, true, 'hi', Uint8Array.of(1),
    ]);
    assert.deepEqual(convertJsonArguments(ADD, JSON.parse('[1, 2]') as unknown[]), [1, 2]);
    assert.deepEqual(convertJsonArguments({ name: 'Nop', returnType: 'void', paramTypes: [] }, []), []);
  });

  test('a wrong count names the signature, with the text converter\'s message', () => {
    assert.throws(() => convertJsonArguments(ADD, [1]), /^ArgumentError: Add expects 2 arguments, got 1: Add\(i32, i32\) -> i32$/);
    assert.throws(() => convertJsonArguments(ADD, [1, 2, 3]), /^ArgumentError: Add expects 2 arguments, got 3: Add\(i32, i32\) -> i32$/);
    const one: FunctionSignature = { name: 'P', returnType: 'i32', paramTypes: ['string'] };
    assert.throws(() => convertJsonArguments(one, []), /^ArgumentError: P expects 1 argument, got 0: P\(string\) -> i32$/);
    // Same words as the text converter for the same mistake.
    const text = (() => { try { convertArguments(ADD, ['1']); } catch (e) { return (e as Error).message; } return ''; })();
    assert.throws(() => convertJsonArguments(ADD, [1]), (e: unknown) => e instanceof ArgumentError && e.message === text);
  });

  test('the failing argument is named by its 1-based position', () => {
    assert.throws(() => convertJsonArguments(ADD, [1, 'abc']), /^ArgumentError: argument 2 of Add: expected i32, got "abc" \(an integral JSON number\)$/);
    assert.throws(() => convertJsonArguments(ADD, [null, 1]), /^ArgumentError: argument 1 of Add: expected i32, got null \(an integral JSON number\)$/);
  });

  test('arguments that are not an array (from an untyped configuration) are refused', () => {
    const notArray = { a: 1 } as unknown as readonly unknown[];
    assert.throws(() => convertJsonArguments(ADD, notArray), /^ArgumentError: the arguments of Add must be a JSON array, got \{"a":1\}$/);
    assert.throws(() => convertJsonArguments(ADD, '1 2' as unknown as readonly unknown[]), /must be a JSON array, got "1 2"$/);
  });
});
