// Conversion of a value to another type, as a C cast and as assignment do it: integers wrap to
// the target's width, floating values truncate toward zero (saturating, as gdb), _Bool is 0 or 1,
// pointers take any integer, and a struct or union converts only to its own type.
import { byteSizeOf, dwarfConstants, type TypeInfo } from '../dwarf';
import { decay } from './access';
import { asBigint, asExtended, asNumber, floatValue, type OperandReader, type Scalar } from './arithmetic';
import { coreType, integerShape, isFloating, isPointer, isScalar } from './c-types';
import { EvaluationError } from './errors';
import { computedValue, integerValue, type Value } from './value';

function sameComposite(a: TypeInfo, b: TypeInfo): boolean {
  if (a === b) return true;
  return a.kind === b.kind && (a.kind === 'struct' || a.kind === 'union' || a.kind === 'class') && 'name' in b && a.name !== undefined && a.name === b.name && byteSizeOf(a) === byteSizeOf(b);
}

/** `(type) value`. */
export function castValue(value: Value, type: TypeInfo | undefined, reader: OperandReader): Value {
  const target = coreType(type);
  if (target.kind === 'void') return computedValue(value.scope, type, new Uint8Array(0));
  if (target.kind === 'struct' || target.kind === 'union' || target.kind === 'class') {
    if (!sameComposite(target, coreType(value.type))) throw new EvaluationError('Invalid cast.');
    return value.retyped(type);
  }
  if (!isScalar(target)) throw new EvaluationError('Invalid cast.');
  const source = decay(value);
  if (!isScalar(source.type) || (isPointer(target) && isFloating(source.type))) throw new EvaluationError('Invalid cast.');
  return scalarAs(source, reader.scalar(source), type);
}

/** A scalar converted to a scalar type. */
export function scalarAs(like: Value, scalar: Scalar, type: TypeInfo | undefined): Value {
  const target = coreType(type);
  if (isFloating(target)) return floatValue(like.scope, type ?? target, integerShape(target).size >= 10 ? asExtended(scalar) : asNumber(scalar));
  if (target.kind === 'base' && target.encoding === dwarfConstants.DW_ATE.boolean) {
    // gdb truncates a floating value first: (_Bool)0.5 is false.
    return integerValue(like.scope, type, asBigint(scalar) !== 0n ? 1n : 0n);
  }
  return integerValue(like.scope, type, asBigint(scalar));
}
