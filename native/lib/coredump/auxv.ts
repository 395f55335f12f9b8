// NT_AUXV: the auxiliary vector, (type, value) u64 pairs ending with AT_NULL. gdb compares AT_ENTRY
// with the ELF's e_entry to find a PIE's load address, and reads AT_PHDR/AT_PHNUM to check it.
// The AT_* numbers are native/lib/elf/constants.ts's.
import { AT_NULL } from '../elf/constants';

export function encodeAuxv(entries: readonly (readonly [number, bigint])[]): Uint8Array {
  const all = [...entries, [AT_NULL, 0n] as const];
  const bytes = new Uint8Array(all.length * 16);
  const view = new DataView(bytes.buffer);
  all.forEach(([type, value], i) => {
    view.setBigUint64(i * 16, BigInt(type), true);
    view.setBigUint64(i * 16 + 8, BigInt.asUintN(64, value), true);
  });
  return bytes;
}

export function decodeAuxv(desc: Uint8Array): Map<number, bigint> {
  const view = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
  const entries = new Map<number, bigint>();
  for (let at = 0; at + 16 <= desc.length; at += 16) {
    const type = Number(view.getBigUint64(at, true));
    if (type === AT_NULL) break;
    entries.set(type, view.getBigUint64(at + 8, true));
  }
  return entries;
}
