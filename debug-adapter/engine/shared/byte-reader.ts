// ByteReader: the one little-endian cursor of the debug engine, over a debug section, a CFI entry or
// a DWARF expression, with bounds-checked fixed-size, LEB128, string and offset reads. dwarf/ and
// unwind/ both read with it (dwarfReader, cfiReader); each passes the error class its callers catch
// (DwarfFormatError, CfiFormatError), so a failure is thrown as that class and names the section,
// what was being read and the offset: a truncated table fails precisely.
import { hex } from '../../../native/lib/hex';

const utf8 = new TextDecoder('utf-8');

/** The error a reader throws, e.g. DwarfFormatError. */
export type FormatErrorClass = new (message: string) => Error;

export class ByteReader {
  readonly view: DataView;
  /** Current position within `bytes`. */
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    /** The section or structure being read, the start of every error message. */
    readonly section: string,
    readonly Failure: FormatErrorClass,
    pos = 0,
    /** Exclusive end of the readable range (defaults to the end of `bytes`). */
    readonly end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
    if (end > bytes.length) throw this.error(`range end ${hex(end)} is past the section end ${hex(bytes.length)}`);
  }

  /** An error of this reader's class, its message prefixed with the section name. */
  error(message: string): Error {
    return new this.Failure(`${this.section}: ${message}`);
  }

  /** A reader over [start, end) of the same bytes, positioned at start. */
  sub(start: number, end: number): ByteReader {
    if (start < 0 || end > this.end || start > end) {
      throw this.error(`range ${hex(start)}..${hex(end)} is outside ${hex(0)}..${hex(this.end)}`);
    }
    return new ByteReader(this.bytes, this.section, this.Failure, start, end);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  private need(count: number, what: string): number {
    const at = this.pos;
    if (count < 0 || at < 0 || at + count > this.end) {
      throw this.error(`${what} at offset ${hex(at)} runs past the end (${hex(this.end)})`);
    }
    this.pos = at + count;
    return at;
  }

  skip(count: number, what = 'data'): void {
    this.need(count, what);
  }

  u8(what = 'u8'): number {
    return this.view.getUint8(this.need(1, what));
  }

  i8(what = 'i8'): number {
    return this.view.getInt8(this.need(1, what));
  }

  u16(what = 'u16'): number {
    return this.view.getUint16(this.need(2, what), true);
  }

  i16(what = 'i16'): number {
    return this.view.getInt16(this.need(2, what), true);
  }

  u24(what = 'u24'): number {
    const at = this.need(3, what);
    return this.bytes[at] | (this.bytes[at + 1] << 8) | (this.bytes[at + 2] << 16);
  }

  u32(what = 'u32'): number {
    return this.view.getUint32(this.need(4, what), true);
  }

  i32(what = 'i32'): number {
    return this.view.getInt32(this.need(4, what), true);
  }

  u64(what = 'u64'): bigint {
    return this.view.getBigUint64(this.need(8, what), true);
  }

  i64(what = 'i64'): bigint {
    return this.view.getBigInt64(this.need(8, what), true);
  }

  /** An unsigned value of 1, 2, 3, 4 or 8 bytes. */
  unsigned(size: number, what?: string): bigint {
    switch (size) {
      case 1:
        return BigInt(this.u8(what));
      case 2:
        return BigInt(this.u16(what));
      case 3:
        return BigInt(this.u24(what));
      case 4:
        return BigInt(this.u32(what));
      case 8:
        return this.u64(what);
      default:
        throw this.error(`unsupported ${size}-byte ${what ?? 'value'} at offset ${hex(this.pos)}`);
    }
  }

  /** A signed value of 1, 2, 3, 4 or 8 bytes. */
  signed(size: number, what?: string): bigint {
    return BigInt.asIntN(size * 8, this.unsigned(size, what));
  }

  /** An address of the unit's address size. */
  address(size: number): bigint {
    return this.unsigned(size);
  }

  /** A 4- or 8-byte section offset (32- or 64-bit DWARF). */
  offset(size: 4 | 8): bigint {
    return size === 4 ? BigInt(this.u32()) : this.u64();
  }

  uleb(what = 'ULEB128'): bigint {
    let result = 0n;
    let shift = 0n;
    const start = this.pos;
    for (;;) {
      if (this.pos < 0 || this.pos >= this.end) throw this.error(`${what} at offset ${hex(start)} runs past the end`);
      const byte = this.bytes[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if ((byte & 0x80) === 0) return shift > 64n ? BigInt.asUintN(64, result) : result;
    }
  }

  sleb(what = 'SLEB128'): bigint {
    let result = 0n;
    let shift = 0n;
    let byte: number;
    const start = this.pos;
    do {
      if (this.pos < 0 || this.pos >= this.end) throw this.error(`${what} at offset ${hex(start)} runs past the end`);
      byte = this.bytes[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
    } while (byte & 0x80);
    if (byte & 0x40) result -= 1n << shift;
    return shift > 64n ? BigInt.asIntN(64, result) : result;
  }

  /** ULEB128 that must fit a JS number (counts, indexes, codes, register numbers, lengths). */
  ulebNumber(what = 'ULEB128'): number {
    const start = this.pos;
    const value = this.uleb(what);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.error(`${what} at offset ${hex(start)} is too large (${hex(value)})`);
    return Number(value);
  }

  /** A NUL-terminated string (UTF-8). */
  cstring(what = 'string'): string {
    const start = this.pos;
    const nul = this.bytes.indexOf(0, start);
    if (nul < 0 || nul >= this.end) throw this.error(`${what} at offset ${hex(start)} has no terminating NUL`);
    this.pos = nul + 1;
    return utf8.decode(this.bytes.subarray(start, nul));
  }

  /** `count` raw bytes (a view, not a copy). */
  bytesOf(count: number, what = 'block'): Uint8Array {
    const at = this.need(count, what);
    return this.bytes.subarray(at, at + count);
  }

  /**
   * An initial length field: returns the unit length and the offset size (4 for 32-bit DWARF,
   * 8 for 64-bit DWARF after the 0xffffffff escape).
   */
  initialLength(): { length: number; offsetSize: 4 | 8 } {
    const at = this.pos;
    const first = this.u32();
    if (first === 0xffffffff) {
      const length = this.u64();
      if (length > BigInt(Number.MAX_SAFE_INTEGER)) throw this.error(`64-bit unit length at ${hex(at)} is too large`);
      return { length: Number(length), offsetSize: 8 };
    }
    if (first >= 0xfffffff0) throw this.error(`reserved unit length ${hex(first)} at offset ${hex(at)}`);
    return { length: first, offsetSize: 4 };
  }
}

/** UTF-8 text (strings of the debug sections). */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}
