// DwarfFormatError: malformed or unsupported debug information, naming the section and offset.

export class DwarfFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DwarfFormatError';
  }
}

export { hex } from '../../../native/lib/hex';
