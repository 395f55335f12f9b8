// DwarfFormatError: malformed or unsupported debug information, naming the section and offset.

export class DwarfFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DwarfFormatError';
  }
}

export function hex(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}
