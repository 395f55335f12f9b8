// The ELF64 file header (Elf64_Ehdr), including the extended numbering escape that stores large
// section/segment counts in section header 0.
import { ElfBytes } from './bytes';
import * as C from './constants';
import { ElfFormatError, hex } from './errors';

export interface ElfHeader {
  readonly osabi: number;
  readonly abiVersion: number;
  /** e_type: ET_EXEC, ET_DYN, ET_CORE, ... */
  readonly type: number;
  readonly machine: number;
  readonly version: number;
  readonly entry: bigint;
  readonly phoff: bigint;
  readonly shoff: bigint;
  readonly flags: number;
  readonly ehsize: number;
  readonly phentsize: number;
  /** Program header count, after resolving PN_XNUM. */
  readonly phnum: number;
  readonly shentsize: number;
  /** Section header count, after resolving e_shnum = 0 with e_shoff ≠ 0. */
  readonly shnum: number;
  /** Section name string table index, after resolving SHN_XINDEX. */
  readonly shstrndx: number;
}

const CLASS_NAMES: Record<number, string> = { 0: 'ELFCLASSNONE', 1: 'ELFCLASS32', 2: 'ELFCLASS64' };
const DATA_NAMES: Record<number, string> = { 0: 'ELFDATANONE', 1: 'ELFDATA2LSB', 2: 'ELFDATA2MSB' };

function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function checkIdent(file: ElfBytes): void {
  const magic = file.bytes.subarray(0, 4);
  if (magic.length < 4 || C.ELF_MAGIC.some((b, i) => magic[i] !== b)) {
    const seen = magic.length === 0 ? 'an empty file' : hexBytes(magic);
    throw new ElfFormatError(`bad ELF magic at offset 0x0: ${seen} (expected 7f 45 4c 46)`);
  }
  file.require(0, C.EI_NIDENT, () => `e_ident (${hex(C.EI_NIDENT)} bytes at offset 0x0)`);
  const cls = file.u8(C.EI_CLASS);
  if (cls !== C.ELFCLASS64) {
    throw new ElfFormatError(
      `e_ident[EI_CLASS] at offset ${hex(C.EI_CLASS)} is ${cls} (${CLASS_NAMES[cls] ?? 'invalid'}); only ELFCLASS64 (2) is supported`,
    );
  }
  const data = file.u8(C.EI_DATA);
  if (data !== C.ELFDATA2LSB) {
    throw new ElfFormatError(
      `e_ident[EI_DATA] at offset ${hex(C.EI_DATA)} is ${data} (${DATA_NAMES[data] ?? 'invalid'}); only little-endian ELFDATA2LSB (1) is supported`,
    );
  }
  const version = file.u8(C.EI_VERSION);
  if (version !== C.EV_CURRENT) {
    throw new ElfFormatError(`e_ident[EI_VERSION] at offset ${hex(C.EI_VERSION)} is ${version}; expected EV_CURRENT (1)`);
  }
}

export function parseElfHeader(file: ElfBytes): ElfHeader {
  checkIdent(file);
  file.require(0, C.ELF64_EHDR_SIZE, () => `file header (${hex(C.ELF64_EHDR_SIZE)} bytes at offset 0x0)`);
  const machine = file.u16(18);
  if (machine !== C.EM_X86_64) {
    throw new ElfFormatError(`e_machine at offset 0x12 is ${machine}; only EM_X86_64 (62) is supported`);
  }
  const phoff = file.u64(32);
  const shoff = file.u64(40);
  const phentsize = file.u16(54);
  const rawPhnum = file.u16(56);
  const shentsize = file.u16(58);
  const rawShnum = file.u16(60);
  const rawShstrndx = file.u16(62);
  if (rawPhnum !== 0 && phentsize !== C.ELF64_PHDR_SIZE) {
    throw new ElfFormatError(`e_phentsize at offset 0x36 is ${hex(phentsize)}; ELF64 program headers are 0x38 bytes`);
  }
  if (shoff !== 0n && shentsize !== C.ELF64_SHDR_SIZE) {
    throw new ElfFormatError(`e_shentsize at offset 0x3a is ${hex(shentsize)}; ELF64 section headers are 0x40 bytes`);
  }

  let phnum = rawPhnum;
  let shnum = rawShnum;
  let shstrndx = rawShstrndx;
  const extended = rawShnum === 0 || rawShstrndx === C.SHN_XINDEX || rawPhnum === C.PN_XNUM;
  if (shoff !== 0n && extended) {
    // Extended numbering: the real values live in section header 0.
    const at = file.require(shoff, C.ELF64_SHDR_SIZE, () => `section header 0 (e_shoff=${hex(shoff)})`);
    if (rawShnum === 0) shnum = toCount(file.u64(at + 32), `section header 0 sh_size (extended e_shnum) at offset ${hex(at + 32)}`);
    if (rawShstrndx === C.SHN_XINDEX) shstrndx = file.u32(at + 40);
    if (rawPhnum === C.PN_XNUM) phnum = file.u32(at + 44);
  } else if (shoff === 0n) {
    shnum = 0;
  }
  if (phnum !== 0 && phoff === 0n) {
    throw new ElfFormatError(`e_phoff at offset 0x20 is 0 but e_phnum is ${phnum}`);
  }
  if (shnum !== 0 && shstrndx !== C.SHN_UNDEF && shstrndx >= shnum) {
    throw new ElfFormatError(`e_shstrndx ${shstrndx} is not a valid section index (e_shnum ${shnum})`);
  }

  return {
    osabi: file.u8(C.EI_OSABI),
    abiVersion: file.u8(C.EI_ABIVERSION),
    type: file.u16(16),
    machine,
    version: file.u32(20),
    entry: file.u64(24),
    phoff,
    shoff,
    flags: file.u32(48),
    ehsize: file.u16(52),
    phentsize,
    phnum,
    shentsize,
    shnum,
    shstrndx,
  };
}

function toCount(value: bigint, what: string): number {
  if (value > 0xffffffffn) throw new ElfFormatError(`${what} is ${hex(value)}, not a plausible count`);
  return Number(value);
}
