// Scalars to and from their little-endian x86-64 bytes: integers of any width, IEEE single and
// double, x87 80-bit extended (long double), and the 16-bit half and bfloat16 of vector registers.
// Floating values are JS numbers (double precision), so long double arithmetic is done in double
// precision; reading and printing a long double object keep all its bits.

export function readInteger(bytes: Uint8Array, size: number, signed: boolean, offset = 0): bigint {
  let value = 0n;
  for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[offset + i] ?? 0);
  return signed ? BigInt.asIntN(size * 8, value) : value;
}

export function integerBytes(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Which 16-bit format a 2-byte float is: vector registers name theirs. */
export type HalfFormat = 'half' | 'bfloat16';

export function decodeFloat(bytes: Uint8Array, size: number, half: HalfFormat = 'half'): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (size === 4) return view.getFloat32(0, true);
  if (size === 8) return view.getFloat64(0, true);
  if (size === 2) return half === 'bfloat16' ? bfloat16ToNumber(view.getUint16(0, true)) : halfToNumber(view.getUint16(0, true));
  if (size === 10 || size === 12 || size === 16) return x87ToNumber(readInteger(bytes, 10, false));
  throw new RangeError(`unsupported floating-point size ${size}`);
}

export function encodeFloat(value: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  if (size === 4) view.setFloat32(0, value, true);
  else if (size === 8) view.setFloat64(0, value, true);
  else if (size === 10 || size === 12 || size === 16) out.set(integerBytes(numberToX87(value), 10));
  else throw new RangeError(`unsupported floating-point size ${size}`);
  return out;
}

function scale(mantissa: number, exponent: number): number {
  // Two steps, so an intermediate power of two does not overflow or underflow on its own.
  const half = Math.trunc(exponent / 2);
  return mantissa * 2 ** half * 2 ** (exponent - half);
}

function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * scale(fraction, -24);
  return sign * scale(fraction | 0x400, exponent - 25);
}

function bfloat16ToNumber(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits << 16);
  return view.getFloat32(0);
}

function x87ToNumber(bits: bigint): number {
  const negative = (bits >> 79n) & 1n;
  const exponent = Number((bits >> 64n) & 0x7fffn);
  const mantissa = bits & ((1n << 64n) - 1n);
  const sign = negative ? -1 : 1;
  if (exponent === 0x7fff) return (mantissa & ((1n << 63n) - 1n)) === 0n ? sign * Infinity : NaN;
  return sign * scale(Number(mantissa), (exponent === 0 ? 1 : exponent) - 16383 - 63);
}

function numberToX87(value: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  let x87Exponent: bigint;
  let mantissa: bigint;
  if (exponent === 0x7ff) {
    x87Exponent = 0x7fffn;
    mantissa = (1n << 63n) | (fraction << 11n);
  } else if (exponent === 0) {
    if (fraction === 0n) return sign << 79n;
    // A double subnormal is a normal long double: shift its leading one up to bit 63.
    const top = fraction.toString(2).length - 1;
    x87Exponent = BigInt(top - 1074 + 16383);
    mantissa = fraction << BigInt(63 - top);
  } else {
    x87Exponent = BigInt(exponent - 1023 + 16383);
    mantissa = (1n << 63n) | (fraction << 11n);
  }
  return (sign << 79n) | (x87Exponent << 64n) | mantissa;
}
