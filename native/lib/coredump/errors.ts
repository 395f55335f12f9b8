// Errors raised while reading a core file's notes. The ELF structure itself is the ELF reader's
// (ElfFormatError); these are about what the notes hold.

/** A core-file note that is missing, truncated or malformed. */
export class CoreFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CoreFormatError';
  }
}
