// Signatures and guest values as people read them and as JSON carries them.
import type { FunctionSignature, GuestValue, ValueType } from '../types';

/** Any JSON value; what every `...ToJson` function here returns a part of. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** `PrintOutput(string) -> i32`, for guest and host functions alike. */
export function formatSignature(signature: FunctionSignature): string {
  return `${signature.name}(${signature.paramTypes.join(', ')}) -> ${signature.returnType}`;
}

export interface SignatureJson {
  readonly name: string;
  readonly returnType: ValueType;
  readonly paramTypes: ValueType[];
}

export function signatureToJson(signature: FunctionSignature): SignatureJson {
  return { name: signature.name, returnType: signature.returnType, paramTypes: [...signature.paramTypes] };
}

export function toHex(bytes: Uint8Array): string {
  return '0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** A number as JavaScript writes it, except that -0 keeps its sign (String(-0) is "0"). */
function numberText(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/** The shortest decimal that reads back as the same f32, so 0.1f prints as 0.1, not 0.10000000149011612. */
export function formatF32(value: number): string {
  if (!Number.isFinite(value) || value === 0) return numberText(value);
  for (let precision = 1; precision <= 9; precision++) {
    const text = value.toPrecision(precision);
    if (Math.fround(Number(text)) === value) return String(Number(text));
  }
  return String(value);
}

/** `850 µs`, `3.61 ms`, `1.20 s`: durations the way the demo and the extension show them. */
export function formatDuration(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toPrecision(3)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

/** A value as a person reads it: strings quoted, bytes as hex, void as `(void)`. */
export function formatValue(value: GuestValue, type?: ValueType): string {
  if (value === undefined || type === 'void') return '(void)';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Uint8Array) return toHex(value);
  if (typeof value === 'number') return type === 'f32' ? formatF32(value) : numberText(value);
  return String(value);
}

/**
 * A value JSON can carry without loss: i64/u64 as decimal strings (JSON numbers lose precision
 * past 2^53 in most readers), bytes as 0x hex, NaN/±Infinity and -0 as the strings "NaN",
 * "Infinity", "-Infinity" and "-0" (JSON has no NaN or infinity, and JSON.stringify writes -0 as
 * 0; the same spellings launch configurations take), void as null. With `type` 'f32' a number is
 * written with the fewest digits that read back as the same f32 (0.1, not 0.10000000149011612),
 * as the text shows it; rounding it to f32 gives the exact value.
 */
export function toJsonValue(value: GuestValue, type?: ValueType): JsonValue {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return toHex(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Object.is(value, -0)) return numberText(value);
    return type === 'f32' ? Number(formatF32(value)) : value;
  }
  return value;
}
