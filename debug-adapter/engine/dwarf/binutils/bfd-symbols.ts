// The ELF symbol fallback of binutils addr2line: symbols as BFD canonicalises them (section-relative
// values, BSF_* flags) and `_bfd_elf_find_function`, which names the function covering an address
// (and, for a local symbol, the source file of the STT_FILE symbol before it). The search keeps a
// one-entry cache across queries exactly as BFD does, because its answers depend on it.
import { elfConstants as C, type ElfFile, type ElfSymbol, type SectionHeader } from '../../../../native/lib/elf';

export interface BfdSymbol {
  readonly name: string;
  /** st_value minus the vma of the symbol's section (BFD's section-relative value). */
  readonly value: bigint;
  readonly size: bigint;
  readonly type: number;
  readonly visibility: number;
  /** Index of the section the symbol is defined in; undefined for UNDEF/ABS/COMMON. */
  readonly section: number | undefined;
  readonly local: boolean;
  /** BSF_GLOBAL: STB_GLOBAL and defined. */
  readonly global: boolean;
  /** BSF_FUNCTION: STT_FUNC only (BFD does not set it for STT_GNU_IFUNC). */
  readonly isFunction: boolean;
  readonly isFile: boolean;
  /** Kinds maybe_function_sym never accepts: section, file, object, TLS symbols. */
  readonly neverFunction: boolean;
}

/** addr2line's symbol table: .symtab, or .dynsym when .symtab is missing or empty. */
export function bfdSymbols(elf: ElfFile): BfdSymbol[] {
  const table = (type: number): ElfSymbol[] => elf.sectionsOfType(type).flatMap((s) => elf.symbols(s).filter((sym) => sym.index !== 0));
  let symbols = table(C.SHT_SYMTAB);
  if (symbols.length === 0) symbols = table(C.SHT_DYNSYM);
  return symbols.map((sym) => toBfd(sym, elf.sections));
}

function toBfd(sym: ElfSymbol, sections: readonly SectionHeader[]): BfdSymbol {
  const special = sym.sectionIndex === C.SHN_UNDEF || sym.sectionIndex >= C.SHN_LORESERVE;
  const section = special ? undefined : sections[sym.sectionIndex];
  return {
    name: sym.name,
    value: section ? sym.value - section.addr : sym.value,
    size: sym.size,
    type: sym.type,
    visibility: sym.visibility,
    section: section?.index,
    local: sym.bind === C.STB_LOCAL,
    global: sym.bind === C.STB_GLOBAL && sym.sectionIndex !== C.SHN_UNDEF && sym.sectionIndex !== C.SHN_COMMON,
    isFunction: sym.type === C.STT_FUNC,
    isFile: sym.type === C.STT_FILE,
    neverFunction: sym.type === C.STT_SECTION || sym.type === C.STT_FILE || sym.type === C.STT_OBJECT || sym.type === C.STT_COMMON || sym.type === C.STT_TLS,
  };
}

export interface FoundFunction {
  readonly symbol: BfdSymbol;
  /** Name of the STT_FILE symbol that owns it (local symbols, or before any global). */
  readonly filename: string | undefined;
}

interface Candidate {
  symbol: BfdSymbol;
  codeOff: bigint;
  codeSize: bigint;
}

/** `_bfd_elf_find_function` with BFD's cache: create one per addr2line run and query in order. */
export class FunctionFinder {
  private lastSection: number | undefined;
  private best: Candidate | undefined;
  private filename: string | undefined;

  constructor(private readonly symbols: readonly BfdSymbol[]) {}

  /** The function symbol covering `offset` (relative to section `section`), if any. */
  find(section: number, offset: bigint): FoundFunction | undefined {
    const cached = this.best;
    if (this.lastSection !== section || !cached || offset < cached.symbol.value || offset >= cached.symbol.value + cached.codeSize) {
      this.scan(section, offset);
    }
    return this.best ? { symbol: this.best.symbol, filename: this.filename } : undefined;
  }

  private scan(section: number, offset: bigint): void {
    this.lastSection = section;
    this.best = undefined;
    this.filename = undefined;
    let file: BfdSymbol | undefined;
    let state: 'nothing' | 'symbol' | 'file-after-symbol' = 'nothing';
    let best: Candidate | undefined;
    // The cache starts zeroed: code_off 0 and code_size 0 take part in the comparisons.
    let bestOff = 0n;
    let bestSize = 0n;
    for (const sym of this.symbols) {
      if (sym.isFile) {
        file = sym;
        if (state === 'symbol') state = 'file-after-symbol';
        continue;
      }
      if (state === 'nothing') state = 'symbol';
      const size = maybeFunctionSize(sym, section);
      if (size === 0n) continue;
      const codeOff = sym.value;
      if (betterFit(best, bestOff, bestSize, sym, codeOff, size, offset)) {
        best = { symbol: sym, codeOff, codeSize: size };
        bestOff = codeOff;
        bestSize = size;
        this.filename = file !== undefined && (sym.local || state !== 'file-after-symbol') ? file.name : undefined;
      } else if (codeOff > offset && codeOff > bestOff && codeOff < bestOff + bestSize) {
        // A symbol inside the current best but past the offset shortens the cached range.
        bestSize = codeOff - bestOff;
        if (best) best.codeSize = bestSize;
      }
    }
    this.best = best;
  }
}

/** BFD's maybe_function_sym: the size a symbol claims as code in `section` (0: not a function). */
function maybeFunctionSize(sym: BfdSymbol, section: number): bigint {
  if (sym.neverFunction || sym.section !== section) return 0n;
  // Hidden local NOTYPE symbols of size 0 are annobin markers, not functions.
  if (sym.size === 0n && sym.local && sym.type === C.STT_NOTYPE && sym.visibility === C.STV_HIDDEN) return 0n;
  return sym.size === 0n ? 1n : sym.size;
}

function betterFit(
  best: Candidate | undefined,
  bestOff: bigint,
  bestSize: bigint,
  sym: BfdSymbol,
  codeOff: bigint,
  codeSize: bigint,
  offset: bigint,
): boolean {
  if (codeOff > offset) return false;
  if (codeOff < bestOff) return false;
  if (codeOff > bestOff) return true;
  // Same start as the current best.
  if (bestOff + bestSize <= offset) return codeSize > bestSize; // the best does not reach offset
  if (codeOff + codeSize <= offset) return false;
  if (!best) return codeSize < bestSize;
  // Both cover offset: functions over non-functions, typed over NOTYPE, then the smaller.
  if (best.symbol.isFunction && !sym.isFunction) return false;
  if (sym.isFunction && !best.symbol.isFunction) return true;
  if (best.symbol.type === C.STT_NOTYPE && sym.type !== C.STT_NOTYPE) return true;
  if (best.symbol.type !== C.STT_NOTYPE && sym.type === C.STT_NOTYPE) return false;
  return codeSize < bestSize;
}
