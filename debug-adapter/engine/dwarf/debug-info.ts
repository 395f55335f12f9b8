// DebugInfo: the debugger's questions about one ELF file, answered from its DWARF: source lines
// of addresses and addresses of source lines, the function (with inlined frames) at an address,
// the variables in scope there, and their values in a frame. Addresses are runtime addresses:
// link-time addresses plus `loadBias` (0 for ET_EXEC; the relocation offset of a PIE).
import { ElfFile, elfConstants as C, type ElfSymbol } from '../../../native/lib/elf';
import { DW_AT, DW_TAG } from './constants';
import type { Die } from './die';
import { dieName, inheritedAttribute, inheritedConstant, linkageName, originOf } from './die-attributes';
import { DwarfFile } from './dwarf-file';
import { evaluateExpression, type EvaluationContext, type ExpressionEnvironment, type Location, type TypedInfo, type Unavailable } from './expression';
import { formatValue, type FormatEnvironment } from './format';
import { scopeChain, scopeMembers, UnitFunctions, type FunctionEntry } from './functions';
import { LineTable, type LineLookup, type SourceLocation } from './line-table';
import { isLocationListForm, readLocationList, type AddressRange } from './lists';
import { byteSizeOf, ptype, stripTypedefs, TypeResolver, typeName, type TypeInfo } from './types';
import type { Unit } from './unit';
import { readObject, type ObjectBytes } from './value-bytes';

export interface DebugInfoOptions {
  /** Runtime address minus link-time address (0 for ET_EXEC and unrelocated files). */
  readonly loadBias?: bigint;
}

/** One frame of the function chain at an address, innermost first. */
export interface FunctionFrame {
  readonly name: string | undefined;
  readonly linkageName: string | undefined;
  /** An inlined instance (DW_TAG_inlined_subroutine) rather than a real call frame. */
  readonly inlined: boolean;
  readonly unit: Unit;
  readonly die: Die;
  /** The PC ranges of this instance (runtime addresses). */
  readonly ranges: readonly AddressRange[];
  /** Where the instance is entered: DW_AT_entry_pc, else DW_AT_low_pc, else its first range (runtime). */
  readonly entryPc: bigint;
  readonly declFile: string | undefined;
  readonly declLine: number | undefined;
  /** Inlined frames: the call site in the caller (DW_AT_call_file/line/column). */
  readonly callSite: SourceLocation | undefined;
  /**
   * Where execution is in this frame: the line row for the innermost frame; for an outer frame,
   * the call site of the inlined frame inside it.
   */
  readonly location: SourceLocation | undefined;
}

export interface Variable {
  readonly name: string | undefined;
  readonly kind: 'parameter' | 'local' | 'global';
  readonly unit: Unit;
  readonly die: Die;
  readonly type: TypeInfo | undefined;
  /** gdb's `whatis` spelling of the type. */
  readonly typeName: string;
  readonly declFile: string | undefined;
  readonly declLine: number | undefined;
  /** The real (non-inlined) function whose frame holds the variable; undefined for globals. */
  readonly frameFunction: { readonly unit: Unit; readonly die: Die } | undefined;
}

export interface Scope {
  readonly kind: 'block' | 'function' | 'inlined';
  /** Index into functionAt(): 0 is the innermost (possibly inlined) frame. */
  readonly frame: number;
  readonly unit: Unit;
  readonly die: Die;
  readonly variables: readonly Variable[];
}

/** A frame's machine state: the evaluation context plus the address the frame is at. */
export interface FrameContext extends EvaluationContext {
  /** The frame's pc (runtime). For caller frames pass the return address minus one. */
  readonly pc: bigint;
  /**
   * The calling frame, if the unwinder knows it: used to recover parameters' entry values
   * (DW_OP_entry_value) from the caller's call site (DW_TAG_call_site_parameter).
   */
  readonly caller?: CallerFrame;
}

export interface CallerFrame {
  /** The return address into the caller (runtime). */
  readonly returnAddress: bigint;
  /** The caller's registers (as unwound), memory and CFA; its pc is returnAddress − 1. */
  readonly context: FrameContext;
}

export interface VariableValue {
  /** The value as gdb prints it (`info locals`), e.g. `{x = 1, y = 2}` or `<optimized out>`. */
  readonly text: string;
  /** As gdb's `print` shows it: a pointer gets its type first, `(int *) 0x4010 <numbers>`. */
  readonly printText: string;
  readonly type: TypeInfo | undefined;
  /** Why there is no value (optimized out, unreadable memory, ...). */
  readonly unavailable?: string;
  readonly location?: Location;
  readonly object?: ObjectBytes;
}

export interface LineAddresses {
  /** The line breakpoints go to: the requested one, or the next line with code. */
  readonly line: number;
  /** Full path of the matched file (as the line table spells it). */
  readonly file: string;
  /** Runtime addresses, ascending. */
  readonly addresses: readonly bigint[];
}

const LOCATION_TAGS = new Set<number>([DW_TAG.variable, DW_TAG.formal_parameter]);

export class DebugInfo {
  readonly dwarf: DwarfFile;
  readonly loadBias: bigint;
  readonly types = new TypeResolver();
  private readonly lineTables = new Map<Unit, LineTable | undefined>();
  private readonly unitFunctions = new Map<Unit, UnitFunctions>();
  private unitRanges?: Array<{ low: bigint; high: bigint; unit: Unit }>;
  private symbols?: ElfSymbol[];
  private codeRanges?: Array<{ low: bigint; high: bigint }>;

  constructor(
    readonly elf: ElfFile,
    options: DebugInfoOptions = {},
  ) {
    this.dwarf = DwarfFile.fromElf(elf);
    this.loadBias = options.loadBias ?? 0n;
  }

  static fromFile(path: string, options: DebugInfoOptions = {}): DebugInfo {
    return new DebugInfo(ElfFile.fromFile(path), options);
  }

  /** Compile and partial units (type units excluded). */
  get units(): readonly Unit[] {
    return this.dwarf.units.filter((u) => !u.isTypeUnit);
  }

  lineTable(unit: Unit): LineTable | undefined {
    if (!this.lineTables.has(unit)) this.lineTables.set(unit, LineTable.forUnit(unit, (a) => this.isCode(a)));
    return this.lineTables.get(unit);
  }

  functions(unit: Unit): UnitFunctions {
    let fns = this.unitFunctions.get(unit);
    if (!fns) {
      fns = new UnitFunctions(unit, (a) => this.isCode(a));
      this.unitFunctions.set(unit, fns);
    }
    return fns;
  }

  /** The unit whose code covers a link-time address (unit ranges, else its line table). */
  unitAt(linkAddress: bigint): Unit | undefined {
    if (!this.unitRanges) {
      const ranges: Array<{ low: bigint; high: bigint; unit: Unit }> = [];
      for (const unit of this.units) {
        const root = unit.root;
        let own = root ? unit.pcRanges(root).filter((r) => this.isCode(r.low)) : [];
        if (own.length === 0) own = (this.lineTable(unit)?.sequences ?? []).map((s) => ({ low: s.low, high: s.high }));
        for (const r of own) ranges.push({ ...r, unit });
      }
      this.unitRanges = ranges;
    }
    const hits = this.unitRanges.filter((r) => linkAddress >= r.low && linkAddress < r.high);
    // Prefer a unit whose line table really covers the address (unit ranges can be coarse).
    return hits.find((h) => this.lineTable(h.unit)?.sequenceAt(linkAddress)) ?.unit ?? hits[0]?.unit;
  }

  private fileOf(unit: Unit, die: Die, attr: number): string | undefined {
    const found = inheritedAttribute(unit, die, attr);
    const index = found ? found.unit.constant(found.attr) : undefined;
    return index === undefined ? undefined : this.lineTable(found?.unit ?? unit)?.filePath(Number(index));
  }

  /**
   * Whether a link-time address is in the file's code: an executable section (or, without
   * section headers, an executable PT_LOAD). Code the linker discarded keeps its debug info at
   * address 0 (or a -1/-2 tombstone); such ranges are ignored.
   */
  isCode(link: bigint): boolean {
    this.codeRanges ??= (() => {
      const sections = this.elf.sections.filter((s) => (s.flags & C.SHF_EXECINSTR) !== 0n && (s.flags & C.SHF_ALLOC) !== 0n && s.size > 0n);
      if (sections.length > 0) return sections.map((s) => ({ low: s.addr, high: s.addr + s.size }));
      const segments = this.elf.programHeaders.filter((p) => p.type === C.PT_LOAD && (p.flags & C.PF_X) !== 0);
      return segments.map((p) => ({ low: p.vaddr, high: p.vaddr + p.memsz }));
    })();
    return this.codeRanges.length === 0 || this.codeRanges.some((r) => link >= r.low && link < r.high);
  }

  // -------------------------------------------------------------------------------------------
  // Lines

  /** The source position of an address: file, line, column, discriminator (and the row's range). */
  lineForAddress(address: bigint): LineLookup | undefined {
    const link = address - this.loadBias;
    const unit = this.unitAt(link);
    const hit = unit ? this.lineTable(unit)?.lookup(link) : undefined;
    return hit ? { ...hit, address: hit.address + this.loadBias, end: hit.end + this.loadBias } : undefined;
  }

  /**
   * Breakpoint addresses for a source line: where each run of is_stmt rows for the line starts,
   * keeping (like gdb) only the lowest such address per innermost scope. `file` matches a full
   * path, a path suffix (`dir/file.c`) or a base name. Without code on the line, the next line of
   * the file that has code is used.
   */
  addressesForLine(file: string, line: number, options: { skipPrologue?: boolean } = {}): LineAddresses | undefined {
    const matchesPath = (path: string | undefined): boolean =>
      path !== undefined && (path === file || path.endsWith(file.startsWith('/') ? file : `/${file}`));
    const tables = this.units.map((u) => this.lineTable(u)).filter((t): t is LineTable => t !== undefined);
    const matcher = (table: LineTable) => (index: number) => matchesPath(table.filePath(index));
    const collect = (wanted: number): Array<{ address: bigint; path: string }> => {
      const found: Array<{ address: bigint; path: string }> = [];
      for (const table of tables) {
        const m = matcher(table);
        for (const address of table.lineStarts(wanted, m)) {
          const row = table.lookup(address);
          found.push({ address, path: row?.file ?? file });
        }
      }
      return found;
    };
    let used = line;
    let found = collect(line);
    if (found.length === 0) {
      let next: number | undefined;
      for (const table of tables) for (const l of table.linesOf(matcher(table))) if (l > line && (next === undefined || l < next)) next = l;
      if (next === undefined) return undefined;
      used = next;
      found = collect(next);
    }
    found.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    const kept: Array<{ address: bigint; path: string }> = [];
    const scopes = new Set<Die>();
    for (const entry of found) {
      if (kept.some((k) => k.address === entry.address)) continue;
      const scope = this.innermostScope(entry.address);
      if (scope && scopes.has(scope)) continue;
      if (scope) scopes.add(scope);
      kept.push(entry);
    }
    if (!options.skipPrologue) return { line: used, file: kept[0].path, addresses: kept.map((k) => k.address + this.loadBias) };
    // A line whose code is a function's prologue: break where the prologue ends instead (and
    // report the line there), as gdb does.
    const moved = kept.map((k) => {
      const fn = this.functionAtLink(k.address);
      const end = fn ? this.prologueEnd(fn.unit, fn.die) : undefined;
      return end !== undefined && fn && k.address >= entryPc(fn.unit, fn.die) && k.address < end ? end : k.address;
    });
    const addresses = [...new Set(moved)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const movedFirst = moved.some((a, i) => a !== kept[i].address);
    const lineAt = movedFirst ? this.lineForAddress(addresses[0] + this.loadBias)?.line ?? used : used;
    return { line: lineAt, file: kept[0].path, addresses: addresses.map((a) => a + this.loadBias) };
  }

  private functionAtLink(link: bigint): { unit: Unit; die: Die } | undefined {
    const located = this.functionEntryAt(link);
    return located ? { unit: located.unit, die: located.fn.die } : undefined;
  }

  /**
   * Where a function's prologue ends (link-time), for breakpoints on its first line: the first
   * row flagged prologue_end; else, after `push %rbp; mov %rsp,%rbp` (optionally behind endbr64),
   * the start of the next line-table row; else (a frameless function) its entry.
   */
  prologueEnd(unit: Unit, die: Die): bigint | undefined {
    const entry = entryPc(unit, die);
    const table = this.lineTable(unit);
    const seq = table?.sequenceAt(entry);
    if (!table || !seq) return undefined;
    const ranges = unit.pcRanges(die);
    const inFunction = (a: bigint): boolean => ranges.some((r) => a >= r.low && a < r.high);
    const flagged = seq.rows.find((r) => r.prologueEnd && r.address >= entry && inFunction(r.address));
    if (flagged) return flagged.address;
    const code = this.elf.bytesAt(entry, 16);
    if (!code) return entry;
    let at = 0;
    if (code[0] === 0xf3 && code[1] === 0x0f && code[2] === 0x1e && code[3] === 0xfa) at = 4; // endbr64
    if (code[at] !== 0x55) return entry; // push %rbp
    const mov = code.subarray(at + 1, at + 4);
    const isMov = (mov[0] === 0x48 && ((mov[1] === 0x89 && mov[2] === 0xe5) || (mov[1] === 0x8b && mov[2] === 0xec)));
    if (!isMov) return entry;
    const afterFrame = entry + BigInt(at + 4);
    const row = table.lookup(afterFrame);
    if (!row || row.address === afterFrame) return afterFrame;
    return inFunction(row.end) ? row.end : afterFrame;
  }

  private innermostScope(linkAddress: bigint): Die | undefined {
    const unit = this.unitAt(linkAddress);
    const fn = unit ? this.functions(unit).at(linkAddress) : undefined;
    if (!unit || !fn) return undefined;
    const chain = scopeChain(unit, fn.die, linkAddress);
    return chain[chain.length - 1] ?? fn.die;
  }

  // -------------------------------------------------------------------------------------------
  // Functions

  /** The function at an address and the inlined functions inside it, innermost first. */
  functionAt(address: bigint): FunctionFrame[] {
    const link = address - this.loadBias;
    const located = this.functionEntryAt(link);
    if (!located) return [];
    const { unit, fn } = located;
    const inlined = scopeChain(unit, fn.die, link).filter((d) => d.tag === DW_TAG.inlined_subroutine);
    const dies = [fn.die, ...inlined];
    const frames: FunctionFrame[] = [];
    const row = this.lineTable(unit)?.lookup(link);
    let location: SourceLocation | undefined = row ? { file: row.file, line: row.line, column: row.column, discriminator: row.discriminator } : undefined;
    for (let i = dies.length - 1; i >= 0; i--) {
      const die = dies[i];
      const isInlined = die.tag === DW_TAG.inlined_subroutine;
      const callSite: SourceLocation | undefined = isInlined
        ? {
            file: this.fileOf(unit, die, DW_AT.call_file),
            line: Number(unit.constant(die.attr(DW_AT.call_line)) ?? 0n),
            column: Number(unit.constant(die.attr(DW_AT.call_column)) ?? 0n),
            discriminator: Number(unit.constant(die.attr(0x2136 /* DW_AT_GNU_discriminator */)) ?? 0n),
          }
        : undefined;
      frames.push({
        name: dieName(unit, die),
        linkageName: linkageName(unit, die),
        inlined: isInlined,
        unit,
        die,
        ranges: unit.pcRanges(die).map((r) => ({ low: r.low + this.loadBias, high: r.high + this.loadBias })),
        entryPc: entryPc(unit, die) + this.loadBias,
        declFile: this.fileOf(unit, die, DW_AT.decl_file),
        declLine: numberOrUndefined(inheritedConstant(unit, die, DW_AT.decl_line)),
        callSite,
        location,
      });
      location = callSite;
    }
    return frames;
  }

  private functionEntryAt(link: bigint): { unit: Unit; fn: FunctionEntry } | undefined {
    const unit = this.unitAt(link);
    if (unit) {
      const fn = this.functions(unit).at(link);
      if (fn) return { unit, fn };
    }
    for (const u of this.units) {
      if (u === unit) continue;
      const fn = this.functions(u).at(link);
      if (fn) return { unit: u, fn };
    }
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Scopes and variables

  /**
   * The scopes at an address, innermost first: lexical blocks, then the inlined function or
   * function that owns them, then (for inlined frames) the scopes of the caller, and so on.
   * Each lists its parameters and local variables (inlined instances include the variables of
   * their abstract function that the compiler dropped, as gdb shows them: optimized out).
   */
  scopesAt(address: bigint): Scope[] {
    const link = address - this.loadBias;
    const located = this.functionEntryAt(link);
    if (!located) return [];
    const { unit, fn } = located;
    const chain = [fn.die, ...scopeChain(unit, fn.die, link)];
    const inlinedCount = chain.filter((d) => d.tag === DW_TAG.inlined_subroutine).length;
    const frameFunction = { unit, die: fn.die };
    const scopes: Scope[] = [];
    let frame = inlinedCount;
    for (const die of chain) {
      const kind = die === fn.die ? 'function' : die.tag === DW_TAG.inlined_subroutine ? 'inlined' : 'block';
      if (kind === 'inlined') frame--;
      scopes.push({ kind, frame, unit, die, variables: this.variablesOf(unit, die, frameFunction) });
    }
    return scopes.reverse();
  }

  /** Global and file-static variables of every unit (those with a location or constant value). */
  globals(): Variable[] {
    const vars: Variable[] = [];
    for (const unit of this.units) {
      const root = unit.root;
      if (!root) continue;
      for (const die of root.children) {
        if (die.tag !== DW_TAG.variable) continue;
        if (!die.has(DW_AT.location) && !die.has(DW_AT.const_value)) continue;
        vars.push(this.makeVariable(unit, die, 'global', undefined));
      }
    }
    return vars;
  }

  private variablesOf(unit: Unit, die: Die, frameFunction: { unit: Unit; die: Die }): Variable[] {
    const members = scopeMembers(unit, die).filter((d) => LOCATION_TAGS.has(d.tag));
    const vars = members.map((d) => this.makeVariable(unit, d, d.tag === DW_TAG.formal_parameter ? 'parameter' : 'local', frameFunction));
    // Variables of the abstract function with no concrete counterpart here.
    const origin = originOf(unit, die);
    if (origin) {
      const covered = new Set(members.map((m) => originOf(unit, m)?.die).filter((d): d is Die => d !== undefined));
      for (const abstract of scopeMembers(origin.unit, origin.die)) {
        if (!LOCATION_TAGS.has(abstract.tag) || covered.has(abstract)) continue;
        vars.push(this.makeVariable(origin.unit, abstract, abstract.tag === DW_TAG.formal_parameter ? 'parameter' : 'local', frameFunction));
      }
    }
    // Parameters first, as debuggers list them.
    return [...vars.filter((v) => v.kind === 'parameter'), ...vars.filter((v) => v.kind !== 'parameter')];
  }

  private makeVariable(unit: Unit, die: Die, kind: Variable['kind'], frameFunction: Variable['frameFunction']): Variable {
    const typeAttr = inheritedAttribute(unit, die, DW_AT.type);
    const type = typeAttr ? this.types.typeOf(typeAttr.unit, typeAttr.die) : undefined;
    return {
      name: dieName(unit, die),
      kind,
      unit,
      die,
      type,
      typeName: typeName(type),
      declFile: this.fileOf(unit, die, DW_AT.decl_file),
      declLine: numberOrUndefined(inheritedConstant(unit, die, DW_AT.decl_line)),
      frameFunction,
    };
  }

  /** gdb's `ptype` of a type. */
  ptype(type: TypeInfo | undefined): string {
    return ptype(type);
  }

  /** The location of a variable at `pc` (link-time ranges are matched against pc − loadBias). */
  variableLocation(variable: Variable, frame: FrameContext): Location {
    const { unit, die } = variable;
    const env = this.environment(unit, variable, frame);
    const attr = die.attr(DW_AT.location);
    if (attr) {
      if (attr.bytes && !isLocationListForm(unit, attr.form)) return evaluateExpression(attr.bytes, frame, env);
      const link = frame.pc - this.loadBias;
      const entries = readLocationList(unit, attr);
      const entry = entries.find((e) => e.range !== undefined && link >= e.range.low && link < e.range.high) ?? entries.find((e) => e.range === undefined);
      if (!entry) return { kind: 'unavailable', reason: 'optimized out' };
      return evaluateExpression(entry.expression, frame, env);
    }
    const constant = inheritedAttribute(unit, die, DW_AT.const_value);
    if (constant) {
      const size = byteSizeOf(variable.type);
      const cu = constant.unit;
      if (constant.attr.bytes) return { kind: 'bytes', bytes: constant.attr.bytes };
      const text = cu.stringBytes(constant.attr);
      if (text !== undefined) return { kind: 'bytes', bytes: Uint8Array.from([...text, 0]) };
      return { kind: 'value', value: BigInt.asUintN(Math.max(size, 1) * 8, constant.attr.raw), size: Math.max(size, 1) };
    }
    return { kind: 'unavailable', reason: 'optimized out' };
  }

  /** The value of a variable in a frame, with gdb's text for it. */
  variableValue(variable: Variable, frame: FrameContext): VariableValue {
    const type = variable.type;
    let location: Location;
    try {
      location = this.variableLocation(variable, frame);
    } catch (error) {
      const text = `<error: ${(error as Error).message}>`;
      return { text, printText: text, type, unavailable: (error as Error).message };
    }
    if (location.kind === 'unavailable') return { text: '<optimized out>', printText: '<optimized out>', type, unavailable: location.reason, location };
    if (location.kind === 'implicitPointer') return { text: '<synthetic pointer>', printText: '<synthetic pointer>', type, unavailable: 'implicit pointer', location };
    const object = readObject(location, byteSizeOf(type), frame);
    if (!('bytes' in object)) {
      const text = object.kind === 'error' ? `<error: ${object.reason}>` : '<optimized out>';
      return { text, printText: text, type, unavailable: object.reason, location };
    }
    const text = formatValue(type, object, this.formatEnvironment(frame));
    const plain = text.startsWith('<');
    return { text, printText: plain ? text : printPrefix(type) + text, type, location, object };
  }

  /** What formatting needs: memory for strings, ELF symbols for <symbol+offset>. */
  formatEnvironment(memory: Pick<EvaluationContext, 'readMemory'>): FormatEnvironment {
    return { readMemory: (a, n) => memory.readMemory(a, n), symbolize: (a) => this.symbolize(a) };
  }

  /** gdb's <symbol+offset> for a runtime address inside a defined ELF symbol, if any. */
  symbolize(address: bigint): string | undefined {
    const link = address - this.loadBias;
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

  private environment(unit: Unit, variable: Variable, frame: FrameContext): ExpressionEnvironment {
    const fn = variable.frameFunction;
    const link = frame.pc - this.loadBias;
    const entry = fn ? fn.unit.pcRanges(fn.die).reduce<bigint | undefined>((min, r) => (min === undefined || r.low < min ? r.low : min), undefined) : undefined;
    return {
      addressSize: unit.addressSize,
      loadBias: this.loadBias,
      indexedAddress: (i) => unit.indexedAddress(i),
      atFunctionEntry: entry !== undefined && entry === link,
      entryValue: (expression) => this.entryValue(fn, expression, frame),
      baseType: (offset): TypedInfo | undefined => {
        const die = unit.dieAt(unit.header.offset + offset);
        if (!die || die.tag !== DW_TAG.base_type) return undefined;
        const encoding = Number(unit.constant(die.attr(DW_AT.encoding)) ?? 0n);
        return { size: Number(unit.constant(die.attr(DW_AT.byte_size)) ?? 8n), signed: encoding === 0x05 || encoding === 0x06, float: encoding === 0x04 };
      },
      callExpression: (offset, absolute) => {
        const die = absolute ? this.dwarf.dieAt(offset) : unit.dieAt(unit.header.offset + offset);
        return die?.attr(DW_AT.location)?.bytes;
      },
      frameBase: () => {
        if (!fn) return { kind: 'unavailable', reason: 'no frame function' };
        const base = fn.die.attr(DW_AT.frame_base);
        if (!base) return { kind: 'unavailable', reason: 'the function has no DW_AT_frame_base' };
        let expression = base.bytes;
        if (!expression || isLocationListForm(fn.unit, base.form)) {
          const e = readLocationList(fn.unit, base).find((x) => x.range !== undefined && link >= x.range.low && link < x.range.high);
          if (!e) return { kind: 'unavailable', reason: 'frame base not available here' };
          expression = e.expression;
        }
        const location = evaluateExpression(expression, frame, { addressSize: fn.unit.addressSize, loadBias: this.loadBias });
        if (location.kind === 'memory') return location.address;
        if (location.kind === 'value') return location.value;
        if (location.kind === 'register') {
          const value = frame.readRegister(location.regno);
          return value ?? { kind: 'unavailable', reason: `register ${location.regno} not available` };
        }
        return { kind: 'unavailable', reason: location.kind === 'unavailable' ? location.reason : 'unsupported frame base' };
      },
    };
  }

  /**
   * DW_OP_entry_value(DW_OP_regN) through the caller: the call site at the caller's return
   * address names the callee and, per register parameter, an expression for its value at the
   * call (DW_AT_call_value), evaluated in the caller's frame.
   */
  private entryValue(fn: Variable['frameFunction'], expression: Uint8Array, frame: FrameContext): bigint | Unavailable {
    const regno = plainRegister(expression);
    if (regno === undefined) return { kind: 'unavailable', reason: 'entry value of a non-register expression' };
    const caller = frame.caller;
    if (!fn || !caller) return { kind: 'unavailable', reason: 'the caller frame is not known' };
    const returnLink = caller.returnAddress - this.loadBias;
    const located = this.functionEntryAt(returnLink - 1n);
    if (!located) return { kind: 'unavailable', reason: 'no debug information for the caller' };
    const site = findCallSite(located.unit, located.fn.die, returnLink);
    if (!site) return { kind: 'unavailable', reason: 'no call site information at the return address' };
    const originAttr = site.attr(DW_AT.call_origin) ?? site.attr(DW_AT.abstract_origin);
    const origin = originAttr ? located.unit.reference(originAttr) : undefined;
    if (!origin || dieName(located.unit.unitOf(origin), origin) !== dieName(fn.unit, fn.die)) {
      return { kind: 'unavailable', reason: 'the call site does not name this function' };
    }
    for (const param of site.children) {
      if (param.tag !== DW_TAG.call_site_parameter && param.tag !== DW_TAG.GNU_call_site_parameter) continue;
      const location = param.attr(DW_AT.location)?.bytes;
      if (!location || plainRegister(location) !== regno) continue;
      const value = param.attr(DW_AT.call_value) ?? param.attr(0x2111 /* DW_AT_GNU_call_site_value */);
      if (!value?.bytes) break;
      const callerVariable = { frameFunction: { unit: located.unit, die: located.fn.die } } as Variable;
      const env = this.environment(located.unit, callerVariable, caller.context);
      const result = evaluateExpression(value.bytes, caller.context, env);
      if (result.kind === 'memory') return result.address;
      if (result.kind === 'value') return result.value;
      if (result.kind === 'register') return caller.context.readRegister(result.regno) ?? { kind: 'unavailable', reason: 'caller register not available' };
      return { kind: 'unavailable', reason: result.kind === 'unavailable' ? result.reason : 'unsupported call site value' };
    }
    return { kind: 'unavailable', reason: 'the call site does not record this parameter' };
  }

  /** True when DWARF describes the code at `address` (some unit covers it). */
  covers(address: bigint): boolean {
    return this.unitAt(address - this.loadBias) !== undefined;
  }
}

/** gdb's `print` puts a pointer's type in front of it, except for plain `char *` strings. */
function printPrefix(type: TypeInfo | undefined): string {
  if (!type || stripTypedefs(type).kind !== 'pointer') return '';
  if (type.kind === 'pointer') {
    const target = type.target && type.target.kind === 'qualified' ? stripQualifiersOnly(type.target) : type.target;
    if (target?.kind === 'base' && target.name === 'char') return '';
  }
  return `(${typeName(type)}) `;
}

function stripQualifiersOnly(type: TypeInfo): TypeInfo | undefined {
  let t: TypeInfo | undefined = type;
  while (t?.kind === 'qualified') t = t.target;
  return t;
}

/** DW_AT_entry_pc (an address, or an offset from the low pc), else DW_AT_low_pc, else the first range. */
function entryPc(unit: Unit, die: Die): bigint {
  const ranges = unit.pcRanges(die);
  const base = unit.address(die.attr(DW_AT.low_pc)) ?? ranges[0]?.low ?? 0n;
  const attr = die.attr(DW_AT.entry_pc);
  const address = unit.address(attr);
  if (address !== undefined) return address;
  const offset = unit.constant(attr);
  return offset !== undefined ? base + offset : base;
}

/** N for an expression that is exactly DW_OP_regN or DW_OP_regx N. */
function plainRegister(expression: Uint8Array): number | undefined {
  if (expression.length === 1 && expression[0] >= 0x50 && expression[0] <= 0x6f) return expression[0] - 0x50;
  if (expression[0] === 0x90) {
    let value = 0;
    let shift = 0;
    for (let i = 1; i < expression.length; i++) {
      value |= (expression[i] & 0x7f) << shift;
      shift += 7;
      if ((expression[i] & 0x80) === 0) return i === expression.length - 1 ? value : undefined;
    }
  }
  return undefined;
}

/** The DW_TAG_call_site (or GNU_call_site) under `die` whose return address is `returnAddress`. */
function findCallSite(unit: Unit, die: Die, returnAddress: bigint): Die | undefined {
  for (const child of die.children) {
    if (child.tag === DW_TAG.call_site || child.tag === DW_TAG.GNU_call_site) {
      const pc = unit.address(child.attr(DW_AT.call_return_pc)) ?? unit.address(child.attr(DW_AT.low_pc));
      if (pc === returnAddress) return child;
    }
    const nested = findCallSite(unit, child, returnAddress);
    if (nested) return nested;
  }
  return undefined;
}

function numberOrUndefined(value: bigint | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** gdb prefers global over weak over local symbols at one address; sized over unsized. */
function rank(s: ElfSymbol): number {
  const bind = s.bind === C.STB_GLOBAL ? 0 : s.bind === C.STB_WEAK ? 1 : 2;
  return (s.size === 0n ? 3 : 0) + bind;
}
