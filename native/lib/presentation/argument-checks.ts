// What the text and JSON argument converters share, so that their rules and messages agree.
import type { FunctionSignature, ValueType } from '../types';
import { formatSignature } from './values';

/** An argument (text or JSON) that does not fit the function's signature. */
export class ArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentError';
  }
}

export type IntegerType = 'i32' | 'u32' | 'i64' | 'u64';

export const INTEGER_RANGES: Readonly<Record<IntegerType, readonly [bigint, bigint]>> = {
  i32: [-(2n ** 31n), 2n ** 31n - 1n],
  u32: [0n, 2n ** 32n - 1n],
  i64: [-(2n ** 63n), 2n ** 63n - 1n],
  u64: [0n, 2n ** 64n - 1n],
};

export function isIntegerType(type: ValueType): type is IntegerType {
  return type === 'i32' || type === 'u32' || type === 'i64' || type === 'u64';
}

/** `argument 2 of Add`: where every per-argument message starts. `position` is 1-based. */
export function argumentPlace(position: number, functionName: string): string {
  return `argument ${position} of ${functionName}`;
}

/** Range-checks an integer and returns it as the host API wants it: bigint for i64/u64, else number. */
export function integerValue(value: bigint, shown: string, type: IntegerType, where: string): number | bigint {
  const [min, max] = INTEGER_RANGES[type];
  if (value < min || value > max) throw new ArgumentError(`${where}: ${shown} is out of range for ${type} (${min}..${max})`);
  return type === 'i64' || type === 'u64' ? value : Number(value);
}

/**
 * For a value written as a finite number: a literal that only overflows when stored (1e39 as f32,
 * 1e309 as f64) is an error, not infinity. Infinity and NaN themselves are spelled out.
 */
export function checkFiniteFloat(value: number, shown: string, type: 'f32' | 'f64', where: string): void {
  const stored = type === 'f32' ? Math.fround(value) : value;
  if (!Number.isFinite(stored)) throw new ArgumentError(`${where}: ${shown} is out of range for ${type}`);
}

export function checkNoNul(text: string, where: string): void {
  if (text.includes('\0')) throw new ArgumentError(`${where}: a string cannot contain a NUL character`);
}

export function voidParameter(where: string): ArgumentError {
  return new ArgumentError(`${where}: a parameter cannot have type void`);
}

/** Throws unless `given` arguments match the signature's parameter count; the message shows the signature. */
export function checkArgumentCount(signature: FunctionSignature, given: number): void {
  const want = signature.paramTypes.length;
  if (given !== want) {
    throw new ArgumentError(`${signature.name} expects ${want} argument${want === 1 ? '' : 's'}, got ${given}: ${formatSignature(signature)}`);
  }
}
