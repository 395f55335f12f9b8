// C literal values and their types on x86-64: an unsuffixed decimal is the first of int, long
// (unsigned long, as gdb accepts) that holds it; hex and octal may also be unsigned int; u, l, ll
// suffixes narrow the choice. Floating literals are double, or float (f) / long double (l).
import type { BaseType } from '../dwarf';
import { C_TYPES } from './c-types';
import { EvaluationError } from './errors';
import { extendedFromDecimal, type Extended } from './extended';

function fits(value: bigint, type: BaseType): boolean {
  const bits = BigInt(type.byteSize * 8);
  const signed = type.name.startsWith('unsigned') === false;
  return signed ? value < 1n << (bits - 1n) : value < 1n << bits;
}

export function integerLiteral(text: string): { value: bigint; type: BaseType } {
  const match = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)(u|U)?(l|L|ll|LL)?(u|U)?$/.exec(text);
  if (!match || (match[2] && match[4])) throw new EvaluationError(`Invalid number "${text}".`);
  const digits = match[1];
  const value = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  if (value >= 1n << 64n) throw new EvaluationError('Numeric constant too large.');
  const unsigned = match[2] !== undefined || match[4] !== undefined;
  const longs = (match[3] ?? '').length;
  const decimal = /^[1-9]/.test(digits) || digits === '0';
  let candidates: BaseType[];
  if (longs === 2) candidates = unsigned ? [C_TYPES.unsignedLongLong] : [C_TYPES.longLong, C_TYPES.unsignedLongLong];
  else if (longs === 1) candidates = unsigned ? [C_TYPES.unsignedLong] : [C_TYPES.long, C_TYPES.unsignedLong];
  else if (unsigned) candidates = [C_TYPES.unsignedInt, C_TYPES.unsignedLong];
  else candidates = decimal ? [C_TYPES.int, C_TYPES.long, C_TYPES.unsignedLong] : [C_TYPES.int, C_TYPES.unsignedInt, C_TYPES.long, C_TYPES.unsignedLong];
  const type = candidates.find((t) => fits(value, t));
  if (!type) throw new EvaluationError('Numeric constant too large.');
  return { value, type };
}

export function floatLiteral(text: string): { value: number; type: BaseType; extended?: Extended } {
  // In a hex literal f is a digit, so a suffix can only follow the (decimal) binary exponent.
  const hasSuffix = /[fFlL]$/.test(text) && (!/^0[xX]/.test(text) || /[pP][+-]?\d+[fFlL]$/.test(text));
  const suffix = hasSuffix ? text.slice(-1).toLowerCase() : '';
  const body = suffix ? text.slice(0, -1) : text;
  const type = suffix === 'f' ? C_TYPES.float : suffix === 'l' ? C_TYPES.longDouble : C_TYPES.double;
  const hex = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(body);
  if (hex && (hex[1] !== '' || (hex[2] ?? '') !== '')) {
    const fraction = hex[2] ?? '';
    const mantissa = BigInt(`0x${hex[1] || '0'}${fraction}`);
    return { value: Number(mantissa) * 2 ** (Number(hex[3]) - 4 * fraction.length), type };
  }
  if (!/^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(body)) throw new EvaluationError(`Invalid number "${text}".`);
  // A long double literal is rounded once, from the decimal, to its 64-bit significand.
  return { value: Number(body), type, extended: suffix === 'l' ? extendedFromDecimal(body) : undefined };
}
