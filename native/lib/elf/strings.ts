// String tables (SHT_STRTAB): NUL-terminated UTF-8 names addressed by byte index.
import { ElfFormatError, hex } from './errors';

const utf8 = new TextDecoder('utf-8');

export class StringTable {
  /** `label` names the table in errors, e.g. `string table .strtab (section 34)`. */
  constructor(
    readonly bytes: Uint8Array,
    readonly label: string,
  ) {}

  /** The string at `index`; `user` names the referring field for the error message. */
  get(index: number, user: () => string): string {
    if (index >= this.bytes.length) {
      if (index === 0) return ''; // an empty table still resolves the empty name
      throw new ElfFormatError(`${user()} ${hex(index)} is outside ${this.label}, which is ${hex(this.bytes.length)} bytes`);
    }
    const end = this.bytes.indexOf(0, index);
    if (end < 0) {
      throw new ElfFormatError(`string at offset ${hex(index)} of ${this.label} is not NUL-terminated (${user()})`);
    }
    return utf8.decode(this.bytes.subarray(index, end));
  }
}
