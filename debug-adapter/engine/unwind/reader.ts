// A bounds-checked little-endian cursor over CFI and DWARF-expression bytes. Every read past the end
// throws a CfiFormatError naming what was being read, so a truncated table fails precisely.
import { CfiFormatError } from './errors';

export class ByteReader {
  private readonly view: DataView;
  /** Current position, relative to the start of `bytes`. */
  offset: number;

  constructor(readonly bytes: Uint8Array, offset = 0, readonly what = 'CFI') {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
  }

  get length(): number {
    return this.bytes.length;
  }

  get atEnd(): boolean {
    return this.offset >= this.bytes.length;
  }

  private take(size: number, label: string): number {
    const at = this.offset;
    if (at < 0 || at + size > this.bytes.length) {
      throw new CfiFormatError(`${this.what}: ${label} at offset 0x${at.toString(16)} runs past the end (0x${this.bytes.length.toString(16)} bytes)`);
    }
    this.offset = at + size;
    return at;
  }

  u8(label = 'u8'): number {
    return this.view.getUint8(this.take(1, label));
  }
  i8(label = 'i8'): number {
    return this.view.getInt8(this.take(1, label));
  }
  u16(label = 'u16'): number {
    return this.view.getUint16(this.take(2, label), true);
  }
  i16(label = 'i16'): number {
    return this.view.getInt16(this.take(2, label), true);
  }
  u32(label = 'u32'): number {
    return this.view.getUint32(this.take(4, label), true);
  }
  i32(label = 'i32'): number {
    return this.view.getInt32(this.take(4, label), true);
  }
  u64(label = 'u64'): bigint {
    return this.view.getBigUint64(this.take(8, label), true);
  }
  i64(label = 'i64'): bigint {
    return this.view.getBigInt64(this.take(8, label), true);
  }

  /** An unsigned value of 1, 2, 4 or 8 bytes. */
  unsigned(size: number, label = 'value'): bigint {
    switch (size) {
      case 1: return BigInt(this.u8(label));
      case 2: return BigInt(this.u16(label));
      case 4: return BigInt(this.u32(label));
      case 8: return this.u64(label);
      default: throw new CfiFormatError(`${this.what}: unsupported ${label} size ${size}`);
    }
  }

  uleb128(label = 'ULEB128'): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.u8(label);
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if ((byte & 0x80) === 0) return shift > 64n ? BigInt.asUintN(64, result) : result;
    }
  }

  sleb128(label = 'SLEB128'): bigint {
    let result = 0n;
    let shift = 0n;
    let byte: number;
    do {
      byte = this.u8(label);
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
    } while (byte & 0x80);
    if (byte & 0x40) result -= 1n << shift;
    return BigInt.asIntN(64, result);
  }

  /** A ULEB128 that must fit a JavaScript number (register numbers, lengths). */
  ulebNumber(label = 'ULEB128'): number {
    const value = this.uleb128(label);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new CfiFormatError(`${this.what}: ${label} ${value} is too large`);
    return Number(value);
  }

  /** A NUL-terminated string (Latin-1/ASCII, as augmentation strings are). */
  cstring(label = 'string'): string {
    const start = this.offset;
    const end = this.bytes.indexOf(0, start);
    if (end < 0) throw new CfiFormatError(`${this.what}: unterminated ${label} at offset 0x${start.toString(16)}`);
    this.offset = end + 1;
    return String.fromCharCode(...this.bytes.subarray(start, end));
  }

  /** `size` raw bytes (a view). */
  slice(size: number, label = 'block'): Uint8Array {
    const at = this.take(size, label);
    return this.bytes.subarray(at, at + size);
  }
}
