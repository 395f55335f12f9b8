// Errors raised while decoding an ELF file. Messages name the field and the file offset so a
// malformed guest can be diagnosed without a hex editor.

/** A structural problem in an ELF file: truncated, out of range, or unsupported. */
export class ElfFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfFormatError';
  }
}

export { hex } from '../hex';
