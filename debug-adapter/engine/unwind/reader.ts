// Readers over CFI and CFI expressions: the engine's one ByteReader (shared/byte-reader.ts), failing
// with CfiFormatError.
import { ByteReader } from '../shared/byte-reader';
import { CfiFormatError } from './errors';

export { ByteReader };

/** A reader over [pos, end) of CFI bytes; `what` (e.g. `.eh_frame CIE at 0x40`) starts every error. */
export function cfiReader(bytes: Uint8Array, what: string, pos = 0, end = bytes.length): ByteReader {
  return new ByteReader(bytes, what, CfiFormatError, pos, end);
}
