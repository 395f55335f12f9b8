// Decompression of SHF_COMPRESSED sections (an Elf64_Chdr followed by the compressed stream).
import { inflateSync } from 'node:zlib';
import { dataView } from './bytes';
import * as C from './constants';
import { ElfFormatError, hex } from './errors';

export interface CompressionHeader {
  readonly type: number;
  readonly size: bigint;
  readonly addralign: bigint;
}

export function parseCompressionHeader(raw: Uint8Array, what: string): CompressionHeader {
  if (raw.length < C.ELF64_CHDR_SIZE) {
    throw new ElfFormatError(`${what} is SHF_COMPRESSED but only ${hex(raw.length)} bytes, too small for its 0x18-byte Elf64_Chdr`);
  }
  const view = dataView(raw);
  return { type: view.getUint32(0, true), size: view.getBigUint64(8, true), addralign: view.getBigUint64(16, true) };
}

/** The uncompressed contents of a section whose raw bytes (`raw`) start with an Elf64_Chdr. */
export function decompressSection(raw: Uint8Array, what: string): Uint8Array {
  const header = parseCompressionHeader(raw, what);
  if (header.type === C.ELFCOMPRESS_ZSTD) {
    throw new ElfFormatError(
      `${what} is compressed with ELFCOMPRESS_ZSTD: zstd-compressed sections are unsupported (rebuild with -gz=zlib or run objcopy --decompress-debug-sections)`,
    );
  }
  if (header.type !== C.ELFCOMPRESS_ZLIB) {
    throw new ElfFormatError(`${what} has unknown compression type ch_type=${header.type} (expected ELFCOMPRESS_ZLIB)`);
  }
  if (header.size > BigInt(0x7fffffff)) {
    throw new ElfFormatError(`${what}: uncompressed size ch_size=${hex(header.size)} is too large`);
  }
  const expected = Number(header.size);
  let inflated: Uint8Array;
  try {
    // The output limit guards against a corrupt stream claiming far more than ch_size.
    inflated = inflateSync(raw.subarray(C.ELF64_CHDR_SIZE), { maxOutputLength: Math.max(expected, 1) });
  } catch (error) {
    throw new ElfFormatError(`${what}: zlib data is corrupt or larger than ch_size=${hex(header.size)} (${(error as Error).message})`);
  }
  if (inflated.length !== expected) {
    throw new ElfFormatError(`${what}: inflated to ${hex(inflated.length)} bytes but ch_size says ${hex(header.size)}`);
  }
  return new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength);
}
