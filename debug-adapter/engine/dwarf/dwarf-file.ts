// DwarfFile: the units of one ELF file's .debug_info (and DWARF 4 .debug_types), with
// cross-unit DIE lookup (DW_FORM_ref_addr) and type-unit signatures (DW_FORM_ref_sig8).
import { countAtOrBelow } from '../../../native/lib/address-ranges';
import type { ElfFile } from '../../../native/lib/elf';
import { AbbreviationCache } from './abbrev';
import type { Die } from './die';
import type { DwarfFormatError } from './errors';
import { loadDebugSections, type DebugSections } from './sections';
import { Unit, type UnitResolver } from './unit';
import { readUnitHeaders } from './unit-header';

export class DwarfFile implements UnitResolver {
  /** Units of .debug_info in section order. */
  readonly units: readonly Unit[];
  /** Units of the DWARF 4 .debug_types section. */
  readonly typeUnits: readonly Unit[];
  /** Malformed unit headers: the units before each are kept, the rest of that section is not read. */
  readonly problems: DwarfFormatError[] = [];
  private readonly abbreviations: AbbreviationCache;
  private signatures?: Map<bigint, Unit>;

  constructor(readonly sections: DebugSections) {
    this.abbreviations = new AbbreviationCache(sections.abbrev);
    const make = (section: Uint8Array | undefined, name: string, types: boolean): Unit[] =>
      section
        ? readUnitHeaders(section, name, types, (e) => this.problems.push(e)).map((h) => new Unit(h, sections, name, () => this.abbreviations.get(h.abbrevOffset), this))
        : [];
    this.units = make(sections.info, '.debug_info', false);
    this.typeUnits = make(sections.types, '.debug_types', true);
  }

  static fromElf(elf: ElfFile): DwarfFile {
    return new DwarfFile(loadDebugSections(elf));
  }

  /** Whether the file has any debugging information entries. */
  get hasInfo(): boolean {
    return this.units.length > 0;
  }

  /** The .debug_info unit containing a section offset. */
  unitAt(offset: number): Unit | undefined {
    // The first unit that ends after offset.
    const unit = this.units[countAtOrBelow(this.units.length, (index) => this.units[index].header.end, offset)];
    return unit && unit.contains(offset) ? unit : undefined;
  }

  /** The .debug_info DIE at a section offset. */
  dieAt(offset: number): Die | undefined {
    return this.unitAt(offset)?.dieAt(offset);
  }

  unitOf(die: Die): Unit | undefined {
    const unit = this.unitAt(die.offset);
    if (unit && unit.dieAt(die.offset) === die) return unit;
    return this.typeUnits.find((u) => u.dieAt(die.offset) === die);
  }

  /** The type DIE of the type unit with this signature (.debug_info DWARF 5 or .debug_types). */
  typeUnitDie(signature: bigint): Die | undefined {
    if (!this.signatures) {
      this.signatures = new Map();
      for (const unit of [...this.units, ...this.typeUnits]) {
        if (unit.header.typeSignature !== undefined) this.signatures.set(unit.header.typeSignature, unit);
      }
    }
    const unit = this.signatures.get(signature);
    if (!unit || unit.header.typeOffset === undefined) return undefined;
    return unit.dieAt(unit.header.offset + unit.header.typeOffset);
  }
}
