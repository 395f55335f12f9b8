// Readers over the debug sections: the engine's one ByteReader (shared/byte-reader.ts), failing with
// DwarfFormatError, plus the string-section lookup.
import { ByteReader, decodeUtf8 } from '../shared/byte-reader';
import { DwarfFormatError, hex } from './errors';

export { ByteReader };

/** A reader over [pos, end) of a debug section (or an expression) whose failures are DwarfFormatErrors. */
export function dwarfReader(bytes: Uint8Array, section: string, pos = 0, end = bytes.length): ByteReader {
  return new ByteReader(bytes, section, DwarfFormatError, pos, end);
}

/** The NUL-terminated string at `offset` of a string section. */
export function stringAt(bytes: Uint8Array, offset: number, section: string): string {
  if (offset < 0 || offset >= bytes.length) throw new DwarfFormatError(`${section}: string offset ${hex(offset)} is outside the section (size ${hex(bytes.length)})`);
  const nul = bytes.indexOf(0, offset);
  if (nul < 0) throw new DwarfFormatError(`${section}: string at offset ${hex(offset)} has no terminating NUL`);
  return decodeUtf8(bytes.subarray(offset, nul));
}
