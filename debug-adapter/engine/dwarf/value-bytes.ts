// The bytes of an object at a location description: memory, a register (little-endian, x86-64),
// a computed value, literal bytes, or pieces of those. Bytes that are optimized out or unreadable
// are marked unknown rather than invented.
import { registerSize } from '../shared/dwarf-registers';
import type { EvaluationContext, Location, SimpleLocation } from './expression';
import { hex } from './errors';

export interface ObjectBytes {
  readonly bytes: Uint8Array;
  /** Per byte, a mask of the bits that are known (0xff: the whole byte; 0: optimized out or synthetic). */
  readonly known: Uint8Array;
  /**
   * 1 where the byte belongs to an implicit pointer piece or lies past every piece of a composite
   * location; gdb prints such scalars as <synthetic pointer>.
   */
  readonly synthetic?: Uint8Array;
  /** Where the object lives in memory, when it does (for `&` and pointers into it). */
  readonly address?: bigint;
}

export interface ReadFailure {
  readonly kind: 'unavailable' | 'error';
  /** gdb-style reason: "optimized out", "Cannot access memory at address 0x...", ... */
  readonly reason: string;
}


function toBytes(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = BigInt.asUintN(Math.max(size, 1) * 8, value);
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function readSimple(location: SimpleLocation, size: number, ctx: EvaluationContext): ObjectBytes | ReadFailure {
  const problem = sizeProblem(size);
  if (problem) return problem;
  switch (location.kind) {
    case 'memory': {
      if (size === 0) return { bytes: new Uint8Array(0), known: new Uint8Array(0), address: location.address };
      const bytes = ctx.readMemory(location.address, size);
      if (!bytes || bytes.length < size) return { kind: 'error', reason: `Cannot access memory at address ${hex(location.address)}` };
      return { bytes: bytes.slice(0, size), known: new Uint8Array(size).fill(0xff), address: location.address };
    }
    case 'register': {
      const value = ctx.readRegister(location.regno);
      if (value === undefined) return { kind: 'unavailable', reason: 'register not available' };
      const regBytes = toBytes(value, registerSize(location.regno));
      const bytes = new Uint8Array(size);
      const known = new Uint8Array(size);
      bytes.set(regBytes.subarray(0, Math.min(size, regBytes.length)));
      known.fill(0xff, 0, Math.min(size, regBytes.length));
      return { bytes, known };
    }
    case 'value': {
      const width = location.size ?? 8;
      const bytes = new Uint8Array(size);
      bytes.set(toBytes(location.value, Math.min(width, size)));
      return { bytes, known: new Uint8Array(size).fill(0xff) };
    }
    case 'bytes': {
      const bytes = new Uint8Array(size);
      const known = new Uint8Array(size);
      bytes.set(location.bytes.subarray(0, size));
      known.fill(0xff, 0, Math.min(size, location.bytes.length));
      return { bytes, known };
    }
    case 'implicitPointer':
      return { kind: 'unavailable', reason: 'synthetic pointer (DW_OP_implicit_pointer: the object it points to has no address)' };
  }
}

/** Guest memory is at most 256 MiB: no object of a guest can be larger. */
export const MAX_OBJECT_SIZE = 256 * 1024 * 1024;

/**
 * Why `size` (from the type's DW_AT_byte_size and array bounds, or a piece's bits) cannot be read,
 * or undefined when it can: a size a file made negative or huge must not become an allocation.
 */
function sizeProblem(size: number): ReadFailure | undefined {
  if (!Number.isSafeInteger(size) || size < 0) return { kind: 'error', reason: `the object's size ${size} is not a byte count (a malformed DW_AT_byte_size or array bound)` };
  if (size > MAX_OBJECT_SIZE) return { kind: 'error', reason: `the object's size ${size} is larger than any guest's memory (${MAX_OBJECT_SIZE} bytes)` };
  return undefined;
}

/** Reads `size` bytes of the object at `location`. */
export function readObject(location: Location, size: number, ctx: EvaluationContext): ObjectBytes | ReadFailure {
  if (location.kind === 'unavailable') return { kind: 'unavailable', reason: location.reason };
  if (location.kind !== 'composite') return readSimple(location, size, ctx); // which checks the size
  const problem = sizeProblem(size);
  if (problem) return problem;
  const bytes = new Uint8Array(size);
  const known = new Uint8Array(size);
  const synthetic = new Uint8Array(size);
  let bit = 0;
  let anyKnown = false;
  for (const piece of location.pieces) {
    if (piece.location?.kind === 'implicitPointer') {
      markBits(synthetic, bit, piece.sizeBits, size);
    } else if (piece.location) {
      const sourceSize = Math.ceil((piece.offsetBits + piece.sizeBits) / 8);
      const part = readSimple(piece.location, sourceSize, ctx);
      if ('bytes' in part) {
        for (let i = 0; i < piece.sizeBits; i++) {
          const srcBit = piece.offsetBits + i;
          const dstBit = bit + i;
          if (dstBit >= size * 8) break;
          if (((part.known[srcBit >> 3] >> (srcBit & 7)) & 1) === 0) continue;
          const set = (part.bytes[srcBit >> 3] >> (srcBit & 7)) & 1;
          if (set) bytes[dstBit >> 3] |= 1 << (dstBit & 7);
          known[dstBit >> 3] |= 1 << (dstBit & 7);
          anyKnown = true;
        }
      } else if (part.kind === 'error') {
        return part;
      }
    }
    bit += piece.sizeBits;
  }
  // gdb treats the part of an object no piece describes like an implicit pointer.
  markBits(synthetic, bit, size * 8 - bit, size);
  if (!anyKnown && !synthetic.some((b) => b !== 0)) return { kind: 'unavailable', reason: 'optimized out' };
  return { bytes, known, synthetic };
}

function markBits(mask: Uint8Array, startBit: number, count: number, size: number): void {
  for (let b = startBit; b < startBit + count && b < size * 8; b++) mask[b >> 3] = 1;
}
