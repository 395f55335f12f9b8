// Attribute lookup the way debuggers read DIEs: an attribute missing from a DIE is taken from its
// DW_AT_abstract_origin or DW_AT_specification (transitively), so a concrete inlined instance
// finds the name and type of its abstract function and an out-of-line definition those of its
// declaration.
import { DW_AT } from './constants';
import type { Attribute, Die } from './die';
import type { Unit } from './unit';

export interface FoundAttribute {
  readonly attr: Attribute;
  /** The unit owning the DIE the attribute was found on (references may cross units). */
  readonly unit: Unit;
  readonly die: Die;
}

/** The DIE an abstract origin or specification points to. */
export function originOf(unit: Unit, die: Die): { unit: Unit; die: Die } | undefined {
  const ref = die.attr(DW_AT.abstract_origin) ?? die.attr(DW_AT.specification);
  if (!ref) return undefined;
  const target = unit.reference(ref);
  return target ? { unit: unit.unitOf(target), die: target } : undefined;
}

/** `name` on the DIE or, if absent, on its origin chain (at most 16 hops). */
export function inheritedAttribute(unit: Unit, die: Die, name: number): FoundAttribute | undefined {
  let current: { unit: Unit; die: Die } | undefined = { unit, die };
  for (let hops = 0; current && hops < 16; hops++) {
    const attr = current.die.attr(name);
    if (attr) return { attr, unit: current.unit, die: current.die };
    current = originOf(current.unit, current.die);
  }
  return undefined;
}

/** DW_AT_name through the origin chain. */
export function dieName(unit: Unit, die: Die): string | undefined {
  const found = inheritedAttribute(unit, die, DW_AT.name);
  return found ? found.unit.string(found.attr) : undefined;
}

/** DW_AT_linkage_name (or the MIPS spelling) through the origin chain. */
export function linkageName(unit: Unit, die: Die): string | undefined {
  const found = inheritedAttribute(unit, die, DW_AT.linkage_name) ?? inheritedAttribute(unit, die, DW_AT.MIPS_linkage_name);
  return found ? found.unit.string(found.attr) : undefined;
}

/** The DIE referenced by `name` (e.g. DW_AT_type) through the origin chain. */
export function referencedDie(unit: Unit, die: Die, name: number): { unit: Unit; die: Die } | undefined {
  const found = inheritedAttribute(unit, die, name);
  if (!found) return undefined;
  const target = found.unit.reference(found.attr);
  return target ? { unit: found.unit.unitOf(target), die: target } : undefined;
}

/** An unsigned constant attribute through the origin chain (e.g. DW_AT_decl_line). */
export function inheritedConstant(unit: Unit, die: Die, name: number): bigint | undefined {
  const found = inheritedAttribute(unit, die, name);
  return found ? found.unit.constant(found.attr) : undefined;
}
