// Program headers (Elf64_Phdr): the segments a loader or a core file reader cares about.
import { ElfBytes } from './bytes';
import * as C from './constants';
import { hex } from './errors';
import { ElfHeader } from './header';

export interface ProgramHeader {
  readonly index: number;
  readonly type: number;
  readonly flags: number;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
  readonly align: bigint;
}

export function parseProgramHeaders(file: ElfBytes, header: ElfHeader): ProgramHeader[] {
  if (header.phnum === 0) return [];
  const table = file.require(
    header.phoff,
    BigInt(header.phnum) * BigInt(C.ELF64_PHDR_SIZE),
    () => `program header table (e_phoff=${hex(header.phoff)}, ${header.phnum} entries of 0x38 bytes)`,
  );
  const headers: ProgramHeader[] = [];
  for (let index = 0; index < header.phnum; index++) {
    const at = table + index * C.ELF64_PHDR_SIZE;
    const ph: ProgramHeader = {
      index,
      type: file.u32(at),
      flags: file.u32(at + 4),
      offset: file.u64(at + 8),
      vaddr: file.u64(at + 16),
      paddr: file.u64(at + 24),
      filesz: file.u64(at + 32),
      memsz: file.u64(at + 40),
      align: file.u64(at + 48),
    };
    if (ph.type !== C.PT_NULL && ph.filesz !== 0n) {
      file.require(ph.offset, ph.filesz, () => `program header ${index} (p_offset=${hex(ph.offset)}, p_filesz=${hex(ph.filesz)})`);
    }
    headers.push(ph);
  }
  return headers;
}
