// An objdump-style listing of an ELF's code: per section, decoding restarts at every symbol (as
// objdump does, so data or padding between functions cannot shift later boundaries), with
// `0000000000401136 <foo>:` headers and, when line information exists, `foo():` and `file:line`
// source headers like objdump -d -l.
import { compareAddresses } from '../../../native/lib/address-ranges';
import { ElfFile, SymbolTable, elfConstants } from '../../../native/lib/elf';
import type { SectionHeader } from '../../../native/lib/elf';
import { Disassembler } from './disassembler';
import type { SourceLine, SourceLines } from './source-lines';
import { elfSymbolizer } from './symbols';
import type { AsmSyntax, DisassembledInstruction } from './types';

export interface ListingRange {
  readonly start: bigint;
  readonly end: bigint;
}

export interface ListingOptions {
  readonly syntax?: AsmSyntax;
  /** Only these sections (default: every executable section with file bytes). */
  readonly sections?: readonly string[];
  /** Only instructions in this address range. */
  readonly range?: ListingRange;
  /** Source line headers from this table. */
  readonly lines?: SourceLines;
}

export type ListingLine =
  | { readonly kind: 'section'; readonly name: string }
  | { readonly kind: 'symbol'; readonly name: string; readonly address: bigint }
  | { readonly kind: 'function-source'; readonly name: string }
  | { readonly kind: 'source'; readonly line: SourceLine }
  | { readonly kind: 'instruction'; readonly instruction: DisassembledInstruction };

interface Chunk {
  readonly start: bigint;
  readonly end: bigint;
  readonly name?: string;
}

/** Symbols that start a new decoding chunk: named, defined in `section`, not section or file symbols. */
function boundaries(elf: ElfFile, section: SectionHeader): Map<bigint, string> {
  const rank = (bind: number, type: number) => (type === elfConstants.STT_FUNC ? 0 : 2) + (bind === elfConstants.STB_LOCAL ? 1 : 0);
  const best = new Map<bigint, { name: string; rank: number }>();
  for (const symbol of elf.allSymbols()) {
    if (symbol.sectionIndex !== section.index || !symbol.name || symbol.name.startsWith('.L') || symbol.name.startsWith('$')) continue;
    if (symbol.type === elfConstants.STT_SECTION || symbol.type === elfConstants.STT_FILE) continue;
    if (symbol.value < section.addr || symbol.value >= section.addr + section.size) continue;
    const r = rank(symbol.bind, symbol.type);
    const current = best.get(symbol.value);
    if (!current || r < current.rank) best.set(symbol.value, { name: symbol.name, rank: r });
  }
  return new Map([...best].map(([address, { name }]) => [address, name]));
}

function chunksOf(section: SectionHeader, starts: Map<bigint, string>): Chunk[] {
  const end = section.addr + section.size;
  const points = [...starts.keys()].sort(compareAddresses);
  const chunks: Chunk[] = [];
  if (points.length === 0 || points[0] > section.addr) chunks.push({ start: section.addr, end: points[0] ?? end });
  points.forEach((start, i) => chunks.push({ start, end: points[i + 1] ?? end, name: starts.get(start) }));
  return chunks;
}

export function executableSections(elf: ElfFile): SectionHeader[] {
  return elf.sections.filter((s) => (s.flags & elfConstants.SHF_EXECINSTR) !== 0n && s.type !== elfConstants.SHT_NOBITS && s.size > 0n);
}

/** The listing, line by line (format it with formatListingLine). */
export function* disassembleElf(elf: ElfFile, options: ListingOptions = {}): Generator<ListingLine> {
  const table = SymbolTable.fromElf(elf);
  const disassembler = new Disassembler({ syntax: options.syntax, symbolize: elfSymbolizer(elf) });
  try {
    const wanted = options.sections;
    const sections = wanted ? elf.sections.filter((s) => wanted.includes(s.name)) : executableSections(elf);
    for (const section of sections) {
      const data = elf.sectionData(section);
      if (!data || data.length === 0) continue;
      const range = options.range;
      if (range && (range.end <= section.addr || range.start >= section.addr + section.size)) continue;
      yield { kind: 'section', name: section.name };
      let lastLine: SourceLine | undefined;
      let lastFunction: string | undefined;
      for (const chunk of chunksOf(section, boundaries(elf, section))) {
        if (range && (chunk.end <= range.start || chunk.start >= range.end)) continue;
        const bytes = data.subarray(Number(chunk.start - section.addr), Number(chunk.end - section.addr));
        let headed = false;
        for (const instruction of disassembler.disassemble(bytes, chunk.start)) {
          if (range && (instruction.address < range.start || instruction.address >= range.end)) continue;
          if (!headed && chunk.name) {
            yield { kind: 'symbol', name: chunk.name, address: chunk.start };
            headed = true;
          }
          const line = options.lines?.lookup(instruction.address);
          if (line) {
            const fn = table.functionAt(instruction.address)?.name ?? chunk.name;
            if (fn !== undefined && fn !== lastFunction) {
              yield { kind: 'function-source', name: fn };
              lastFunction = fn;
              lastLine = undefined;
            }
            if (!lastLine || lastLine.file !== line.file || lastLine.line !== line.line || lastLine.discriminator !== line.discriminator) {
              yield { kind: 'source', line };
              lastLine = line;
            }
          }
          yield { kind: 'instruction', instruction };
        }
      }
    }
  } finally {
    disassembler.dispose();
  }
}

const BYTES_COLUMN = 7 * 3;

/** One listing line as text (without the newline). */
export function formatListingLine(line: ListingLine): string {
  switch (line.kind) {
    case 'section': return `\nDisassembly of section ${line.name}:`;
    case 'symbol': return `\n${line.address.toString(16).padStart(16, '0')} <${line.name}>:`;
    case 'function-source': return `${line.name}():`;
    case 'source': return `${line.line.file}:${line.line.line}${line.line.discriminator ? ` (discriminator ${line.line.discriminator})` : ''}`;
    case 'instruction': {
      const i = line.instruction;
      const hexBytes = Array.from(i.bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
      return `${i.address.toString(16).padStart(8)}: ${hexBytes.padEnd(BYTES_COLUMN)} ${i.text}`;
    }
  }
}
