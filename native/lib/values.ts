// Checking JavaScript values against ABI types, and the 16-byte value slot of docs/guest-abi.md.
import type { GuestValue, ValueType } from './types';

export const TYPE_TAGS: Readonly<Record<ValueType, number>> = {
  void: 0, i32: 1, u32: 2, i64: 3, u64: 4, f32: 5, f64: 6, bool: 7, string: 8, bytes: 9,
};
const TAG_TYPES: readonly ValueType[] = ['void', 'i32', 'u32', 'i64', 'u64', 'f32', 'f64', 'bool', 'string', 'bytes'];

export function typeOfTag(tag: number): ValueType | undefined {
  return TAG_TYPES[tag];
}

export const SLOT_SIZE = 16;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'bigint') return `bigint ${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value;
}

const NUMBER_RANGES: Record<'i32' | 'u32' | 'i64' | 'u64', [number, number]> = {
  i32: [-(2 ** 31), 2 ** 31 - 1],
  u32: [0, 2 ** 32 - 1],
  i64: [-Infinity, Infinity],
  u64: [0, Infinity],
};

const RANGES: Partial<Record<ValueType, [bigint, bigint]>> = {
  i32: [-(2n ** 31n), 2n ** 31n - 1n],
  u32: [0n, 2n ** 32n - 1n],
  i64: [-(2n ** 63n), 2n ** 63n - 1n],
  u64: [0n, 2n ** 64n - 1n],
};

/**
 * Returns undefined when `value` is acceptable for `type`, else why not (e.g. "expected i32, got
 * string \"x\""). Integers must be integral and in range; 64-bit ones accept bigint or a safe integer.
 */
export function valueProblem(type: ValueType, value: unknown): string | undefined {
  switch (type) {
    case 'void':
      return value === undefined ? undefined : expected(type, value);
    case 'i32':
    case 'u32':
    case 'i64':
    case 'u64': {
      if (typeof value === 'number') {
        if (!Number.isInteger(value)) return `${expected(type, value)} (not an integer)`;
        if ((type === 'i64' || type === 'u64') && !Number.isSafeInteger(value)) return `${expected(type, value)} (beyond 2^53: pass a bigint)`;
        // Safe integers compare exactly as numbers; no BigInt on the hot path. Indexing, not
        // destructuring: destructuring runs the iterator protocol until the function is optimised.
        const range = NUMBER_RANGES[type];
        return value < range[0] || value > range[1] ? `${expected(type, value)} (out of range ${RANGES[type]![0]}..${RANGES[type]![1]})` : undefined;
      }
      if (typeof value !== 'bigint' || (type !== 'i64' && type !== 'u64')) return expected(type, value);
      const range = RANGES[type]!;
      return value < range[0] || value > range[1] ? `${expected(type, value)} (out of range ${range[0]}..${range[1]})` : undefined;
    }
    case 'f32':
    case 'f64':
      return typeof value === 'number' ? undefined : expected(type, value);
    case 'bool':
      return typeof value === 'boolean' ? undefined : expected(type, value);
    case 'string': {
      if (typeof value !== 'string') return expected(type, value);
      // C strings end at the first NUL: refuse rather than let the guest see a truncated string.
      const nul = value.indexOf('\0');
      return nul >= 0 ? `the string contains a NUL character at index ${nul}; pass bytes instead` : undefined;
    }
    case 'bytes':
      return value instanceof Uint8Array ? undefined : expected(type, value);
  }
}

/** The start of a valueProblem message; a function rather than a closure, as it runs for every argument of every call. */
function expected(type: ValueType, value: unknown): string {
  return `expected ${type}, got ${describe(value)}`;
}

/**
 * Writes `value`, a safe integer, at `at` as a little-endian 64-bit two's complement: the bytes
 * setBigInt64(BigInt(value)) writes, without creating a BigInt.
 */
export function writeSafeInteger64(view: DataView, at: number, value: number): void {
  const high = Math.floor(value / 4294967296); // exact: a division by a power of two
  view.setUint32(at, value - high * 4294967296, true);
  view.setInt32(at + 4, high, true);
}

/** Writes a slot whose payload is a scalar (everything but string and bytes). */
export function writeScalarSlot(view: DataView, offset: number, type: ValueType, value: GuestValue): void {
  // Tag byte, three zero bytes, zero u32 (the tag is below 256).
  view.setUint32(offset, TYPE_TAGS[type], true);
  view.setUint32(offset + 4, 0, true);
  const at = offset + 8;
  switch (type) {
    case 'i32':
    case 'i64':
    case 'u32':
    case 'u64':
      // The 64-bit two's complement for both signednesses; numbers skip the BigInt conversion.
      if (typeof value === 'number' && Number.isSafeInteger(value)) writeSafeInteger64(view, at, value);
      else if (type === 'i32' || type === 'i64') view.setBigInt64(at, BigInt(value as number | bigint), true);
      else view.setBigUint64(at, BigInt(value as number | bigint), true);
      break;
    case 'f32':
      view.setUint32(at, 0, true);
      view.setUint32(at + 4, 0, true);
      view.setFloat32(at, value as number, true);
      break;
    case 'f64':
      view.setFloat64(at, value as number, true);
      break;
    case 'bool':
      view.setUint32(at, value ? 1 : 0, true);
      view.setUint32(at + 4, 0, true);
      break;
    default:
      view.setUint32(at, 0, true);
      view.setUint32(at + 4, 0, true);
  }
}

export function writeDataSlot(view: DataView, offset: number, type: 'string' | 'bytes', length: number, address: bigint): void {
  view.setUint32(offset, TYPE_TAGS[type], true);
  view.setUint32(offset + 4, length, true);
  view.setBigUint64(offset + 8, address, true);
}

/** Reads a scalar slot value; the tag has been checked by the caller. */
export function readScalar(view: DataView, offset: number, type: ValueType): GuestValue {
  const at = offset + 8;
  // i32, u32 and bool are the low 32 bits (bool: the low byte) of the 64-bit payload.
  switch (type) {
    case 'i32': return view.getInt32(at, true);
    case 'u32': return view.getUint32(at, true);
    case 'i64': return view.getBigInt64(at, true);
    case 'u64': return view.getBigUint64(at, true);
    case 'f32': return view.getFloat32(at, true);
    case 'f64': return view.getFloat64(at, true);
    case 'bool': return view.getUint8(at) !== 0;
    default: return undefined;
  }
}

// One formatSignature for the whole host API; re-exported here because index.ts exports it from this module.
export { formatSignature } from './presentation/values';
