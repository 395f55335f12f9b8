// Does a core file come from this program? Guests carry no build id, so the read-only segments of
// the program (code, constants) are compared with the bytes the core holds at their addresses: a
// rebuilt or different guest differs there, and a stack shown against the wrong code would lie.
import { ElfFile, elfConstants } from '../../../native/lib/elf';
import { hex } from '../../../native/lib/hex';
import { ElfSegmentMemory } from '../unwind';

const PAGE = 0x1000n;

/** Throws when the core was not written by `program` (loaded at `loadBias`); see coreMismatch. */
export function checkCoreMatchesProgram(core: ElfFile, program: ElfFile, loadBias: bigint, names: { program: string; coreDump: string }): void {
  const mismatch = coreMismatch(core, program, loadBias, names);
  if (mismatch !== undefined) throw new Error(mismatch);
}

/**
 * Why the core was not written by `program` loaded at `loadBias`, or undefined when every
 * read-only byte of the program the core holds is the same. For front ends that warn instead of
 * refusing.
 */
export function coreMismatch(core: ElfFile, program: ElfFile, loadBias: bigint, names: { program: string; coreDump: string }): string | undefined {
  const memory = new ElfSegmentMemory(core);
  const segments = program.programHeaders.filter((ph) => ph.type === elfConstants.PT_LOAD && ph.filesz > 0n && (ph.flags & elfConstants.PF_W) === 0);
  let compared = 0;
  for (const segment of segments) {
    const start = segment.vaddr + loadBias;
    const expected = program.bytes.subarray(Number(segment.offset), Number(segment.offset + segment.filesz));
    // Page by page: a core may hold a segment only in part, or a differently sized one.
    for (let at = 0; at < expected.length; ) {
      const address = start + BigInt(at);
      const length = Math.min(expected.length - at, Number(PAGE - (address % PAGE)));
      const dumped = memory.read(address, length);
      if (dumped) {
        compared++;
        const differs = expected.subarray(at, at + length).findIndex((byte, i) => byte !== dumped[i]);
        if (differs >= 0) {
          return `the core file ${names.coreDump} does not match the program ${names.program}: the program's ${(segment.flags & elfConstants.PF_X) !== 0 ? 'code' : 'read-only data'} ` +
            `at ${hex(address + BigInt(differs))} differs from what the core holds there. Was the guest rebuilt since the crash? Open the core with the ELF that produced it.`;
        }
      }
      at += length;
    }
  }
  if (compared === 0 && segments.length > 0) {
    return `the core file ${names.coreDump} holds none of the program ${names.program}'s segments (at load bias ${hex(loadBias)}): it was not written by this guest`;
  }
  return undefined;
}
