// DebugInfo: the debugger's questions about one ELF file, answered from its DWARF: source lines
// of addresses and addresses of source lines, the function (with inlined frames) at an address,
// the variables in scope there, and their values in a frame. Addresses are runtime addresses:
// link-time addresses plus `loadBias` (0 for ET_EXEC; the relocation offset of a PIE).
import { compareAddresses } from '../../../native/lib/address-ranges';
import { ElfFile } from '../../../native/lib/elf';
import { AddressIndex } from './address-index';
import { callSiteCallee, callSiteValue, findCallSite, plainRegister } from './call-sites';
import { CodeMap } from './code-map';
import { DW_AT, DW_TAG } from './constants';
import type { Die } from './die';
import { dieName, inheritedAttribute, inheritedConstant, linkageName } from './die-attributes';
import { DwarfFile } from './dwarf-file';
import { DwarfFormatError } from './errors';
import { evaluateExpression, type EvaluationContext, type ExpressionEnvironment, type Location, type TypedInfo, type Unavailable } from './expression';
import { formatValue, printPrefix, type FormatEnvironment } from './format';
import { entryPc, scopeChain, UnitFunctions, type FunctionEntry } from './functions';
import { LineTable, type LineLookup, type SourceLocation } from './line-table';
import { isLocationListForm, readLocationList, type AddressRange } from './lists';
import { prologueEnd } from './prologue';
import { demangleSymbolic } from './rust-demangle';
import { isRustUnit, rustPath } from './rust-names';
import { byteSizeOf, ptype, TypeResolver, type TypeInfo } from './types';
import type { Unit } from './unit';
import { readObject, type ObjectBytes } from './value-bytes';
import { VariableCatalog, variableLocation, type Scope, type Variable } from './variables';

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


export type { Variable, Scope } from './variables';

export class DebugInfo {
  readonly dwarf: DwarfFile;
  readonly loadBias: bigint;
  readonly types = new TypeResolver();
  private readonly lineTables = new Map<Unit, LineTable | undefined>();
  private readonly unitFunctions = new Map<Unit, UnitFunctions>();
  private unitIndex?: AddressIndex<Unit>;
  private compileUnits?: readonly Unit[];
  private readonly unitProblems: DwarfFormatError[] = [];
  private readonly code: CodeMap;
  private readonly catalog: VariableCatalog;
  private readonly scopeVariables = new Map<Die, readonly Variable[]>();

  constructor(
    readonly elf: ElfFile,
    options: DebugInfoOptions = {},
  ) {
    this.dwarf = DwarfFile.fromElf(elf);
    this.loadBias = options.loadBias ?? 0n;
    this.code = new CodeMap(elf);
    this.catalog = new VariableCatalog(this.types, (unit, die, attr) => this.fileOf(unit, die, attr));
  }

  static fromFile(path: string, options: DebugInfoOptions = {}): DebugInfo {
    return new DebugInfo(ElfFile.fromFile(path), options);
  }

  /** Compile and partial units (type units excluded). */
  /**
   * Compile and partial units (type units excluded) whose DIEs parse; a unit with malformed
   * DIEs is left out and reported in `problems` rather than failing every query.
   */
  get units(): readonly Unit[] {
    this.compileUnits ??= this.dwarf.units.filter((u) => !u.isTypeUnit && this.parses(u));
    return this.compileUnits;
  }

  /** What could not be read: malformed unit headers, DIE trees and line programs. */
  get problems(): readonly DwarfFormatError[] {
    return [...this.dwarf.problems, ...this.unitProblems];
  }

  private parses(unit: Unit): boolean {
    try {
      void unit.root;
      return true;
    } catch (error) {
      if (!(error instanceof DwarfFormatError)) throw error;
      this.unitProblems.push(error);
      return false;
    }
  }

  lineTable(unit: Unit): LineTable | undefined {
    if (!this.lineTables.has(unit)) {
      let table: LineTable | undefined;
      try {
        table = LineTable.forUnit(unit, (a) => this.code.isCode(a));
      } catch (error) {
        if (!(error instanceof DwarfFormatError)) throw error;
        this.unitProblems.push(error);
      }
      this.lineTables.set(unit, table);
    }
    return this.lineTables.get(unit);
  }

  functions(unit: Unit): UnitFunctions {
    let fns = this.unitFunctions.get(unit);
    if (!fns) {
      fns = new UnitFunctions(unit, (a) => this.code.isCode(a));
      this.unitFunctions.set(unit, fns);
    }
    return fns;
  }

  /** The unit whose code covers a link-time address (unit ranges, else its line table). */
  unitAt(linkAddress: bigint): Unit | undefined {
    if (!this.unitIndex) {
      const index = new AddressIndex<Unit>();
      for (const unit of this.units) {
        const root = unit.root;
        let own = root ? unit.pcRanges(root).filter((r) => this.code.isCode(r.low)) : [];
        if (own.length === 0) own = (this.lineTable(unit)?.sequences ?? []).map((s) => ({ low: s.low, high: s.high }));
        for (const r of own) index.add(unit, r.low, r.high);
      }
      this.unitIndex = index;
    }
    const owners = this.unitIndex.ownersAt(linkAddress);
    const hits = this.units.filter((u) => owners.has(u));
    // Prefer a unit whose line table really covers the address (unit ranges can be coarse).
    return hits.find((u) => this.lineTable(u)?.sequenceAt(linkAddress)) ?? hits[0];
  }

  private fileOf(unit: Unit, die: Die, attr: number): string | undefined {
    const found = inheritedAttribute(unit, die, attr);
    const index = found ? found.unit.constant(found.attr) : undefined;
    return index === undefined ? undefined : this.lineTable(found?.unit ?? unit)?.filePath(Number(index));
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
    found.sort((a, b) => compareAddresses(a.address, b.address));
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
      const table = fn ? this.lineTable(fn.unit) : undefined;
      const end = fn && table ? prologueEnd(table, fn.unit, fn.die, (a, n) => this.code.bytesAt(a, n)) : undefined;
      return end !== undefined && fn && k.address >= entryPc(fn.unit, fn.die) && k.address < end ? end : k.address;
    });
    const addresses = [...new Set(moved)].sort(compareAddresses);
    const movedFirst = moved.some((a, i) => a !== kept[i].address);
    const lineAt = movedFirst ? this.lineForAddress(addresses[0] + this.loadBias)?.line ?? used : used;
    return { line: lineAt, file: kept[0].path, addresses: addresses.map((a) => a + this.loadBias) };
  }

  private functionAtLink(link: bigint): { unit: Unit; die: Die } | undefined {
    const located = this.functionEntryAt(link);
    return located ? { unit: located.unit, die: located.fn.die } : undefined;
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
        // Rust frames are named by their path, as gdb names them: rust_hello::fibonacci.
        name: isRustUnit(unit) ? rustPath(unit, die) : dieName(unit, die),
        linkageName: linkageName(unit, die),
        inlined: isInlined,
        unit,
        die,
        ranges: unit.pcRanges(die).map((r) => ({ low: r.low + this.loadBias, high: r.high + this.loadBias })),
        entryPc: entryPc(unit, die) + this.loadBias,
        declFile: this.fileOf(unit, die, DW_AT.decl_file),
        declLine: ((line) => (line === undefined ? undefined : Number(line)))(inheritedConstant(unit, die, DW_AT.decl_line)),
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

  /** The variables of a scope DIE (cached: a scope belongs to one function). */
  private variablesOf(unit: Unit, die: Die, frameFunction: { unit: Unit; die: Die }): readonly Variable[] {
    let vars = this.scopeVariables.get(die);
    if (!vars) {
      vars = this.catalog.variablesOf(unit, die, frameFunction);
      this.scopeVariables.set(die, vars);
    }
    return vars;
  }

  /** Global and file-static variables of every unit (those with a location or constant value). */
  globals(): Variable[] {
    return this.catalog.globals(this.units);
  }

  /** gdb's `ptype` of a type. */
  ptype(type: TypeInfo | undefined): string {
    return ptype(type);
  }

  /** The location of a variable at `pc` (link-time ranges are matched against pc − loadBias). */
  variableLocation(variable: Variable, frame: FrameContext): Location {
    return variableLocation(variable, frame.pc - this.loadBias, frame, this.environment(variable.unit, variable.frameFunction, frame));
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

  /** What formatting needs: memory for strings, ELF symbols for <symbol+offset> (Rust ones demangled, as gdb prints them). */
  formatEnvironment(memory: Pick<EvaluationContext, 'readMemory'>): FormatEnvironment {
    return {
      readMemory: (a, n) => memory.readMemory(a, n),
      symbolize: (a) => {
        const symbol = this.code.symbolize(a - this.loadBias);
        return symbol === undefined ? undefined : demangleSymbolic(symbol);
      },
    };
  }

  /** What evaluating an expression of `unit` in a frame of `fn` needs: frame base, base types, entry values. */
  private environment(unit: Unit, fn: Variable['frameFunction'], frame: FrameContext): ExpressionEnvironment {
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
    const callee = callSiteCallee(located.unit, site);
    if (!callee || dieName(located.unit.unitOf(callee), callee) !== dieName(fn.unit, fn.die)) {
      return { kind: 'unavailable', reason: 'the call site does not name this function' };
    }
    const value = callSiteValue(site, regno);
    if (!value) return { kind: 'unavailable', reason: 'the call site does not record this parameter' };
    const env = this.environment(located.unit, { unit: located.unit, die: located.fn.die }, caller.context);
    const result = evaluateExpression(value, caller.context, env);
    if (result.kind === 'memory') return result.address;
    if (result.kind === 'value') return result.value;
    if (result.kind === 'register') return caller.context.readRegister(result.regno) ?? { kind: 'unavailable', reason: 'caller register not available' };
    return { kind: 'unavailable', reason: result.kind === 'unavailable' ? result.reason : 'unsupported call site value' };
  }

  /** True when DWARF describes the code at `address` (some unit covers it). */
  covers(address: bigint): boolean {
    return this.unitAt(address - this.loadBias) !== undefined;
  }
}
