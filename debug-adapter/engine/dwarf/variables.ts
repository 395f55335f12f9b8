// Variables in scope: the parameters and locals of a scope DIE (with the variables of an abstract
// function that an inlined or out-of-line copy dropped, as gdb lists them), globals, and where a
// variable lives at a pc (location expression, location list entry or constant value).
import { DW_AT, DW_TAG } from './constants';
import type { Die } from './die';
import { dieName, inheritedAttribute, inheritedConstant, originOf } from './die-attributes';
import { evaluateExpression, type EvaluationContext, type ExpressionEnvironment, type Location } from './expression';
import { scopeMembers } from './functions';
import { isLocationListForm, readLocationList } from './lists';
import { byteSizeOf, typeName, type TypeInfo, type TypeResolver } from './types';
import type { Unit } from './unit';

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

const LOCATION_TAGS = new Set<number>([DW_TAG.variable, DW_TAG.formal_parameter]);

/** Builds Variable records: types resolved, declaration file names through the unit's line table. */
export class VariableCatalog {
  constructor(
    private readonly types: TypeResolver,
    private readonly fileOf: (unit: Unit, die: Die, attr: number) => string | undefined,
  ) {}

  /** Global and file-static variables of the units (those with a location or constant value). */
  globals(units: readonly Unit[]): Variable[] {
    const vars: Variable[] = [];
    for (const unit of units) {
      const root = unit.root;
      if (!root) continue;
      for (const die of root.children) {
        if (die.tag !== DW_TAG.variable) continue;
        if (!die.has(DW_AT.location) && !die.has(DW_AT.const_value)) continue;
        vars.push(this.variable(unit, die, 'global', undefined));
      }
    }
    return vars;
  }

  /** The parameters (first) and locals of a scope DIE. */
  variablesOf(unit: Unit, die: Die, frameFunction: { unit: Unit; die: Die }): Variable[] {
    const members = scopeMembers(unit, die).filter((d) => LOCATION_TAGS.has(d.tag));
    const vars = members.map((d) => this.variable(unit, d, d.tag === DW_TAG.formal_parameter ? 'parameter' : 'local', frameFunction));
    // Variables of the abstract function with no concrete counterpart here.
    const origin = originOf(unit, die);
    if (origin) {
      const covered = new Set(members.map((m) => originOf(unit, m)?.die).filter((d): d is Die => d !== undefined));
      for (const abstract of scopeMembers(origin.unit, origin.die)) {
        if (!LOCATION_TAGS.has(abstract.tag) || covered.has(abstract)) continue;
        vars.push(this.variable(origin.unit, abstract, abstract.tag === DW_TAG.formal_parameter ? 'parameter' : 'local', frameFunction));
      }
    }
    return [...vars.filter((v) => v.kind === 'parameter'), ...vars.filter((v) => v.kind !== 'parameter')];
  }

  variable(unit: Unit, die: Die, kind: Variable['kind'], frameFunction: Variable['frameFunction']): Variable {
    const typeAttr = inheritedAttribute(unit, die, DW_AT.type);
    const type = typeAttr ? this.types.typeOf(typeAttr.unit, typeAttr.die) : undefined;
    const line = inheritedConstant(unit, die, DW_AT.decl_line);
    return {
      name: dieName(unit, die),
      kind,
      unit,
      die,
      type,
      typeName: typeName(type),
      declFile: this.fileOf(unit, die, DW_AT.decl_file),
      declLine: line === undefined ? undefined : Number(line),
      frameFunction,
    };
  }
}

/**
 * Where a variable lives at a link-time pc: its DW_AT_location expression, the location-list
 * entry covering the pc (or the default entry), or its DW_AT_const_value; optimized out otherwise.
 */
export function variableLocation(variable: Variable, linkPc: bigint, ctx: EvaluationContext, env: ExpressionEnvironment): Location {
  const { unit, die } = variable;
  const attr = die.attr(DW_AT.location);
  if (attr) {
    if (attr.bytes && !isLocationListForm(unit, attr.form)) return evaluateExpression(attr.bytes, ctx, env);
    const entries = readLocationList(unit, attr);
    const entry = entries.find((e) => e.range !== undefined && linkPc >= e.range.low && linkPc < e.range.high) ?? entries.find((e) => e.range === undefined);
    if (!entry) return { kind: 'unavailable', reason: 'optimized out' };
    return evaluateExpression(entry.expression, ctx, env);
  }
  const constant = inheritedAttribute(unit, die, DW_AT.const_value);
  if (constant) {
    const size = Math.max(byteSizeOf(variable.type), 1);
    if (constant.attr.bytes) return { kind: 'bytes', bytes: constant.attr.bytes };
    const text = constant.unit.stringBytes(constant.attr);
    if (text !== undefined) return { kind: 'bytes', bytes: Uint8Array.from([...text, 0]) };
    return { kind: 'value', value: BigInt.asUintN(size * 8, constant.attr.raw), size };
  }
  return { kind: 'unavailable', reason: 'optimized out' };
}
