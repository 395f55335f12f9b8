/** `0x…` for addresses and codes in messages and JSON (JSON numbers cannot hold every 64-bit value). */
export function hex(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}
