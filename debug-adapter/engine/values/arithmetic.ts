// C's operators on scalar values, with gdb's promotions and messages: arithmetic (pointer + int
// scaled by the pointee's size, pointer − pointer in elements), shifts (0 for counts outside the
// type's width, as gdb warns and gives), comparisons and logical values as int 0/1.
import { typeName, type TypeInfo } from '../dwarf';
import type { ArithmeticOperator, ComparisonOperator } from './ast';
import { decay, offsetPointer, addressHeld } from './access';
import { C_TYPES, commonArithmeticType, coreType, integerShape, isArithmetic, isFloating, isIntegral, isPointer, isScalar, promotedInteger, strideOf } from './c-types';
import { EvaluationError } from './errors';
import { REGISTER_TYPES } from './registers';
import { decodeExtended, encodeExtended, extendedArithmetic, extendedCompare, extendedFromBigint, extendedFromNumber, extendedToBigint, extendedToNumber, type Extended } from './extended';
import { decodeFloat, encodeFloat, integerBytes, readInteger } from './scalars';
import type { EvaluationScope } from './scope';
import { computedValue, integerValue, type Value } from './value';

/** A scalar operand: integers exactly; floating values as doubles, long doubles also exactly. */
export type Scalar = { readonly kind: 'integer'; readonly value: bigint } | { readonly kind: 'float'; readonly value: number; readonly extended?: Extended };

/** How operators read their operands: for real, or (sizeof's type-only evaluation) not at all. */
export interface OperandReader {
  readonly typeOnly: boolean;
  scalar(value: Value): Scalar;
}

/** The scalar a value holds: integers (and enums, bools, pointers) as bigint, floating values as numbers. */
export function scalarOf(value: Value): Scalar {
  const t = coreType(value.type);
  if (!isScalar(t)) throw new EvaluationError(`a value of type '${typeName(value.type)}' is not a number or pointer`);
  const object = value.object();
  const size = value.size;
  if (object.known.length < size || object.known.subarray(0, size).some((b) => b !== 0xff)) throw new EvaluationError('value has been optimized out');
  if (isFloating(t)) {
    if (size >= 10) {
      const extended = decodeExtended(readInteger(object.bytes, 10, false));
      return { kind: 'float', value: extendedToNumber(extended), extended };
    }
    return { kind: 'float', value: decodeFloat(object.bytes, size, t === REGISTER_TYPES.bfloat16 ? 'bfloat16' : 'half') };
  }
  const shape = integerShape(t);
  return { kind: 'integer', value: readInteger(object.bytes, shape.size, shape.signed) };
}

export const READ_OPERANDS: OperandReader = { typeOnly: false, scalar: scalarOf };
export const TYPE_ONLY: OperandReader = {
  typeOnly: true,
  scalar: (value) => (isFloating(value.type) ? { kind: 'float', value: 0 } : { kind: 'integer', value: 0n }),
};

export function asNumber(scalar: Scalar): number {
  return scalar.kind === 'float' ? scalar.value : Number(scalar.value);
}

/** A scalar as an exact x87 value (long double arithmetic). */
export function asExtended(scalar: Scalar): Extended {
  if (scalar.kind === 'integer') return extendedFromBigint(scalar.value);
  return scalar.extended ?? extendedFromNumber(scalar.value);
}

/** A floating value as gdb converts it to an integer: truncated, saturated to 64 bits, NaN as the maximum. */
export function asBigint(scalar: Scalar): bigint {
  if (scalar.kind === 'integer') return scalar.value;
  const truncated = scalar.extended ? extendedToBigint(scalar.extended) : Number.isFinite(scalar.value) ? BigInt(Math.trunc(scalar.value)) : undefined;
  const lowest = -(2n ** 63n);
  if (truncated !== undefined && truncated >= lowest && truncated < 2n ** 63n) return truncated;
  return (truncated ?? 0n) < lowest || scalar.value === -Infinity ? lowest : 2n ** 63n - 1n;
}

/**
 * A result as a value of a floating type (a long double from its exact value when there is one);
 * a NaN the operation made is x86's default NaN (negative), as gdb shows it.
 */
export function floatValue(scope: EvaluationScope, type: TypeInfo, result: number | Extended, producedNaN = false): Value {
  const size = integerShape(type).size;
  if (size >= 10) {
    const exact = typeof result === 'number' ? extendedFromNumber(result) : result;
    const bytes = new Uint8Array(size);
    bytes.set(integerBytes(encodeExtended(exact), 10));
    return computedValue(scope, type, bytes);
  }
  const number = typeof result === 'number' ? result : extendedToNumber(result);
  const bytes = encodeFloat(size === 4 ? Math.fround(number) : number, size);
  if (producedNaN && Number.isNaN(number)) bytes.fill(0).set(DEFAULT_NAN[size] ?? []);
  return computedValue(scope, type, bytes);
}

/** The quiet NaN x86 produces for an invalid operation (sign set), little-endian by size. */
const DEFAULT_NAN: Readonly<Record<number, readonly number[]>> = {
  4: [0, 0, 0xc0, 0xff],
  8: [0, 0, 0, 0, 0, 0, 0xf8, 0xff],
};

function normalize(value: bigint, type: TypeInfo): bigint {
  const { size, signed } = integerShape(type);
  return signed ? BigInt.asIntN(size * 8, value) : BigInt.asUintN(size * 8, value);
}

function isFloatOperator(operator: ArithmeticOperator): operator is '+' | '-' | '*' | '/' {
  return operator === '+' || operator === '-' || operator === '*' || operator === '/';
}

/** `left op right` for * / % + - << >> & ^ |. */
export function arithmetic(operator: ArithmeticOperator, leftValue: Value, rightValue: Value, reader: OperandReader): Value {
  const left = decay(leftValue);
  const right = decay(rightValue);
  const scope = left.scope;
  if (operator === '+' || operator === '-') {
    if (isPointer(left.type) && isIntegral(right.type)) {
      const delta = asBigint(reader.scalar(right));
      return reader.typeOnly ? integerValue(scope, left.type, 0n) : offsetPointer(left, operator === '+' ? delta : -delta);
    }
    if (operator === '+' && isIntegral(left.type) && isPointer(right.type)) {
      return reader.typeOnly ? integerValue(scope, right.type, 0n) : offsetPointer(right, asBigint(reader.scalar(left)));
    }
    if (operator === '-' && isPointer(left.type) && isPointer(right.type)) {
      const stride = strideOf(left.type);
      if (stride === undefined || stride !== strideOf(right.type)) {
        throw new EvaluationError("First argument of `-' is a pointer and second argument is neither\nan integer nor a pointer of the same type.");
      }
      if (reader.typeOnly) return integerValue(scope, C_TYPES.long, 0n);
      return integerValue(scope, C_TYPES.long, BigInt.asIntN(64, addressHeld(left) - addressHeld(right)) / BigInt(stride));
    }
  }
  if (!isArithmetic(left.type) || !isArithmetic(right.type)) throw new EvaluationError('Argument to arithmetic operation not a number or boolean.');
  if (operator === '<<' || operator === '>>') return shift(operator, left, right, reader);
  const common = commonArithmeticType(left.type, right.type);
  const a = reader.scalar(left);
  const b = reader.scalar(right);
  if (isFloating(common)) {
    if (!isFloatOperator(operator)) throw new EvaluationError('Integer-only operation on floating point number.');
    if (common.byteSize >= 10) return floatValue(scope, common, extendedArithmetic(operator, asExtended(a), asExtended(b)));
    const x = asNumber(a);
    const y = asNumber(b);
    const result = operator === '*' ? x * y : operator === '/' ? x / y : operator === '+' ? x + y : x - y;
    return floatValue(scope, common, result, !Number.isNaN(x) && !Number.isNaN(y));
  }
  const x = normalize(asBigint(a), common);
  const y = normalize(asBigint(b), common);
  let result: bigint;
  switch (operator) {
    case '*':
      result = x * y;
      break;
    case '/':
    case '%':
      if (y === 0n) {
        if (reader.typeOnly) return integerValue(scope, common, 0n);
        throw new EvaluationError('Division by zero');
      }
      result = operator === '/' ? x / y : x % y;
      break;
    case '+':
      result = x + y;
      break;
    case '-':
      result = x - y;
      break;
    case '&':
      result = x & y;
      break;
    case '^':
      result = x ^ y;
      break;
    case '|':
      result = x | y;
      break;
  }
  return integerValue(scope, common, normalize(result, common));
}

/**
 * `left << right`, `left >> right` in the promoted type of the left operand (as gdb types them);
 * a negative count or one as wide as the type gives 0, as gdb does after warning.
 */
function shift(operator: '<<' | '>>', left: Value, right: Value, reader: OperandReader): Value {
  if (!isIntegral(left.type) || !isIntegral(right.type)) {
    if (isArithmetic(left.type) && isArithmetic(right.type)) throw new EvaluationError('Integer-only operation on floating point number.');
    throw new EvaluationError('Argument to arithmetic operation not a number or boolean.');
  }
  const type = promotedInteger(left.type);
  const value = normalize(asBigint(reader.scalar(left)), type);
  const count = normalize(asBigint(reader.scalar(right)), promotedInteger(right.type));
  if (count < 0n || count >= BigInt(type.byteSize * 8)) return integerValue(left.scope, type, 0n);
  return integerValue(left.scope, type, normalize(operator === '<<' ? value << count : value >> count, type));
}

/** `left op right` for == != < <= > >=: int 1 or 0. */
export function comparison(operator: ComparisonOperator, leftValue: Value, rightValue: Value, reader: OperandReader): Value {
  const left = decay(leftValue);
  const right = decay(rightValue);
  const equality = operator === '==' || operator === '!=';
  let order: number;
  if (isPointer(left.type) || isPointer(right.type)) {
    const comparable = (type: TypeInfo | undefined): boolean => isPointer(type) || isIntegral(type);
    if (!comparable(left.type) || !comparable(right.type)) throw new EvaluationError(equality ? 'Invalid type combination in equality test.' : 'Invalid type combination in ordering comparison.');
    const x = BigInt.asUintN(64, asBigint(reader.scalar(left)));
    const y = BigInt.asUintN(64, asBigint(reader.scalar(right)));
    order = x < y ? -1 : x > y ? 1 : 0;
  } else if (isArithmetic(left.type) && isArithmetic(right.type)) {
    const common = commonArithmeticType(left.type, right.type);
    if (isFloating(common) && common.byteSize >= 10) {
      order = extendedCompare(asExtended(reader.scalar(left)), asExtended(reader.scalar(right)));
    } else if (isFloating(common)) {
      const x = asNumber(reader.scalar(left));
      const y = asNumber(reader.scalar(right));
      order = Number.isNaN(x) || Number.isNaN(y) ? Number.NaN : x < y ? -1 : x > y ? 1 : 0;
    } else {
      const x = normalize(asBigint(reader.scalar(left)), common);
      const y = normalize(asBigint(reader.scalar(right)), common);
      order = x < y ? -1 : x > y ? 1 : 0;
    }
  } else {
    throw new EvaluationError(equality ? 'Invalid type combination in equality test.' : 'Invalid type combination in ordering comparison.');
  }
  const results: Record<typeof operator, boolean> = { '<': order < 0, '<=': order <= 0, '>': order > 0, '>=': order >= 0, '==': order === 0, '!=': !(order === 0) };
  return integerValue(left.scope, C_TYPES.int, results[operator] ? 1n : 0n);
}

/** Whether a scalar is non-zero (C's truth). */
export function truth(value: Value, reader: OperandReader): boolean {
  const scalar = decay(value);
  if (!isScalar(scalar.type)) throw new EvaluationError('Argument to logical operation not a number or pointer.');
  const s = reader.scalar(scalar);
  return s.kind === 'float' ? s.value !== 0 : s.value !== 0n;
}

/** `-x`, `+x`, `~x`, `!x`. */
export function unary(operator: '-' | '+' | '~' | '!', value: Value, reader: OperandReader): Value {
  if (operator === '!') return integerValue(value.scope, C_TYPES.int, truth(value, reader) ? 0n : 1n);
  if (operator === '~' ? !isIntegral(value.type) : !isArithmetic(value.type)) {
    const what = operator === '-' ? 'negate operation not a number.' : operator === '+' ? 'positive operation not a number.' : 'complement operation not an integer, boolean.';
    throw new EvaluationError(`Argument to ${what}`);
  }
  const scalar = reader.scalar(value);
  if (scalar.kind === 'float') {
    // gdb negates as 0 - x: -0.0 is 0, and a NaN keeps its sign.
    const type = coreType(value.type);
    if (operator === '+') return floatValue(value.scope, type, scalar.extended ?? scalar.value);
    const zero: Scalar = { kind: 'float', value: 0 };
    return integerShape(type).size >= 10 ? floatValue(value.scope, type, extendedArithmetic('-', asExtended(zero), asExtended(scalar))) : floatValue(value.scope, type, 0 - scalar.value);
  }
  const type = promotedInteger(value.type);
  const result = operator === '-' ? -scalar.value : operator === '~' ? ~scalar.value : scalar.value;
  return integerValue(value.scope, type, normalize(result, type));
}
