// Program entities by name, for expression evaluators: named types (typedefs, struct/union/enum
// tags, base types), enumerators and functions with code. gdb resolves `(struct point *)p`,
// `BLUE` and `plus` the same way. Built once per DebugInfo from the top level of every unit
// (type units included); where several units define a name, the caller's unit wins.
import { DW_AT, DW_TAG } from './constants';
import type { DebugInfo } from './debug-info';
import type { Die } from './die';
import { dieName, inheritedAttribute, originOf } from './die-attributes';
import { DwarfFormatError } from './errors';
import { entryPc } from './functions';
import { isRustUnit, rustPath } from './rust-names';
import { canonicalBaseName, typeName, type EnumType, type FunctionType, type TypeInfo } from './types';
import type { Variable } from './variables';
import type { Unit } from './unit';

export type NamedTypeKind = 'typedef' | 'struct' | 'union' | 'enum' | 'base';

export interface NamedEnumerator {
  readonly name: string;
  readonly type: EnumType;
  readonly value: bigint;
  readonly unit: Unit;
}

export interface NamedFunction {
  readonly name: string;
  readonly type: FunctionType;
  /** Runtime address of the function's entry (lowest address of its code). */
  readonly address: bigint;
  readonly unit: Unit;
  readonly die: Die;
}

interface Entry {
  readonly unit: Unit;
  readonly die: Die;
}

const KIND_OF_TAG = new Map<number, NamedTypeKind>([
  [DW_TAG.typedef, 'typedef'],
  [DW_TAG.structure_type, 'struct'],
  [DW_TAG.class_type, 'struct'],
  [DW_TAG.union_type, 'union'],
  [DW_TAG.enumeration_type, 'enum'],
  [DW_TAG.base_type, 'base'],
]);

const indexes = new WeakMap<DebugInfo, NamedEntities>();

export class NamedEntities {
  private readonly types = new Map<string, Entry[]>();
  private readonly enumerators = new Map<string, Entry[]>();
  private readonly unlocated = new Map<string, Entry[]>();
  private functionIndex?: Map<string, NamedFunction[]>;

  private constructor(private readonly info: DebugInfo) {
    for (const unit of [...info.dwarf.units, ...info.dwarf.typeUnits]) {
      let root: Die | undefined;
      try {
        root = unit.root;
      } catch (error) {
        if (error instanceof DwarfFormatError) continue; // reported by DebugInfo.problems
        throw error;
      }
      for (const die of root?.children ?? []) this.add(unit, die);
    }
  }

  /** The index of `info` (built on first use, then shared). */
  static of(info: DebugInfo): NamedEntities {
    let index = indexes.get(info);
    if (!index) {
      index = new NamedEntities(info);
      indexes.set(info, index);
    }
    return index;
  }

  private add(unit: Unit, die: Die): void {
    if (die.tag === DW_TAG.variable && !die.has(DW_AT.location) && !die.has(DW_AT.const_value) && !unit.flag(die.attr(DW_AT.declaration))) {
      const name = dieName(unit, die);
      if (name !== undefined) push(this.unlocated, name, { unit, die });
      return;
    }
    const kind = KIND_OF_TAG.get(die.tag);
    if (kind === undefined) return;
    const raw = unit.string(die.attr(DW_AT.name));
    if (raw !== undefined) push(this.types, `${kind} ${kind === 'base' ? canonicalBaseName(raw) : raw}`, { unit, die });
    if (die.tag === DW_TAG.enumeration_type) {
      for (const child of die.children) {
        const name = child.tag === DW_TAG.enumerator ? unit.string(child.attr(DW_AT.name)) : undefined;
        if (name !== undefined) push(this.enumerators, name, { unit, die });
      }
    }
    // C nests no type scopes, but a struct may define another inside it; both are file scope.
    if (kind === 'struct' || kind === 'union') for (const child of die.children) if (child.tag !== DW_TAG.member) this.add(unit, child);
  }

  /**
   * The type with this name: `type('struct', 'point')`, `type('typedef', 'shape_t')`,
   * `type('base', 'unsigned int')`. A complete definition is preferred over a declaration, then
   * one from `preferUnit`.
   */
  type(kind: NamedTypeKind, name: string, preferUnit?: Unit): TypeInfo | undefined {
    const key = `${kind} ${kind === 'base' ? canonicalBaseName(name) : name}`;
    const entries = this.types.get(key);
    if (!entries) return undefined;
    const complete = entries.filter((e) => !e.unit.flag(e.die.attr(DW_AT.declaration)));
    const pool = complete.length > 0 ? complete : entries;
    const chosen = pool.find((e) => e.unit === preferUnit) ?? pool[0];
    return this.info.types.resolve(chosen.unit, chosen.die);
  }

  /** The enumerator with this name and its enum type. */
  enumerator(name: string, preferUnit?: Unit): NamedEnumerator | undefined {
    const entries = this.enumerators.get(name);
    if (!entries) return undefined;
    const chosen = entries.find((e) => e.unit === preferUnit) ?? entries[0];
    const type = this.info.types.resolve(chosen.unit, chosen.die);
    if (type.kind !== 'enum') return undefined;
    const found = type.enumerators.find((e) => e.name === name);
    return found ? { name, type, value: found.value, unit: chosen.unit } : undefined;
  }

  /**
   * A global or file-static variable the compiler kept no location or value for (optimized out):
   * DebugInfo.globals() leaves these out, but gdb still knows the name and prints <optimized out>.
   */
  optimizedOutVariable(name: string, preferUnit?: Unit): Variable | undefined {
    const entries = this.unlocated.get(name);
    if (!entries) return undefined;
    const { unit, die } = entries.find((e) => e.unit === preferUnit) ?? entries[0];
    const typed = inheritedAttribute(unit, die, DW_AT.type);
    const type = typed ? this.info.types.typeOf(typed.unit, typed.die) : undefined;
    const line = inheritedAttribute(unit, die, DW_AT.decl_line);
    return {
      name,
      kind: 'global',
      unit,
      die,
      type,
      typeName: typeName(type),
      declFile: undefined,
      declLine: line ? Number(line.unit.constant(line.attr) ?? 0n) : undefined,
      frameFunction: undefined,
    };
  }

  /** Every function with code of that name (static functions of several units share one). */
  functionsNamed(name: string): readonly NamedFunction[] {
    return this.functions().get(name) ?? [];
  }

  /** A function with code (a concrete DW_TAG_subprogram) and its type, e.g. `int (int, int)`. */
  function(name: string, preferUnit?: Unit): NamedFunction | undefined {
    const candidates = this.functions().get(name);
    if (!candidates) return undefined;
    return candidates.find((f) => f.unit === preferUnit) ?? candidates.find((f) => isExternal(f.unit, f.die)) ?? candidates[0];
  }

  private functions(): Map<string, NamedFunction[]> {
    if (this.functionIndex) return this.functionIndex;
    const index = new Map<string, NamedFunction[]>();
    for (const unit of this.info.units) {
      for (const fn of this.info.functions(unit).all()) {
        const name = dieName(unit, fn.die);
        if (name === undefined || fn.ranges.length === 0) continue;
        // Where it is entered, not its lowest address: a split function's .cold part may come first.
        const entry: NamedFunction = { name, type: this.functionType(unit, fn.die), address: entryPc(unit, fn.die) + this.info.loadBias, unit, die: fn.die };
        // A Rust function is found by its name and by its path (rust_hello::fibonacci), as in gdb.
        const path = isRustUnit(unit) ? rustPath(unit, fn.die) : undefined;
        for (const key of path !== undefined && path !== name ? [name, path] : [name]) {
          const list = index.get(key);
          if (list) list.push(entry);
          else index.set(key, [entry]);
        }
      }
    }
    this.functionIndex = index;
    return index;
  }

  /** The C type of a subprogram DIE: return type and parameters (from its declaration or abstract origin if it has none). */
  private functionType(unit: Unit, die: Die): FunctionType {
    const returns = inheritedAttribute(unit, die, DW_AT.type);
    // Parameters are listed on the first DIE of the origin chain that has any (a declaration or an abstract instance).
    let owner: Entry = { unit, die };
    for (let hops = 0; hops < 16 && !owner.die.children.some((c) => c.tag === DW_TAG.formal_parameter); hops++) {
      const origin = originOf(owner.unit, owner.die);
      if (!origin) break;
      owner = origin;
    }
    const parameters = owner.die.children
      .filter((c) => c.tag === DW_TAG.formal_parameter)
      .map((c) => {
        const typed = inheritedAttribute(owner.unit, c, DW_AT.type);
        return typed ? this.info.types.typeOf(typed.unit, typed.die) : undefined;
      })
      .map((t): TypeInfo => t ?? { kind: 'void' });
    const prototyped = inheritedAttribute(unit, die, DW_AT.prototyped);
    return {
      kind: 'function',
      returnType: returns ? this.info.types.typeOf(returns.unit, returns.die) : undefined,
      parameters,
      variadic: owner.die.children.some((c) => c.tag === DW_TAG.unspecified_parameters),
      prototyped: prototyped !== undefined && prototyped.unit.flag(prototyped.attr),
    };
  }
}

function push(map: Map<string, Entry[]>, key: string, entry: Entry): void {
  const list = map.get(key);
  if (list) list.push(entry);
  else map.set(key, [entry]);
}

function isExternal(unit: Unit, die: Die): boolean {
  const found = inheritedAttribute(unit, die, DW_AT.external);
  return found !== undefined && found.unit.flag(found.attr);
}
