// C's built-in types as gdb types them on x86-64 (int 32-bit, long 64-bit, long double x87 in 16
// bytes), built as TypeInfo so they print like DWARF types, and the questions evaluation asks of a
// type: is it integral, floating, a pointer, how wide and signed, and C's usual arithmetic
// conversions (with gdb's binop_promote rules).
import { byteSizeOf, canonicalBaseName, dwarfConstants, stripQualifiers, type ArrayType, type BaseType, type PointerType, type QualifiedType, type TypeInfo } from '../dwarf';

const ATE = dwarfConstants.DW_ATE;

/** A base type made here (not read from DWARF): C's own types, register types. */
export function baseType(name: string, encoding: number, byteSize: number): BaseType {
  return { kind: 'base', name, encoding, byteSize };
}

export const C_TYPES = {
  char: baseType('char', ATE.signed_char, 1),
  signedChar: baseType('signed char', ATE.signed_char, 1),
  unsignedChar: baseType('unsigned char', ATE.unsigned_char, 1),
  short: baseType('short', ATE.signed, 2),
  unsignedShort: baseType('unsigned short', ATE.unsigned, 2),
  int: baseType('int', ATE.signed, 4),
  unsignedInt: baseType('unsigned int', ATE.unsigned, 4),
  long: baseType('long', ATE.signed, 8),
  unsignedLong: baseType('unsigned long', ATE.unsigned, 8),
  longLong: baseType('long long', ATE.signed, 8),
  unsignedLongLong: baseType('unsigned long long', ATE.unsigned, 8),
  bool: baseType('_Bool', ATE.boolean, 1),
  float: baseType('float', ATE.float, 4),
  double: baseType('double', ATE.float, 8),
  longDouble: baseType('long double', ATE.float, 16),
} as const;

const BY_NAME = new Map<string, BaseType>(Object.values(C_TYPES).map((t) => [t.name, t]));

/**
 * The built-in type named by C type-specifier keywords in any order (`unsigned`, `long long int`,
 * `char`, `_Bool`, `long double`), or undefined when the combination is not a C type.
 */
export function builtinType(words: readonly string[]): BaseType | undefined {
  const sorted = [...words].sort().join(' ');
  if (sorted === 'float') return C_TYPES.float;
  if (sorted === 'double') return C_TYPES.double;
  if (sorted === 'double long') return C_TYPES.longDouble;
  if (sorted === '_Bool') return C_TYPES.bool;
  if (words.some((w) => !['signed', 'unsigned', 'short', 'long', 'int', 'char'].includes(w))) return undefined;
  const count = (w: string): number => words.filter((x) => x === w).length;
  if (count('signed') + count('unsigned') > 1 || count('short') > 1 || count('long') > 2 || count('int') > 1 || count('char') > 1) return undefined;
  if (count('char') > 0 && (count('short') > 0 || count('long') > 0 || count('int') > 0)) return undefined;
  if (count('short') > 0 && count('long') > 0) return undefined;
  return BY_NAME.get(canonicalBaseName(words.join(' ')));
}

export function pointerTo(target: TypeInfo | undefined): PointerType {
  return { kind: 'pointer', sigil: '*', target, byteSize: 8 };
}

export function qualified(qualifier: QualifiedType['qualifier'], target: TypeInfo | undefined): QualifiedType {
  return { kind: 'qualified', qualifier, target };
}

export function arrayOf(element: TypeInfo | undefined, count: number | undefined): ArrayType {
  return { kind: 'array', element, counts: [count] };
}

/** The type under typedefs and qualifiers; `void` for undefined. */
export function coreType(type: TypeInfo | undefined): TypeInfo {
  return type ? stripQualifiers(type) : { kind: 'void' };
}

export function isIntegral(type: TypeInfo | undefined): boolean {
  const t = coreType(type);
  if (t.kind === 'enum') return true;
  return t.kind === 'base' && t.encoding !== ATE.float && t.encoding !== ATE.complex_float;
}

export function isFloating(type: TypeInfo | undefined): boolean {
  const t = coreType(type);
  return t.kind === 'base' && t.encoding === ATE.float;
}

export function isArithmetic(type: TypeInfo | undefined): boolean {
  return isIntegral(type) || isFloating(type);
}

export function isPointer(type: TypeInfo | undefined): boolean {
  return coreType(type).kind === 'pointer';
}

export function isScalar(type: TypeInfo | undefined): boolean {
  return isArithmetic(type) || isPointer(type);
}

/** The pointee of a pointer type (undefined: void). */
export function pointee(type: TypeInfo | undefined): TypeInfo | undefined {
  const t = coreType(type);
  return t.kind === 'pointer' ? t.target : undefined;
}

/** Width in bytes and signedness of an integral, pointer or boolean type. */
export function integerShape(type: TypeInfo | undefined): { size: number; signed: boolean } {
  const t = coreType(type);
  if (t.kind === 'enum') return { size: t.byteSize || 4, signed: t.signed };
  if (t.kind === 'base') return { size: t.byteSize, signed: t.encoding === ATE.signed || t.encoding === ATE.signed_char };
  return { size: Math.max(byteSizeOf(t), 1), signed: false };
}

/** The size pointer arithmetic scales by: the pointee's size, 1 for void and functions (as gdb). */
export function strideOf(pointerType: TypeInfo | undefined): number | undefined {
  const target = coreType(pointee(pointerType));
  if (target.kind === 'void' || target.kind === 'function') return 1;
  const size = byteSizeOf(target);
  return size > 0 ? size : undefined;
}

/** The integer type gdb promotes an integral operand to (C's integer promotions). */
export function promotedInteger(type: TypeInfo | undefined): BaseType {
  const { size, signed } = integerShape(type);
  if (size < 4) return C_TYPES.int;
  if (size === 4) return signed ? C_TYPES.int : C_TYPES.unsignedInt;
  return signed ? C_TYPES.long : C_TYPES.unsignedLong;
}

/**
 * The type both operands of a binary arithmetic operator convert to (gdb's binop_promote for C):
 * the wider floating type if either is floating; otherwise the wider promoted integer, unsigned
 * when the wider one is (or both are as wide and either is), as int, long or unsigned long.
 */
export function commonArithmeticType(left: TypeInfo | undefined, right: TypeInfo | undefined): BaseType {
  if (isFloating(left) || isFloating(right)) {
    if (!isFloating(left)) return coreType(right) as BaseType;
    if (!isFloating(right)) return coreType(left) as BaseType;
    const l = coreType(left) as BaseType;
    const r = coreType(right) as BaseType;
    return r.byteSize > l.byteSize ? r : l;
  }
  const promote = (type: TypeInfo | undefined): { size: number; unsigned: boolean } => {
    const shape = integerShape(type);
    return shape.size < 4 ? { size: 4, unsigned: false } : { size: shape.size, unsigned: !shape.signed };
  };
  const l = promote(left);
  const r = promote(right);
  const size = Math.max(l.size, r.size);
  const unsigned = l.size > r.size ? l.unsigned : r.size > l.size ? r.unsigned : l.unsigned || r.unsigned;
  if (size <= 4) return unsigned ? C_TYPES.unsignedInt : C_TYPES.int;
  return unsigned ? C_TYPES.unsignedLong : C_TYPES.long;
}
