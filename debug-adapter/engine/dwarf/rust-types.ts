// What a Rust type is beyond its C shape, recorded when the TypeResolver reads a type DIE of a
// Rust unit: its path name, and for an enum with data (a struct holding a DW_TAG_variant_part)
// where the discriminant is and which variant each value selects. Kept beside the TypeInfo
// objects rather than in them, so the C types and everything built on them stay as they are.
import { DW_AT, DW_ATE, DW_TAG } from './constants';
import type { Die } from './die';
import { rustPath } from './rust-names';
import type { TypeInfo } from './types';
import type { Unit } from './unit';
import type { ObjectBytes } from './value-bytes';

export interface RustVariant {
  /** The variant's name (`Some`), the name of its member in the variant part. */
  readonly name: string;
  /** The discriminant value that selects it; undefined for the default (niche-holding) variant. */
  readonly discriminant: bigint | undefined;
  /** The variant's struct: its fields, named `__0`, `__1`… for a tuple variant. */
  readonly type: TypeInfo | undefined;
  /** Byte offset of the variant's struct inside the enum. */
  readonly offset: number;
}

export interface RustEnumLayout {
  /** Where the discriminant is read; undefined when there is only one variant. */
  readonly discriminant: { readonly offset: number; readonly size: number } | undefined;
  readonly variants: readonly RustVariant[];
}

export interface RustTypeInfo {
  /** The path name (`rust_hello::Point`, `core::option::Option<i32>`), for named types. */
  readonly name: string | undefined;
  /** Enums with data. */
  readonly layout?: RustEnumLayout;
}

const described = new WeakMap<TypeInfo, RustTypeInfo>();

/** The Rust facts of a type read from a Rust unit, or undefined for any other type. */
export function rustTypeInfo(type: TypeInfo): RustTypeInfo | undefined {
  return described.get(type);
}

/** Resolves the type of a DIE's DW_AT_type (TypeResolver.typeOf), passed in to keep imports one-way. */
export type TypeOf = (unit: Unit, die: Die) => TypeInfo | undefined;

/** Records the Rust facts of `type`, just resolved from `die` of the Rust unit `unit`. */
export function describeRustType(typeOf: TypeOf, unit: Unit, die: Die, type: TypeInfo): void {
  if (described.has(type)) return;
  const named = die.tag === DW_TAG.structure_type || die.tag === DW_TAG.union_type || die.tag === DW_TAG.enumeration_type || die.tag === DW_TAG.class_type;
  const info: RustTypeInfo = { name: named ? rustPath(unit, die) : undefined };
  described.set(type, info);
  const part = die.tag === DW_TAG.structure_type ? die.children.find((c) => c.tag === DW_TAG.variant_part) : undefined;
  if (part) described.set(type, { ...info, layout: enumLayout(typeOf, unit, part) });
}

function enumLayout(typeOf: TypeOf, unit: Unit, part: Die): RustEnumLayout {
  const discrDie = unit.reference(part.attr(DW_AT.discr));
  let discriminant: RustEnumLayout['discriminant'];
  let signed = false;
  if (discrDie) {
    const discrType = typeOf(unit, discrDie);
    const size = discrType && discrType.kind === 'base' ? discrType.byteSize : 0;
    signed = discrType?.kind === 'base' && discrType.encoding === DW_ATE.signed;
    if (size > 0) discriminant = { offset: memberOffset(unit, discrDie), size };
  }
  const bits = Math.max(discriminant?.size ?? 8, 1) * 8;
  const variants: RustVariant[] = [];
  for (const variant of part.children) {
    if (variant.tag !== DW_TAG.variant) continue;
    const member = variant.children.find((c) => c.tag === DW_TAG.member);
    if (!member) continue;
    const value = variant.attr(DW_AT.discr_value);
    variants.push({
      name: unit.string(member.attr(DW_AT.name)) ?? '?',
      // Compared with the discriminant's bytes read as unsigned, so kept that way too.
      discriminant: value === undefined ? undefined : BigInt.asUintN(bits, (signed ? unit.signedConstant(value) : unit.constant(value)) ?? 0n),
      type: typeOf(unit, member),
      offset: memberOffset(unit, member),
    });
  }
  return { discriminant, variants };
}

function memberOffset(unit: Unit, member: Die): number {
  return Number(unit.constant(member.attr(DW_AT.data_member_location)) ?? 0n);
}

/** Whether a base type is Rust's `char` (a Unicode scalar value, DW_ATE_UTF). */
export function isRustChar(type: TypeInfo): boolean {
  return type.kind === 'base' && type.encoding === DW_ATE.UTF;
}

/**
 * The variant an enum value holds: the one whose discriminant value matches, else the default
 * (niche-holding) one; 'unknown' when the discriminant's bytes are not known, undefined when no
 * variant matches.
 */
export function activeVariant(layout: RustEnumLayout, object: ObjectBytes, offset: number): RustVariant | 'unknown' | undefined {
  if (layout.variants.length === 0) return undefined;
  if (!layout.discriminant || layout.variants.length === 1) return layout.variants[0];
  const { offset: at, size } = layout.discriminant;
  let value = 0n;
  for (let i = size - 1; i >= 0; i--) {
    if (object.known[offset + at + i] !== 0xff) return 'unknown';
    value = (value << 8n) | BigInt(object.bytes[offset + at + i]);
  }
  return layout.variants.find((v) => v.discriminant === value) ?? layout.variants.find((v) => v.discriminant === undefined);
}
