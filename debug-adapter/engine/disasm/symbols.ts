// Symbol names for the disassembler: `<name+0xoff>` references from an ELF's function symbols.
import { compareAddresses, lastAtOrBelow } from '../../../native/lib/address-ranges';
import { elfConstants, type ElfFile, SymbolTable } from '../../../native/lib/elf';
import type { SymbolReference, Symbolizer } from './types';

/** A Symbolizer over the defined functions of a SymbolTable (with its load bias). */
export function functionSymbolizer(table: SymbolTable): Symbolizer {
  return (address) => {
    const found = table.functionAt(address);
    return found ? { name: found.name, offset: found.offset } : undefined;
  };
}

/** `<name>` or `<name+0x10>`, as objdump shows references. */
export function formatSymbolReference(ref: SymbolReference): string {
  return ref.offset === 0n ? `<${ref.name}>` : `<${ref.name}+0x${ref.offset.toString(16)}>`;
}

interface DataSymbol {
  readonly start: bigint;
  readonly end: bigint;
  readonly name: string;
}

/**
 * Functions first, then data objects (STT_OBJECT, e.g. `<sink>` for a RIP-relative global), as
 * objdump names both. `loadBias` moves every symbol.
 */
export function elfSymbolizer(elf: ElfFile, loadBias = 0n): Symbolizer {
  const functions = functionSymbolizer(SymbolTable.fromElf(elf, loadBias));
  const objects: DataSymbol[] = elf
    .allSymbols()
    .filter((s) => s.type === elfConstants.STT_OBJECT && s.name && s.sectionIndex !== elfConstants.SHN_UNDEF && s.sectionIndex < elfConstants.SHN_LORESERVE)
    .map((s) => ({ start: s.value + loadBias, end: s.value + loadBias + (s.size === 0n ? 1n : s.size), name: s.name }))
    .sort((a, b) => compareAddresses(a.start, b.start));
  return (address) => {
    const fn = functions(address);
    if (fn) return fn;
    const last = lastAtOrBelow(objects, (o) => o.start, address);
    for (let i = last; i >= 0 && i >= last - 7; i--) {
      if (address < objects[i].end) return { name: objects[i].name, offset: address - objects[i].start };
    }
    return undefined;
  };
}
