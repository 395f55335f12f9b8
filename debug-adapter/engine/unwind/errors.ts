// Errors of the CFI reader: a malformed or unsupported .eh_frame/.debug_frame or DWARF expression.
export class CfiFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CfiFormatError';
  }
}
