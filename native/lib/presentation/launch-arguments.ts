// JSON arguments (a debug launch configuration's `args`) → guest values, by a function's signature.
// The rules follow JSON's types; the messages follow the text converter's (arguments.ts).
import type { FunctionSignature, GuestValue, ValueType } from '../types';
import {
  ArgumentError, argumentPlace, checkArgumentCount, checkFiniteFloat, checkNoNul, integerValue, isIntegerType, voidParameter,
} from './argument-checks';

/** The spellings of the floats JSON numbers cannot express (and of -0, which JSON writers lose). */
const FLOAT_STRINGS: ReadonlyMap<string, number> = new Map([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-0', -0],
]);

const HINTS: Readonly<Record<ValueType, string>> = {
  void: '',
  i32: 'an integral JSON number',
  u32: 'an integral JSON number',
  i64: 'an integral JSON number, or a decimal string such as "-9223372036854775808"',
  u64: 'an integral JSON number, or a decimal string such as "18446744073709551615"',
  f32: 'a JSON number, or "NaN", "Infinity", "-Infinity" or "-0"',
  f64: 'a JSON number, or "NaN", "Infinity", "-Infinity" or "-0"',
  bool: 'true or false',
  string: 'a JSON string',
  bytes: 'a hex string such as "0xdeadbeef"',
};

/** A JSON value as it appeared in the configuration, shortened: `"abc"`, `1.5`, `null`, `{"a":1}`. */
function shown(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // A cycle: not JSON, so not from a configuration; say what it is.
  }
  if (text === undefined) return typeof value;
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

function integerArgument(value: unknown, type: 'i32' | 'u32' | 'i64' | 'u64', where: string, expected: (hint?: string) => ArgumentError): GuestValue {
  const wide = type === 'i64' || type === 'u64';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw expected(Number.isNaN(value) || !Number.isFinite(value) ? undefined : 'not an integer');
    // Range first: 1e30 is out of range for every type, whatever its precision.
    const result = integerValue(BigInt(value), shown(value), type, where);
    if (wide && !Number.isSafeInteger(value)) {
      throw expected('beyond 2^53, where JSON numbers lose precision: give it as a decimal string');
    }
    return result;
  }
  // Decimal strings carry every i64/u64 exactly; narrower types have no need of them.
  if (wide && typeof value === 'string' && /^-?\d+$/.test(value)) return integerValue(BigInt(value), value, type, where);
  throw expected();
}

function floatArgument(value: unknown, type: 'f32' | 'f64', where: string, expected: () => ArgumentError): number {
  if (typeof value === 'number') {
    // JSON has no NaN; a NaN number can only come from code, and means NaN. An infinite number is
    // what a JSON reader makes of an overflowing literal such as 1e309, so it is an overflow.
    if (value === Infinity || value === -Infinity) {
      throw new ArgumentError(`${where}: the number is out of range for ${type} (for infinity give the string "${value}")`);
    }
    if (!Number.isNaN(value)) checkFiniteFloat(value, shown(value), type, where);
    return value;
  }
  if (typeof value === 'string') {
    const special = FLOAT_STRINGS.get(value);
    if (special !== undefined) return special;
  }
  throw expected();
}

function bytesArgument(value: unknown, expected: (hint?: string) => ArgumentError): Uint8Array {
  if (typeof value !== 'string' || !/^0x/i.test(value)) throw expected();
  const digits = value.slice(2);
  if (!/^[0-9a-f]*$/i.test(digits)) throw expected('0x then hex digits only');
  if (digits.length % 2 !== 0) throw expected('an odd number of hex digits; each byte takes two');
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

/**
 * Converts one JSON argument. `position` is 1-based and `functionName` names the function, both
 * only for the message: `argument 2 of Add: expected i32, got "abc" (an integral JSON number)`.
 */
export function convertJsonArgument(value: unknown, type: ValueType, position: number, functionName: string): GuestValue {
  const where = argumentPlace(position, functionName);
  // With no hint of its own, a message says what the type takes.
  const expected = (hint: string = HINTS[type]): ArgumentError => new ArgumentError(`${where}: expected ${type}, got ${shown(value)} (${hint})`);

  if (isIntegerType(type)) return integerArgument(value, type, where, expected);
  switch (type) {
    case 'f32':
    case 'f64':
      return floatArgument(value, type, where, () => expected());
    case 'bool':
      if (typeof value !== 'boolean') throw expected();
      return value;
    case 'string':
      if (typeof value !== 'string') throw expected();
      checkNoNul(value, where);
      return value;
    case 'bytes':
      return bytesArgument(value, expected);
    default:
      throw voidParameter(where);
  }
}

/** Converts a launch configuration's arguments, first checking that they are an array of the right length. */
export function convertJsonArguments(signature: FunctionSignature, values: readonly unknown[]): GuestValue[] {
  // The type says array, but the values come from a user's JSON file: say so if they are not.
  if (!Array.isArray(values)) {
    throw new ArgumentError(`the arguments of ${signature.name} must be a JSON array, got ${shown(values)}`);
  }
  checkArgumentCount(signature, values.length);
  return values.map((value, i) => convertJsonArgument(value, signature.paramTypes[i], i + 1, signature.name));
}
