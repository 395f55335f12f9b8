// What the ELF file says about addresses, for the DWARF layer: which link-time addresses are code
// (debug info of code the linker discarded stays behind at address 0 or a tombstone), and gdb's
// <symbol+offset> name for an address inside a defined symbol.
import { elfConstants as C, type ElfFile, type ElfSymbol } from '../../../native/lib/elf';

export class CodeMap {
  private code?: Array<{ low: bigint; high: bigint }>;
  private symbols?: ElfSymbol[];

  constructor(private readonly elf: ElfFile) {}

  /**
   * Whether a link-time address is in an executable section (or, without section headers, an
   * executable PT_LOAD). With neither, every address counts.
   */
  isCode(link: bigint): boolean {
    this.code ??= this.codeRanges();
    return this.code.length === 0 || this.code.some((r) => link >= r.low && link < r.high);
  }

  private codeRanges(): Array<{ low: bigint; high: bigint }> {
    const sections = this.elf.sections.filter((s) => (s.flags & C.SHF_EXECINSTR) !== 0n && (s.flags & C.SHF_ALLOC) !== 0n && s.size > 0n);
    if (sections.length > 0) return sections.map((s) => ({ low: s.addr, high: s.addr + s.size }));
    const segments = this.elf.programHeaders.filter((p) => p.type === C.PT_LOAD && (p.flags & C.PF_X) !== 0);
    return segments.map((p) => ({ low: p.vaddr, high: p.vaddr + p.memsz }));
  }

  /**
   * gdb's <symbol+offset> for a link-time address: the closest defined symbol at or below it in
   * the same section, if the address is inside it (or it has no size).
   */
  symbolize(link: bigint): string | undefined {
    const section = this.elf.sections.find((s) => (s.flags & C.SHF_ALLOC) !== 0n && link >= s.addr && link < s.addr + s.size);
    if (!section) return undefined;
    this.symbols ??= this.elf
      .allSymbols()
      .filter((s) => s.index !== 0 && s.name !== '' && s.type !== C.STT_FILE && s.type !== C.STT_SECTION && s.type !== C.STT_TLS && s.sectionIndex !== C.SHN_UNDEF && s.sectionIndex < C.SHN_LORESERVE);
    let best: ElfSymbol | undefined;
    for (const s of this.symbols) {
      if (s.sectionIndex !== section.index || s.value > link) continue;
      if (!best || s.value > best.value || (s.value === best.value && rank(s) < rank(best))) best = s;
    }
    if (!best) return undefined;
    if (best.size !== 0n && link >= best.value + best.size) return undefined;
    const offset = link - best.value;
    return offset === 0n ? best.name : `${best.name}+${offset}`;
  }

  /** `length` bytes of the file at a link-time address. */
  bytesAt(link: bigint, length: number): Uint8Array | undefined {
    return this.elf.bytesAt(link, length);
  }
}

/** gdb prefers global over weak over local symbols at one address; sized over unsized. */
function rank(s: ElfSymbol): number {
  const bind = s.bind === C.STB_GLOBAL ? 0 : s.bind === C.STB_WEAK ? 1 : 2;
  return (s.size === 0n ? 3 : 0) + bind;
}
