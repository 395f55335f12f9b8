// One unit of .debug_info/.debug_types with the context its attribute values need: the string
// offsets, address, range-list and location-list bases and the base address, and helpers that
// interpret attributes (strings, addresses, constants, references, PC ranges).
import type { AbbreviationTable } from './abbrev';
import { DW_AT, DW_FORM, DW_TAG, DW_UT } from './constants';
import { Attribute, Die, parseDieTree } from './die';
import { DwarfFormatError, hex } from './errors';
import { stringAt } from './reader';
import { readRangeList, type AddressRange } from './lists';
import type { DebugSections } from './sections';
import type { UnitHeader } from './unit-header';

/** Resolves references that leave the unit (DW_FORM_ref_addr, DW_FORM_ref_sig8). */
export interface UnitResolver {
  dieAt(offset: number): Die | undefined;
  unitOf(die: Die): Unit | undefined;
  typeUnitDie(signature: bigint): Die | undefined;
}

export class Unit {
  private tree?: { root: Die | undefined; byOffset: Map<number, Die> };
  private bases?: { strOffsets: number; addr: number; rnglists?: number; loclists?: number; lowPc: bigint };

  constructor(
    readonly header: UnitHeader,
    readonly sections: DebugSections,
    /** '.debug_info' or '.debug_types'. */
    readonly sectionName: string,
    private readonly abbreviations: () => AbbreviationTable,
    readonly resolver: UnitResolver,
  ) {}

  get version(): number {
    return this.header.version;
  }

  get addressSize(): number {
    return this.header.addressSize;
  }

  get isTypeUnit(): boolean {
    return this.header.unitType === DW_UT.type || this.header.unitType === DW_UT.split_type;
  }

  private get section(): Uint8Array {
    const s = this.sectionName === '.debug_types' ? this.sections.types : this.sections.info;
    if (!s) throw new DwarfFormatError(`${this.sectionName} is missing`);
    return s;
  }

  /** The unit's abbreviation table. */
  abbreviationTable(): AbbreviationTable {
    return this.abbreviations();
  }

  /** The unit's bytes in its section (for readers that walk DIEs themselves). */
  get sectionBytes(): Uint8Array {
    return this.section;
  }

  private parsed(): { root: Die | undefined; byOffset: Map<number, Die> } {
    this.tree ??= parseDieTree(this.section, this.sectionName, this.header, this.abbreviations());
    return this.tree;
  }

  /** The unit DIE (DW_TAG_compile_unit, partial_unit, type_unit, ...), with every descendant. */
  get root(): Die | undefined {
    return this.parsed().root;
  }

  /** The DIE at a section offset inside this unit. */
  dieAt(offset: number): Die | undefined {
    return this.parsed().byOffset.get(offset);
  }

  contains(offset: number): boolean {
    return offset >= this.header.offset && offset < this.header.end;
  }

  private context(): { strOffsets: number; addr: number; rnglists?: number; loclists?: number; lowPc: bigint } {
    if (!this.bases) {
      const root = this.root;
      const constant = (name: number): number | undefined => {
        const a = root?.attr(name);
        return a ? Number(a.raw) : undefined;
      };
      const headerSize = this.header.offsetSize === 8 ? 16 : 8;
      this.bases = {
        strOffsets: constant(DW_AT.str_offsets_base) ?? headerSize,
        addr: constant(DW_AT.addr_base) ?? constant(DW_AT.GNU_addr_base) ?? headerSize,
        rnglists: constant(DW_AT.rnglists_base),
        loclists: constant(DW_AT.loclists_base),
        lowPc: 0n,
      };
      const low = root?.attr(DW_AT.low_pc);
      if (low) this.bases.lowPc = this.address(low) ?? 0n;
    }
    return this.bases;
  }

  /** The base address for range and location lists: the unit DIE's DW_AT_low_pc (or 0). */
  get baseAddress(): bigint {
    return this.context().lowPc;
  }

  get rnglistsBase(): number | undefined {
    return this.context().rnglists;
  }

  get loclistsBase(): number | undefined {
    return this.context().loclists;
  }

  /** Entry `index` of this unit's .debug_addr contribution. */
  indexedAddress(index: bigint): bigint {
    const section = this.sections.addr;
    if (!section) throw new DwarfFormatError(`.debug_addr is missing (address index ${index} in unit at ${hex(this.header.offset)})`);
    const at = this.context().addr + Number(index) * this.addressSize;
    if (at + this.addressSize > section.length) throw new DwarfFormatError(`.debug_addr: index ${index} (offset ${hex(at)}) is past the end`);
    const view = new DataView(section.buffer, section.byteOffset, section.byteLength);
    return this.addressSize === 8 ? view.getBigUint64(at, true) : BigInt(view.getUint32(at, true));
  }

  /** Entry `index` of this unit's .debug_str_offsets contribution. */
  indexedString(index: bigint): string {
    const offsets = this.sections.strOffsets;
    const str = this.sections.str;
    if (!offsets || !str) throw new DwarfFormatError(`.debug_str_offsets or .debug_str is missing (string index ${index})`);
    const size = this.header.offsetSize;
    const at = this.context().strOffsets + Number(index) * size;
    if (at + size > offsets.length) throw new DwarfFormatError(`.debug_str_offsets: index ${index} (offset ${hex(at)}) is past the end`);
    const view = new DataView(offsets.buffer, offsets.byteOffset, offsets.byteLength);
    const offset = size === 8 ? Number(view.getBigUint64(at, true)) : view.getUint32(at, true);
    return stringAt(str, offset, '.debug_str');
  }

  /** The value of a string-class attribute, or undefined for other forms. */
  string(attr: Attribute | undefined): string | undefined {
    if (!attr) return undefined;
    switch (attr.form) {
      case DW_FORM.string:
        return attr.text;
      case DW_FORM.strp:
        if (!this.sections.str) throw new DwarfFormatError('.debug_str is missing');
        return stringAt(this.sections.str, Number(attr.raw), '.debug_str');
      case DW_FORM.line_strp:
        if (!this.sections.lineStr) throw new DwarfFormatError('.debug_line_str is missing');
        return stringAt(this.sections.lineStr, Number(attr.raw), '.debug_line_str');
      case DW_FORM.strx:
      case DW_FORM.strx1:
      case DW_FORM.strx2:
      case DW_FORM.strx3:
      case DW_FORM.strx4:
      case DW_FORM.GNU_str_index:
        return this.indexedString(attr.raw);
      default:
        return undefined;
    }
  }

  /** The undecoded bytes (without the NUL) of a string-class attribute, or undefined. */
  stringBytes(attr: Attribute | undefined): Uint8Array | undefined {
    if (!attr) return undefined;
    if (attr.form === DW_FORM.string) return attr.textBytes;
    const text = this.string(attr);
    if (text === undefined) return undefined;
    const section = attr.form === DW_FORM.line_strp ? this.sections.lineStr : this.sections.str;
    if ((attr.form === DW_FORM.strp || attr.form === DW_FORM.line_strp) && section) {
      const start = Number(attr.raw);
      return section.subarray(start, section.indexOf(0, start));
    }
    return new TextEncoder().encode(text);
  }

  /** The value of an address-class attribute (DW_FORM_addr, addrx*), or undefined. */
  address(attr: Attribute | undefined): bigint | undefined {
    if (!attr) return undefined;
    switch (attr.form) {
      case DW_FORM.addr:
        return attr.raw;
      case DW_FORM.addrx:
      case DW_FORM.addrx1:
      case DW_FORM.addrx2:
      case DW_FORM.addrx3:
      case DW_FORM.addrx4:
      case DW_FORM.GNU_addr_index:
        return this.indexedAddress(attr.raw);
      default:
        return undefined;
    }
  }

  /** The value of a constant-class attribute (data1-8, sdata, udata, implicit_const), or undefined. */
  constant(attr: Attribute | undefined): bigint | undefined {
    if (!attr) return undefined;
    switch (attr.form) {
      case DW_FORM.data1:
      case DW_FORM.data2:
      case DW_FORM.data4:
      case DW_FORM.data8:
      case DW_FORM.sdata:
      case DW_FORM.udata:
      case DW_FORM.implicit_const:
        return attr.raw;
      default:
        return undefined;
    }
  }

  /** A data1/2/4/8 constant read as signed (for bounds and enumerators of signed types). */
  signedConstant(attr: Attribute | undefined): bigint | undefined {
    if (!attr) return undefined;
    switch (attr.form) {
      case DW_FORM.data1:
        return BigInt.asIntN(8, attr.raw);
      case DW_FORM.data2:
        return BigInt.asIntN(16, attr.raw);
      case DW_FORM.data4:
        return BigInt.asIntN(32, attr.raw);
      case DW_FORM.data8:
        return BigInt.asIntN(64, attr.raw);
      default:
        return this.constant(attr);
    }
  }

  flag(attr: Attribute | undefined): boolean {
    return attr !== undefined && attr.raw !== 0n;
  }

  /** The DIE a reference-class attribute points to (same unit, other unit or type unit). */
  reference(attr: Attribute | undefined): Die | undefined {
    if (!attr) return undefined;
    switch (attr.form) {
      case DW_FORM.ref1:
      case DW_FORM.ref2:
      case DW_FORM.ref4:
      case DW_FORM.ref8:
      case DW_FORM.ref_udata:
        return this.dieAt(this.header.offset + Number(attr.raw));
      case DW_FORM.ref_addr:
        return this.sectionName === '.debug_info' ? this.resolver.dieAt(Number(attr.raw)) : undefined;
      case DW_FORM.ref_sig8:
        return this.resolver.typeUnitDie(attr.raw);
      default:
        return undefined;
    }
  }

  /** The unit that owns `die` (this unit or another one reached through a reference). */
  unitOf(die: Die): Unit {
    if (this.dieAt(die.offset) === die) return this;
    const unit = this.resolver.unitOf(die);
    if (!unit) throw new DwarfFormatError(`DIE ${hex(die.offset)} belongs to no known unit`);
    return unit;
  }

  /**
   * The PC ranges of a DIE: DW_AT_low_pc with DW_AT_high_pc (an address or, DWARF 4+, a length),
   * or DW_AT_ranges. Empty ranges are dropped. A DIE with neither has no ranges.
   */
  pcRanges(die: Die): AddressRange[] {
    const ranges = die.attr(DW_AT.ranges);
    if (ranges) return readRangeList(this, ranges).filter((r) => r.high > r.low);
    const low = this.address(die.attr(DW_AT.low_pc));
    const highAttr = die.attr(DW_AT.high_pc);
    if (low === undefined || !highAttr) return [];
    const absolute = this.address(highAttr);
    const high = absolute ?? (this.constant(highAttr) !== undefined ? low + (this.constant(highAttr) as bigint) : undefined);
    if (high === undefined || high <= low) return [];
    return [{ low, high }];
  }

  /** DW_AT_name of the unit DIE. */
  get name(): string | undefined {
    return this.string(this.root?.attr(DW_AT.name));
  }

  /** DW_AT_comp_dir of the unit DIE. */
  get compDir(): string | undefined {
    return this.string(this.root?.attr(DW_AT.comp_dir));
  }

  /** DW_AT_language of the unit DIE. */
  get language(): number | undefined {
    const a = this.root?.attr(DW_AT.language);
    return a ? Number(a.raw) : undefined;
  }

  /** DW_AT_stmt_list: the offset of the unit's line program in .debug_line. */
  get stmtList(): number | undefined {
    const a = this.root?.attr(DW_AT.stmt_list);
    return a ? Number(a.raw) : undefined;
  }

  get isCompileUnit(): boolean {
    const tag = this.root?.tag;
    return tag === DW_TAG.compile_unit || tag === DW_TAG.partial_unit || tag === DW_TAG.skeleton_unit;
  }
}
