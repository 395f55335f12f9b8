// Reads the Wasm binary encoding: bytes, LEB128 integers, floats, names, vectors. Every read is
// bounds-checked and a failure is a WasmError naming the offset, so a truncated or malformed
// module is a worded error, never an exception from a DataView or an endless loop.
import { WasmError } from './errors';

export class ByteReader {
  private position: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    /** One past the last byte this reader may read. */
    readonly end = bytes.length,
  ) {
    this.position = start;
  }

  get offset(): number {
    return this.position;
  }

  get atEnd(): boolean {
    return this.position >= this.end;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  fail(problem: string, offset = this.position): never {
    throw new WasmError(problem, { offset });
  }

  private need(count: number, what: string): void {
    if (count > this.end - this.position) {
      this.fail(`unexpected end of ${what}: ${count} byte${count === 1 ? '' : 's'} needed, ${Math.max(0, this.end - this.position)} left`);
    }
  }

  u8(what = 'data'): number {
    this.need(1, what);
    return this.bytes[this.position++];
  }

  skip(count: number, what = 'data'): void {
    this.need(count, what);
    this.position += count;
  }

  take(count: number, what = 'data'): Uint8Array {
    this.need(count, what);
    const slice = this.bytes.subarray(this.position, this.position + count);
    this.position += count;
    return slice;
  }

  /** An unsigned LEB128 of at most `bits` bits (u32 by default), as a number. */
  u32(what = 'integer', bits = 32): number {
    const start = this.position;
    let result = 0;
    let shift = 0;
    for (let i = 0; ; i++) {
      const byte = this.u8(what);
      if (i === Math.ceil(bits / 7) - 1) {
        // The last byte may only hold the bits that are left.
        const spare = byte >> (bits - shift);
        if ((byte & 0x80) !== 0 || spare !== 0) this.fail(`${what}: integer representation too long or too large`, start);
      }
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return result;
    }
  }

  /** A signed LEB128 of `bits` (32 or 64) bits, as a bigint. */
  sleb(bits: 32 | 64, what = 'integer'): bigint {
    const start = this.position;
    const maxBytes = Math.ceil(bits / 7);
    let result = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      if (i >= maxBytes) this.fail(`${what}: integer representation too long`, start);
      const byte = this.u8(what);
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if ((byte & 0x80) === 0) {
        if ((byte & 0x40) !== 0) result -= 1n << shift; // sign-extend
        // The unused bits of the last byte must repeat the sign: the value then fits `bits`.
        if (BigInt.asIntN(bits, result) !== result) this.fail(`${what}: integer too large for ${bits} bits`, start);
        return result;
      }
    }
  }

  s32(what = 'integer'): number {
    return Number(this.sleb(32, what));
  }

  /** A signed 33-bit LEB128 (block types): negative values are value types, others type indices. */
  s33(what = 'block type'): number {
    const start = this.position;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const byte = this.u8(what);
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) {
        if (byte & 0x40) result -= 2 ** shift;
        return result;
      }
    }
    return this.fail(`${what}: integer representation too long`, start);
  }

  f32Bits(): number {
    const b = this.take(4, 'f32 constant');
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }

  f64Bits(): bigint {
    const b = this.take(8, 'f64 constant');
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    return v;
  }

  /** A name: a length-prefixed UTF-8 string. */
  name(what = 'name'): string {
    const length = this.u32(`${what} length`);
    const start = this.position;
    const bytes = this.take(length, what);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return this.fail(`${what} is not valid UTF-8`, start);
    }
  }

  /** A vector: a u32 count, then `read` that many times. The count is checked against the bytes left. */
  vector<T>(what: string, read: (index: number) => T): T[] {
    const start = this.position;
    const count = this.u32(`${what} count`);
    // Every element takes at least one byte: a count beyond that is malformed (and would allocate).
    if (count > this.remaining) this.fail(`${what} count ${count} is larger than the ${this.remaining} bytes left`, start);
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(read(i));
    return items;
  }
}
