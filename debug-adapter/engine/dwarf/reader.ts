// ByteReader: little-endian cursor over one debug section with bounds-checked fixed-size,
// LEB128, string and offset reads. Every failure names the section and the offset.
import { DwarfFormatError, hex } from './errors';

const utf8 = new TextDecoder('utf-8');

export class ByteReader {
  readonly view: DataView;
  /** Current position within `bytes`. */
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly section: string,
    pos = 0,
    /** Exclusive end of the readable range (defaults to the end of `bytes`). */
    readonly end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
    if (end > bytes.length) throw new DwarfFormatError(`${section}: range end ${hex(end)} is past the section end ${hex(bytes.length)}`);
  }

  /** A reader over [start, end) of the same bytes, positioned at start. */
  sub(start: number, end: number): ByteReader {
    if (start < 0 || end > this.end || start > end) {
      throw new DwarfFormatError(`${this.section}: range ${hex(start)}..${hex(end)} is outside ${hex(0)}..${hex(this.end)}`);
    }
    return new ByteReader(this.bytes, this.section, start, end);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  private need(count: number, what: string): number {
    const at = this.pos;
    if (count < 0 || at + count > this.end) {
      throw new DwarfFormatError(`${this.section}: ${what} at offset ${hex(at)} runs past the end (${hex(this.end)})`);
    }
    this.pos = at + count;
    return at;
  }

  skip(count: number, what = 'data'): void {
    this.need(count, what);
  }

  u8(): number {
    return this.view.getUint8(this.need(1, 'u8'));
  }

  i8(): number {
    return this.view.getInt8(this.need(1, 'i8'));
  }

  u16(): number {
    return this.view.getUint16(this.need(2, 'u16'), true);
  }

  u24(): number {
    const at = this.need(3, 'u24');
    return this.bytes[at] | (this.bytes[at + 1] << 8) | (this.bytes[at + 2] << 16);
  }

  u32(): number {
    return this.view.getUint32(this.need(4, 'u32'), true);
  }

  u64(): bigint {
    return this.view.getBigUint64(this.need(8, 'u64'), true);
  }

  /** An unsigned value of 1, 2, 4 or 8 bytes. */
  unsigned(size: number): bigint {
    switch (size) {
      case 1:
        return BigInt(this.u8());
      case 2:
        return BigInt(this.u16());
      case 3:
        return BigInt(this.u24());
      case 4:
        return BigInt(this.u32());
      case 8:
        return this.u64();
      default:
        throw new DwarfFormatError(`${this.section}: unsupported ${size}-byte value at offset ${hex(this.pos)}`);
    }
  }

  /** A signed value of 1, 2, 4 or 8 bytes. */
  signed(size: number): bigint {
    return BigInt.asIntN(size * 8, this.unsigned(size));
  }

  /** An address of the unit's address size. */
  address(size: number): bigint {
    return this.unsigned(size);
  }

  /** A 4- or 8-byte section offset (32- or 64-bit DWARF). */
  offset(size: 4 | 8): bigint {
    return size === 4 ? BigInt(this.u32()) : this.u64();
  }

  uleb(): bigint {
    let result = 0n;
    let shift = 0n;
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.end) throw new DwarfFormatError(`${this.section}: ULEB128 at offset ${hex(start)} runs past the end`);
      const byte = this.bytes[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if ((byte & 0x80) === 0) return shift > 64n ? BigInt.asUintN(64, result) : result;
    }
  }

  sleb(): bigint {
    let result = 0n;
    let shift = 0n;
    let byte: number;
    const start = this.pos;
    do {
      if (this.pos >= this.end) throw new DwarfFormatError(`${this.section}: SLEB128 at offset ${hex(start)} runs past the end`);
      byte = this.bytes[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
    } while (byte & 0x80);
    if (byte & 0x40) result -= 1n << shift;
    return shift > 64n ? BigInt.asIntN(64, result) : result;
  }

  /** ULEB128 that must fit a JS number (counts, indexes, codes). */
  ulebNumber(what = 'ULEB128'): number {
    const start = this.pos;
    const value = this.uleb();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new DwarfFormatError(`${this.section}: ${what} at offset ${hex(start)} is too large (${hex(value)})`);
    return Number(value);
  }

  /** A NUL-terminated string (UTF-8). */
  cstring(): string {
    const start = this.pos;
    const nul = this.bytes.indexOf(0, start);
    if (nul < 0 || nul >= this.end) throw new DwarfFormatError(`${this.section}: string at offset ${hex(start)} has no terminating NUL`);
    this.pos = nul + 1;
    return utf8.decode(this.bytes.subarray(start, nul));
  }

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
      if (length > BigInt(Number.MAX_SAFE_INTEGER)) throw new DwarfFormatError(`${this.section}: 64-bit unit length at ${hex(at)} is too large`);
      return { length: Number(length), offsetSize: 8 };
    }
    if (first >= 0xfffffff0) throw new DwarfFormatError(`${this.section}: reserved unit length ${hex(first)} at offset ${hex(at)}`);
    return { length: first, offsetSize: 4 };
  }
}

/** The NUL-terminated string at `offset` of a string section. */
export function stringAt(bytes: Uint8Array, offset: number, section: string): string {
  if (offset < 0 || offset >= bytes.length) throw new DwarfFormatError(`${section}: string offset ${hex(offset)} is outside the section (size ${hex(bytes.length)})`);
  const nul = bytes.indexOf(0, offset);
  if (nul < 0) throw new DwarfFormatError(`${section}: string at offset ${hex(offset)} has no terminating NUL`);
  return utf8.decode(bytes.subarray(offset, nul));
}

export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}
