// binutils' model of a compilation unit (bfd/dwarf2.c): the unit DIE's attributes as
// parse_comp_unit reads them, the function table of scan_unit_for_symbols (subprograms, entry
// points and inlined subroutines with their names, address ranges and callers) and the
// smallest-range function lookup. Attribute forms are honoured exactly as binutils does, quirks
// included: a DW_FORM_rnglistx range list is ignored, DWARF 5 index-based range entries fail the
// unit, DW_AT_name only counts as a linkage name for C-like languages.
import { DW_AT, DW_FORM, DW_OP, DW_TAG } from '../constants';
import { readAttribute, type Attribute, type Die } from '../die';
import { dwarfReader } from '../reader';
import type { DebugSections } from '../sections';
import type { Unit } from '../unit';
import { ADDRX, BLOCK_FORMS, cString, isInt, isStr, PLAIN_NAME_LANGUAGES, STRX } from './bfd-forms';
import { BfdLineTable } from './bfd-lines';
import { readBfdRangeList } from './bfd-ranges';

const MASK = (1n << 64n) - 1n;

export interface BfdRange {
  low: bigint;
  high: bigint;
}

/** One entry of binutils' function table. */
export interface FuncInfo {
  readonly tag: number;
  /** Allocation order (DIE order): binutils breaks ties between equal ranges by it. */
  readonly order: number;
  name: string | undefined;
  isLinkage: boolean;
  /** binutils' arange list: the first range, then later ones in insertion-after-first order. */
  readonly ranges: BfdRange[];
  readonly caller: FuncInfo | undefined;
  callerFile: string | undefined;
  callerLine: number;
  /** DW_AT_decl_file / DW_AT_decl_line (directly or from the abstract origin). */
  file: string | undefined;
  line: number;
}

/** One entry of binutils' variable table (DW_TAG_variable and DW_TAG_member DIEs). */
export interface VarInfo {
  name: string | undefined;
  file: string | undefined;
  line: number;
  /** False for variables with a static address (DW_OP_addr location) or DW_AT_external. */
  stack: boolean;
  addr: bigint;
}

/** What find_abstract_instance fills in. */
interface AbstractTarget {
  name: string | undefined;
  isLinkage: boolean;
  file: string | undefined;
  line: number;
}

/** What the owner of all units provides: other units (for DW_FORM_ref_addr) and shared state. */
export interface BfdUnitContext {
  readonly sections: DebugSections;
  /** The unit containing a .debug_info offset, reading further units if needed. */
  unitContaining(offset: number): BfdUnit | undefined;
  /** binutils decodes the line table at .debug_line offset 0 once and shares it. */
  lineTableAtZero: BfdLineTable | undefined;
  /** Records a range in binutils' address trie (unit, line sequence and function ranges). */
  recordRange(unit: BfdUnit, low: bigint, high: bigint): void;
}

class UnitFailure extends Error {}

export class BfdUnit {
  error = false;
  readonly unitRanges: BfdRange[] = [];
  lang = 0;
  compDir: string | undefined;
  stmtList: number | undefined;
  baseAddress = 0n;
  /** DW_AT_addr_base / DW_AT_str_offsets_base as binutils keeps them (0: not known). */
  addrBase = 0;
  strOffsetsBase = 0;
  lineTable: BfdLineTable | undefined;
  private functions: FuncInfo[] = [];
  private variables: VarInfo[] = [];
  /** The unit DIE reads but a DIE below it does not: binutils fails the unit at its scan. */
  private treeBroken = false;
  private lookupTable?: Array<{ func: FuncInfo; low: bigint; high: bigint }>;

  private constructor(
    readonly unit: Unit,
    private readonly context: BfdUnitContext,
  ) {}

  /** parse_comp_unit: undefined where binutils stops reading .debug_info. */
  static parse(unit: Unit, context: BfdUnitContext): BfdUnit | undefined {
    const self = new BfdUnit(unit, context);
    // binutils reads only the unit DIE here; a malformed DIE further down fails the unit later,
    // when its functions are scanned.
    let rootTag: number;
    let rootAttributes: readonly Attribute[];
    try {
      const root = unit.root;
      if (!root) return undefined;
      rootTag = root.tag;
      rootAttributes = root.attributes;
    } catch {
      let single: { tag: number; attributes: Attribute[] } | undefined;
      try {
        single = self.dieAt(unit.header.dieOffset);
      } catch {
        return undefined;
      }
      if (!single) return undefined;
      self.treeBroken = true;
      rootTag = single.tag;
      rootAttributes = single.attributes;
    }
    const compunit = rootTag === DW_TAG.compile_unit;
    let low = 0n;
    let high = 0n;
    let relative = false;
    const deferred: Attribute[] = [];
    for (const attr of rootAttributes) {
      if ((self.strOffsetsBase === 0 && STRX.has(attr.form)) || (self.addrBase === 0 && ADDRX.has(attr.form))) {
        deferred.push(attr);
        continue;
      }
      switch (attr.name) {
        case DW_AT.stmt_list:
          if (isInt(attr)) self.stmtList = Number(self.intValue(attr));
          break;
        case DW_AT.low_pc:
          if (isInt(attr)) {
            low = self.intValue(attr);
            if (compunit) self.baseAddress = low;
          }
          break;
        case DW_AT.high_pc:
          if (isInt(attr)) {
            high = self.intValue(attr);
            relative = attr.form !== DW_FORM.addr;
          }
          break;
        case DW_AT.ranges:
          if (isInt(attr) && !self.readRangeList(self.unitRanges, self.intValue(attr))) return undefined;
          break;
        case DW_AT.comp_dir:
          self.compDir = isStr(attr) ? stripMachinePrefix(self.strValue(attr)) : undefined;
          break;
        case DW_AT.language:
          if (isInt(attr)) self.lang = Number(self.intValue(attr));
          break;
        case DW_AT.addr_base:
          self.addrBase = Number(attr.raw);
          break;
        case DW_AT.str_offsets_base:
          self.strOffsetsBase = Number(attr.raw);
          break;
      }
    }
    // strx/addrx attributes read before their base: binutils re-reads them afterwards. A strx
    // value was overwritten by the NULL string meanwhile, so it resolves as string index 0.
    for (const attr of deferred) {
      const str = STRX.has(attr.form) ? self.indexedString(0n) : undefined;
      const val = ADDRX.has(attr.form) ? self.indexedAddress(attr.raw) : 0n;
      switch (attr.name) {
        case DW_AT.stmt_list:
          self.stmtList = Number(val);
          break;
        case DW_AT.low_pc:
          low = val;
          if (compunit) self.baseAddress = low;
          break;
        case DW_AT.high_pc:
          high = val;
          relative = attr.form !== DW_FORM.addr;
          break;
        case DW_AT.ranges:
          self.readRangeList(self.unitRanges, val);
          break;
        case DW_AT.comp_dir:
          self.compDir = isStr(attr) ? stripMachinePrefix(str) : undefined;
          break;
        case DW_AT.language:
          self.lang = Number(val);
          break;
      }
    }
    if (relative) high = (high + low) & MASK;
    if (high !== 0n) self.addRange(self.unitRanges, low, high);
    return self;
  }

  get isPlainNameLanguage(): boolean {
    return PLAIN_NAME_LANGUAGES.has(this.lang);
  }

  /** An integer-form value as binutils reads it (addrx resolved once the base is known). */
  intValue(attr: Attribute): bigint {
    if (ADDRX.has(attr.form)) return this.addrBase !== 0 ? this.indexedAddress(attr.raw) : attr.raw;
    if (attr.form === DW_FORM.sdata || attr.form === DW_FORM.implicit_const) return BigInt.asUintN(64, attr.raw);
    return attr.raw;
  }

  /** A string-form value as binutils reads it: undefined for NULL (empty or unreadable strings). */
  strValue(attr: Attribute): string | undefined {
    const { str, lineStr } = this.context.sections;
    switch (attr.form) {
      case DW_FORM.string:
        return attr.text === '' ? undefined : attr.text;
      case DW_FORM.strp:
      case DW_FORM.line_strp: {
        const section = attr.form === DW_FORM.strp ? str : lineStr;
        const offset = Number(attr.raw);
        if (!section || (offset !== 0 && offset >= section.length)) return undefined;
        const value = cString(section, offset);
        return value === '' ? undefined : value;
      }
      default:
        if (STRX.has(attr.form)) return this.strOffsetsBase !== 0 ? this.indexedString(attr.raw) : undefined;
        return undefined;
    }
  }

  private indexedAddress(index: bigint): bigint {
    const section = this.context.sections.addr;
    const size = this.unit.addressSize;
    if (!section) return 0n;
    const offset = Number(index) * size + this.addrBase;
    if (!Number.isSafeInteger(offset) || offset > section.length || section.length - offset < size) return 0n;
    return dwarfReader(section, '.debug_addr', offset).unsigned(size);
  }

  private indexedString(index: bigint): string | undefined {
    const { str, strOffsets } = this.context.sections;
    if (!str || !strOffsets) return undefined;
    const size = this.unit.header.offsetSize;
    const offset = Number(index) * size + this.strOffsetsBase;
    if (!Number.isSafeInteger(offset) || offset > strOffsets.length || strOffsets.length - offset < size) return undefined;
    const strOffset = Number(dwarfReader(strOffsets, '.debug_str_offsets', offset).unsigned(size));
    if (strOffset >= str.length) return undefined;
    return cString(str, strOffset);
  }

  /** binutils' arange_add: drop empty ranges, extend a touching range, else insert after the first. */
  private addRange(list: BfdRange[], low: bigint, high: bigint): void {
    if (low === high) return;
    this.context.recordRange(this, low, high);
    if (list.length === 0) {
      list.push({ low, high });
      return;
    }
    for (const r of list) {
      if (low === r.high) {
        r.high = high;
        return;
      }
      if (high === r.low) {
        r.low = low;
        return;
      }
    }
    list.splice(1, 0, { low, high });
  }

  /** read_rangelist: false where binutils reports failure. */
  private readRangeList(list: BfdRange[], offsetValue: bigint): boolean {
    return readBfdRangeList(this.context.sections, this.unit.version, this.unit.addressSize, this.baseAddress, offsetValue, (low, high) => this.addRange(list, low, high));
  }

  /** comp_unit_maybe_decode_line_info. */
  maybeDecode(): boolean {
    if (this.error) return false;
    if (this.lineTable) return true;
    if (this.stmtList === undefined) {
      this.error = true;
      return false;
    }
    try {
      if (this.stmtList === 0 && this.context.lineTableAtZero) {
        this.lineTable = this.context.lineTableAtZero;
      } else {
        this.lineTable = BfdLineTable.decode(this.context.sections, this.stmtList, this.unit.addressSize, this.compDir);
        if (this.stmtList === 0) this.context.lineTableAtZero = this.lineTable;
        for (const r of this.lineTable.sequenceRanges) this.addRange(this.unitRanges, r.low, r.high);
      }
    } catch {
      this.error = true;
      return false;
    }
    if (this.treeBroken) {
      this.error = true;
      return false;
    }
    const root = this.unit.root;
    if (root && root.children.length > 0) {
      try {
        this.scan(root);
      } catch {
        this.error = true;
        return false;
      }
    }
    return true;
  }

  /** scan_unit_for_symbols: every subprogram, entry point and inlined subroutine, and every variable. */
  private scan(root: Die): void {
    const functions: FuncInfo[] = [];
    const variables: VarInfo[] = [];
    const visit = (die: Die, enclosing: FuncInfo | undefined): void => {
      let func: FuncInfo | undefined;
      if (die.tag === DW_TAG.subprogram || die.tag === DW_TAG.entry_point || die.tag === DW_TAG.inlined_subroutine) {
        func = {
          tag: die.tag,
          order: functions.length,
          name: undefined,
          isLinkage: false,
          ranges: [],
          caller: die.tag === DW_TAG.inlined_subroutine ? enclosing : undefined,
          callerFile: undefined,
          callerLine: 0,
          file: undefined,
          line: 0,
        };
        functions.push(func);
        this.readFunctionAttributes(die, func);
      } else if (die.tag === DW_TAG.variable || die.tag === DW_TAG.member) {
        const variable: VarInfo = { name: undefined, file: undefined, line: 0, stack: true, addr: 0n };
        variables.push(variable);
        this.readVariableAttributes(die, variable);
      }
      for (const child of die.children) visit(child, func ?? enclosing);
    };
    for (const child of root.children) visit(child, undefined);
    this.functions = functions;
    this.variables = variables;
  }

  private readVariableAttributes(die: Die, variable: VarInfo): void {
    for (const attr of die.attributes) {
      switch (attr.name) {
        case DW_AT.specification:
          if (isInt(attr) && this.intValue(attr) !== 0n) {
            const target: AbstractTarget = { name: variable.name, isLinkage: false, file: variable.file, line: variable.line };
            try {
              this.findAbstractInstance(attr, 0, target);
            } catch {
              // binutils reports the bad specification and carries on
            }
            variable.name = target.name;
            variable.file = target.file;
            variable.line = target.line;
          }
          break;
        case DW_AT.name:
          if (isStr(attr)) variable.name = this.strValue(attr);
          break;
        case DW_AT.decl_file:
          if (isInt(attr)) variable.file = this.lineTable?.filename(Number(BigInt.asUintN(32, this.intValue(attr))));
          break;
        case DW_AT.decl_line:
          if (isInt(attr)) variable.line = Number(BigInt.asUintN(32, this.intValue(attr)));
          break;
        case DW_AT.external:
          if (isInt(attr) && this.intValue(attr) !== 0n) variable.stack = false;
          break;
        case DW_AT.location:
          if (attr.bytes && BLOCK_FORMS.has(attr.form) && attr.bytes.length > 0 && attr.bytes[0] === DW_OP.addr) {
            variable.stack = false;
            const size = this.unit.addressSize;
            if (attr.bytes.length === size + 1) variable.addr = dwarfReader(attr.bytes, 'DW_AT_location', 1).unsigned(size);
          }
          break;
      }
    }
  }

  private readFunctionAttributes(die: Die, func: FuncInfo): void {
    let low = 0n;
    let high = 0n;
    let relative = false;
    for (const attr of die.attributes) {
      switch (attr.name) {
        case DW_AT.call_file:
          if (isInt(attr)) func.callerFile = this.lineTable?.filename(Number(BigInt.asUintN(32, this.intValue(attr))));
          break;
        case DW_AT.call_line:
          if (isInt(attr)) func.callerLine = Number(BigInt.asUintN(32, this.intValue(attr)));
          break;
        case DW_AT.abstract_origin:
        case DW_AT.specification:
          if (isInt(attr)) this.findAbstractInstance(attr, 0, func);
          break;
        case DW_AT.name:
          if (func.name === undefined && isStr(attr)) {
            func.name = this.strValue(attr);
            if (this.isPlainNameLanguage) func.isLinkage = true;
          }
          break;
        case DW_AT.linkage_name:
        case DW_AT.MIPS_linkage_name:
          if (isStr(attr)) {
            func.name = this.strValue(attr);
            func.isLinkage = true;
          }
          break;
        case DW_AT.low_pc:
          if (isInt(attr)) low = this.intValue(attr);
          break;
        case DW_AT.high_pc:
          if (isInt(attr)) {
            high = this.intValue(attr);
            relative = attr.form !== DW_FORM.addr;
          }
          break;
        case DW_AT.ranges:
          if (isInt(attr) && !this.readRangeList(func.ranges, this.intValue(attr))) throw new UnitFailure('range list');
          break;
        case DW_AT.decl_file:
          if (isInt(attr)) func.file = this.lineTable?.filename(Number(BigInt.asUintN(32, this.intValue(attr))));
          break;
        case DW_AT.decl_line:
          if (isInt(attr)) func.line = Number(BigInt.asUintN(32, this.intValue(attr)));
          break;
      }
    }
    if (relative) high = (high + low) & MASK;
    if (high !== 0n) this.addRange(func.ranges, low, high);
  }

  /** find_abstract_instance: the name (and linkage flag) of an abstract origin or specification. */
  private findAbstractInstance(attr: Attribute, depth: number, func: AbstractTarget): void {
    if (depth === 100) throw new UnitFailure('abstract instance recursion');
    const ref = this.intValue(attr);
    let target: BfdUnit = this;
    let offset: number;
    if (attr.form === DW_FORM.ref_addr) {
      const info = this.context.sections.info as Uint8Array;
      if (ref === 0n) return;
      if (ref >= BigInt(info.length)) throw new UnitFailure('invalid abstract instance DIE ref');
      offset = Number(ref);
      if (!this.unit.contains(offset)) {
        const other = this.context.unitContaining(offset);
        if (!other) throw new UnitFailure('unable to locate abstract instance DIE ref');
        target = other;
      }
    } else if (attr.form === DW_FORM.GNU_ref_alt) {
      throw new UnitFailure('alternate debug file references are not supported');
    } else {
      const total = BigInt(this.unit.header.end - this.unit.header.offset);
      if (ref === 0n || ref >= total) throw new UnitFailure('invalid abstract instance DIE ref');
      offset = this.unit.header.offset + Number(ref);
    }
    const attributes = target.attributesAt(offset);
    if (!attributes) return;
    for (const a of attributes) {
      switch (a.name) {
        case DW_AT.name:
          if (func.name === undefined && isStr(a)) {
            func.name = target.strValue(a);
            if (target.isPlainNameLanguage) func.isLinkage = true;
          }
          break;
        case DW_AT.specification:
          if (isInt(a)) target.findAbstractInstance(a, depth + 1, func);
          break;
        case DW_AT.linkage_name:
        case DW_AT.MIPS_linkage_name:
          if (isStr(a)) {
            func.name = target.strValue(a);
            func.isLinkage = true;
          }
          break;
        case DW_AT.decl_file:
          if (!target.maybeDecode()) throw new UnitFailure('abstract instance unit has no line table');
          if (isInt(a)) func.file = target.lineTable?.filename(Number(BigInt.asUintN(32, target.intValue(a))));
          break;
        case DW_AT.decl_line:
          if (isInt(a)) func.line = Number(BigInt.asUintN(32, target.intValue(a)));
          break;
      }
    }
  }

  /** The attributes of the DIE at `offset` (any offset, as binutils reads it); undefined for a null entry. */
  private attributesAt(offset: number): readonly Attribute[] | undefined {
    let known: Die | undefined;
    try {
      known = this.unit.dieAt(offset);
    } catch {
      known = undefined; // the unit's tree does not parse: read the one DIE below
    }
    if (known) return known.attributes;
    return this.dieAt(offset)?.attributes;
  }

  /** One DIE read on its own at `offset`; undefined for a null entry or an unreadable one. */
  private dieAt(offset: number): { tag: number; attributes: Attribute[] } | undefined {
    const reader = dwarfReader(this.unit.sectionBytes, this.unit.sectionName, offset, this.unit.header.end);
    const code = reader.ulebNumber();
    if (code === 0) return undefined;
    const abbrev = this.unit.abbreviationTable().get(code);
    if (!abbrev) throw new UnitFailure(`could not find abbrev number ${code}`);
    const attributes: Attribute[] = [];
    try {
      for (const spec of abbrev.attributes) attributes.push(readAttribute(reader, spec, this.unit.header));
    } catch {
      // binutils stops at an unreadable attribute and keeps what it read
    }
    return { tag: abbrev.tag, attributes };
  }

  /** comp_unit_may_contain_address (used for symbol lookups). */
  mayContain(address: bigint): boolean {
    if (this.error) return false;
    if (this.unitRanges.length === 0 || !this.lineTable) return true;
    return this.unitRanges.some((r) => address >= r.low && address < r.high);
  }

  /**
   * comp_unit_find_line: the declaration of the function or variable a symbol names (by
   * substring, as binutils matches), for addresses in non-code sections.
   */
  findSymbolLine(symbolName: string, isFunction: boolean, address: bigint): { file: string | undefined; line: number } | undefined {
    if (!this.maybeDecode()) return undefined;
    if (isFunction) {
      let best: FuncInfo | undefined;
      let bestLength = MASK;
      for (const func of [...this.functions].reverse()) {
        for (const r of func.ranges) {
          if (address >= r.low && address < r.high && r.high - r.low < bestLength && func.file !== undefined && func.name !== undefined && symbolName.includes(func.name)) {
            best = func;
            bestLength = r.high - r.low;
          }
        }
      }
      return best ? { file: best.file, line: best.line } : undefined;
    }
    for (const v of [...this.variables].reverse()) {
      if (v.addr === address && !v.stack && v.file !== undefined && v.name !== undefined && symbolName.includes(v.name)) return { file: v.file, line: v.line };
    }
    return undefined;
  }

  /** lookup_address_in_function_table: the function with the smallest range containing `address`. */
  functionAt(address: bigint): FuncInfo | undefined {
    const functions = this.functions;
    if (functions.length === 0) return undefined;
    if (!this.lookupTable) {
      const table = functions.map((func) => {
        let low = func.ranges[0]?.low ?? 0n;
        let high = func.ranges[0]?.high ?? 0n;
        for (const r of func.ranges.slice(1)) {
          if (r.low < low) low = r.low;
          if (r.high > high) high = r.high;
        }
        return { func, low, high };
      });
      table.sort((a, b) => (a.low !== b.low ? (a.low < b.low ? -1 : 1) : a.high !== b.high ? (a.high < b.high ? -1 : 1) : a.func.order - b.func.order));
      let watermark = table[0].high;
      for (const entry of table) {
        if (entry.high > watermark) watermark = entry.high;
        else entry.high = watermark;
      }
      this.lookupTable = table;
    }
    const table = this.lookupTable;
    if (table[table.length - 1].high < address) return undefined;
    let lo = 0;
    let hi = table.length;
    let first = hi;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (address < table[mid].low) hi = mid;
      else if (address >= table[mid].high) lo = mid + 1;
      else hi = first = mid;
    }
    let best: FuncInfo | undefined;
    let bestLength = MASK;
    for (let i = first; i < table.length && address >= table[i].low; i++) {
      const func = table[i].func;
      for (const r of func.ranges) {
        if (address < r.low || address >= r.high) continue;
        const length = r.high - r.low;
        if (length < bestLength || (length === bestLength && best !== undefined && func.order > best.order)) {
          best = func;
          bestLength = length;
        }
      }
    }
    return best;
  }
}

/** binutils drops an Irix-style "machine.:" prefix from DW_AT_comp_dir. */
function stripMachinePrefix(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  const colon = dir.indexOf(':');
  if (colon > 0 && dir[colon - 1] === '.' && dir[colon + 1] === '/') return dir.slice(colon + 1);
  return dir;
}
