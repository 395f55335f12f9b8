// Rust path names from DWARF. rustc nests every item in DW_TAG_namespace DIEs (the crate, its
// modules, `{impl#0}`, a function's name around its closures), so a function or type is named
// by the chain of namespaces and types around it, as gdb prints it: `rust_hello::fibonacci`,
// `core::option::Option<i32>`, `rust_hello::{impl#0}::area`.
import { DW_AT, DW_LANG, DW_TAG } from './constants';
import type { Die } from './die';
import { inheritedAttribute } from './die-attributes';
import type { Unit } from './unit';

/** Whether the unit is Rust (DW_AT_language DW_LANG_Rust). */
export function isRustUnit(unit: Unit): boolean {
  return unit.language === DW_LANG.Rust;
}

/** DIEs whose names are path segments of what they contain. */
const SCOPE_TAGS = new Set<number>([DW_TAG.namespace, DW_TAG.structure_type, DW_TAG.union_type, DW_TAG.enumeration_type, DW_TAG.class_type]);

/**
 * `crate::module::name` for a DIE of a Rust unit: the name is looked up through
 * DW_AT_abstract_origin / DW_AT_specification (an inlined or out-of-line instance), and the
 * path from the DIE that carries it.
 */
export function rustPath(unit: Unit, die: Die): string | undefined {
  const found = inheritedAttribute(unit, die, DW_AT.name);
  if (!found) return undefined;
  const name = found.unit.string(found.attr);
  if (name === undefined) return undefined;
  const segments = [name];
  for (let scope = found.die.parent; scope && scope.tag !== DW_TAG.compile_unit; scope = scope.parent) {
    if (!SCOPE_TAGS.has(scope.tag)) continue;
    const segment = found.unit.string(scope.attr(DW_AT.name));
    if (segment !== undefined) segments.unshift(segment);
  }
  return segments.join('::');
}
