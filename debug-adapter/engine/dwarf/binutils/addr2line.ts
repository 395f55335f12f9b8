// A re-implementation of what GNU binutils `addr2line` (2.40) prints: the section lookup of
// addr2line.c, the DWARF search of bfd/dwarf2.c (units in the order binutils reads them, its line
// and function tables) and the ELF symbol fallback of _bfd_elf_find_function. It keeps binutils'
// state across addresses (units read so far, the symbol cache, names fixed up from symbols), so
// feed it addresses in the order addr2line would see them.
import { elfConstants as C, type ElfFile, type SectionHeader } from '../../../../native/lib/elf';
import { DwarfFile } from '../dwarf-file';
import { bfdSymbols, FunctionFinder, type BfdSymbol } from './bfd-symbols';
import { BfdUnit, type BfdUnitContext, type FuncInfo } from './bfd-units';
import type { BfdLineTable } from './bfd-lines';
import { AddressIndex } from '../address-index';

export interface Addr2lineFrame {
  /** Function name; undefined where addr2line prints `??`. */
  readonly functionName: string | undefined;
  /** Source file as binutils spells it; undefined where it prints `??`. */
  readonly filename: string | undefined;
  /** 0 where addr2line prints `?`. */
  readonly line: number;
  readonly discriminator: number;
}

export interface Addr2lineResult {
  readonly address: bigint;
  /** False where addr2line prints `??` / `??:0` (no section or nothing known). */
  readonly found: boolean;
  /** The location, then (with inlines) one frame per caller an inlined function was inlined into. */
  readonly frames: readonly Addr2lineFrame[];
}

export interface Addr2lineFormat {
  /** -f: print function names. */
  readonly functions?: boolean;
  /** -a: print the address first. */
  readonly addresses?: boolean;
  /** -p: one line per address. */
  readonly pretty?: boolean;
  /** -s: strip directories from file names. */
  readonly basenames?: boolean;
}

interface NearestLine {
  found: boolean;
  filename: string | undefined;
  functionName: string | undefined;
  line: number;
  discriminator: number;
}

export class BinutilsAddr2line implements BfdUnitContext {
  readonly sections;
  lineTableAtZero: BfdLineTable | undefined;
  private readonly dwarf: DwarfFile;
  private readonly alloc: SectionHeader[];
  private readonly symbols: BfdSymbol[];
  private readonly finder: FunctionFinder;
  private readonly read: BfdUnit[] = [];
  private nextUnit = 0;
  private stopped = false;
  private inlinerChain: FuncInfo | undefined;
  private readonly trie = new AddressIndex<BfdUnit>();

  constructor(private readonly elf: ElfFile) {
    this.dwarf = DwarfFile.fromElf(elf);
    this.sections = this.dwarf.sections;
    this.alloc = elf.sections.filter((s) => s.index !== 0 && (s.flags & C.SHF_ALLOC) !== 0n);
    this.symbols = bfdSymbols(elf);
    this.finder = new FunctionFinder(this.symbols);
  }

  /** The value of an address argument: hex (with or without 0x), or `symbol[+offset]` as addr2line takes it. */
  parseAddress(text: string): bigint {
    const arg = text.trimStart();
    const first = arg[0] ?? '';
    const symbolic = !/[0-9]/.test(first) && first !== '' && !(/[a-fA-F]/.test(first) && !arg.includes('+'));
    if (symbolic) {
      const match = /^([^\s+]*)\s*(?:\+(.*))?/.exec(arg) as RegExpExecArray;
      const symbol = this.symbols.find((s) => s.name === match[1]);
      if (!symbol) return 0n;
      const section = symbol.section !== undefined ? this.elf.sections[symbol.section].addr : 0n;
      return symbol.value + section + parseCNumber(match[2] ?? '0');
    }
    const m = /^(?:0[xX])?([0-9a-fA-F]*)/.exec(arg) as RegExpExecArray;
    return m[1] === '' ? 0n : BigInt.asUintN(64, BigInt(`0x${m[1]}`));
  }

  /** What addr2line reports for one address; `inlines` adds the -i caller frames. */
  translate(address: bigint, inlines = false): Addr2lineResult {
    const section = this.alloc.find((s) => address >= s.addr && address < s.addr + s.size);
    if (!section) return { address, found: false, frames: [] };
    const offset = address - section.addr;
    let result = this.dwarfNearestLine(section, offset);
    if (!result.found) {
      // elf.c: no DWARF answer; the symbol table alone gives a name (and a file for locals).
      const fn = this.finder.find(section.index, offset);
      if (!fn) return { address, found: false, frames: [] };
      result = { found: true, filename: fn.filename, functionName: fn.symbol.name, line: 0, discriminator: 0 };
    }
    const frames: Addr2lineFrame[] = [{ functionName: result.functionName, filename: result.filename, line: result.line, discriminator: result.discriminator }];
    if (inlines) {
      // addr2line keeps the first discriminator when it prints the callers.
      for (let f = this.inlinerChain; f?.caller; f = f.caller) {
        frames.push({ functionName: f.caller.name, filename: f.callerFile, line: f.callerLine, discriminator: result.discriminator });
      }
    }
    return { address, found: true, frames };
  }

  recordRange(unit: BfdUnit, low: bigint, high: bigint): void {
    this.trie.add(unit, low, high);
  }

  unitContaining(offset: number): BfdUnit | undefined {
    const known = this.read.find((u) => u.unit.contains(offset));
    if (known) return known;
    for (let u = this.readNext(); u; u = this.readNext()) if (u.unit.contains(offset)) return u;
    return undefined;
  }

  private readNext(): BfdUnit | undefined {
    if (this.stopped || this.nextUnit >= this.dwarf.units.length) return undefined;
    const unit = BfdUnit.parse(this.dwarf.units[this.nextUnit++], this);
    if (!unit) {
      this.stopped = true; // binutils distrusts everything after a unit it cannot parse
      return undefined;
    }
    this.read.push(unit);
    return unit;
  }

  /** The symbol binutils picks at an exact address of a non-code section (a global wins). */
  private symbolAt(section: SectionHeader, offset: bigint): BfdSymbol | undefined {
    let found: BfdSymbol | undefined;
    for (const sym of this.symbols) {
      if (sym.section !== section.index || sym.value !== offset || sym.type === C.STT_SECTION) continue;
      found = sym;
      if (sym.global) break;
    }
    return found;
  }

  /** _bfd_dwarf2_find_nearest_line for an address in `section`. */
  private dwarfNearestLine(section: SectionHeader, offset: bigint): NearestLine {
    const out: NearestLine = { found: false, filename: undefined, functionName: undefined, line: 0, discriminator: 0 };
    if (!this.dwarf.hasInfo) return out;
    const address = offset + section.addr;
    this.inlinerChain = undefined;
    let func: FuncInfo | undefined;
    const search = (unit: BfdUnit): boolean => {
      if (!unit.maybeDecode()) return false;
      func = unit.functionAt(address);
      if (func?.tag === 0x1d) this.inlinerChain = func; // DW_TAG_inlined_subroutine
      const hit = unit.lineTable?.lookup(address);
      out.filename = hit?.filename;
      if (hit) {
        out.line = hit.line;
        out.discriminator = hit.discriminator;
      }
      return hit !== undefined || func !== undefined;
    };
    let found = false;
    const symbol = (section.flags & C.SHF_EXECINSTR) === 0n ? this.symbolAt(section, offset) : undefined;
    if (symbol) {
      // Not code: binutils looks the symbol at this address up as a variable (or function) and
      // reports its declaration. Units read before are tried newest first.
      const lookup = (unit: BfdUnit): boolean => {
        if (symbol.isFunction && !unit.mayContain(address)) return false;
        const hit = unit.findSymbolLine(symbol.name, symbol.isFunction, address);
        if (hit) {
          out.filename = hit.file;
          out.line = hit.line;
        }
        return hit !== undefined;
      };
      found = [...this.read].reverse().some(lookup);
      for (let unit = found ? undefined : this.readNext(); unit; unit = this.readNext()) {
        if (lookup(unit)) {
          found = true;
          break;
        }
      }
    } else {
      // Units read before: those whose recorded ranges contain the address. Then unread ones in order.
      const owners = this.trie.ownersAt(address);
      for (const unit of this.read) {
        if (owners.has(unit) && search(unit)) {
          found = true;
          break;
        }
      }
      if (!found) {
        for (let unit = this.readNext(); unit; unit = this.readNext()) {
          if (search(unit)) {
            found = true;
            break;
          }
        }
      }
    }
    out.found = found;
    const f = func as FuncInfo | undefined;
    if (f && f.isLinkage) {
      out.functionName = f.name;
      out.found = true;
      return out;
    }
    const fn = this.finder.find(section.index, offset);
    if (fn) {
      if (out.filename === undefined) out.filename = fn.filename;
      out.functionName = fn.symbol.name;
      out.found = true;
    }
    if (f && !f.isLinkage) {
      if (!fn) out.functionName = f.name;
      else if (fn.symbol.value + section.addr === (f.ranges[0]?.low ?? 0n)) f.name = out.functionName;
      f.isLinkage = true;
    }
    return out;
  }
}

function parseCNumber(text: string): bigint {
  const t = text.trim();
  try {
    if (/^0[xX][0-9a-fA-F]+/.test(t)) return BigInt(/^0[xX][0-9a-fA-F]+/.exec(t)?.[0] as string);
    if (/^0[0-7]+/.test(t)) return BigInt(`0o${(/^0[0-7]+/.exec(t) as RegExpExecArray)[0].slice(1)}`);
    const m = /^[0-9]+/.exec(t);
    return m ? BigInt(m[0]) : 0n;
  } catch {
    return 0n;
  }
}

/** The text addr2line prints for one result (with its trailing newline). */
export function formatAddr2line(result: Addr2lineResult, format: Addr2lineFormat): string {
  let text = '';
  if (format.addresses) text += `0x${result.address.toString(16).padStart(16, '0')}${format.pretty ? ': ' : '\n'}`;
  if (!result.found) {
    if (format.functions) text += format.pretty ? '?? ' : '??\n';
    return `${text}??:0\n`;
  }
  result.frames.forEach((frame, i) => {
    if (i > 0 && format.pretty) text += ' (inlined by) ';
    if (format.functions) {
      const name = frame.functionName === undefined || frame.functionName === '' ? '??' : frame.functionName;
      text += name + (format.pretty ? ' at ' : '\n');
    }
    let file = frame.filename;
    if (format.basenames && file !== undefined) file = file.slice(file.lastIndexOf('/') + 1);
    text += `${file ?? '??'}:`;
    if (frame.line !== 0) text += frame.discriminator !== 0 ? `${frame.line} (discriminator ${frame.discriminator})\n` : `${frame.line}\n`;
    else text += '?\n';
  });
  return text;
}
