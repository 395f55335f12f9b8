// Bounds-checked little-endian access to the bytes of an ELF file. Every structure is range-checked
// once, with a description of what it is, before its fields are read; the field reads below then
// cannot run off the end. Views share the caller's buffer (zero-copy).
import { ElfFormatError, hex } from './errors';

export class ElfBytes {
  readonly bytes: Uint8Array;
  readonly size: number;
  private readonly view: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.size = bytes.byteLength;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * Checks that `length` bytes at `offset` lie inside the file and returns the offset as a number.
   * `what` describes the structure and its header fields, e.g. `section header 7 (sh_offset=0x40)`.
   */
  require(offset: bigint | number, length: bigint | number, what: () => string): number {
    const start = BigInt(offset);
    const end = start + BigInt(length);
    if (start < 0n || end > BigInt(this.size)) {
      throw new ElfFormatError(`${what()} extends past end of file (size ${hex(this.size)})`);
    }
    return Number(start);
  }

  u8(offset: number): number {
    return this.view.getUint8(offset);
  }

  u16(offset: number): number {
    return this.view.getUint16(offset, true);
  }

  u32(offset: number): number {
    return this.view.getUint32(offset, true);
  }

  u64(offset: number): bigint {
    return this.view.getBigUint64(offset, true);
  }

  /** A view (not a copy) of bytes already checked with `require`. */
  view8(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, offset + length);
  }
}

/** A DataView over any Uint8Array view without copying. */
export function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
