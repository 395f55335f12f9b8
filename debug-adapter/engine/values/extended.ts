// x87 80-bit extended arithmetic (C's long double on x86-64), exact then rounded to a 64-bit
// significand with ties to even, as the FPU (and so gdb) computes it: double precision would print
// different digits (gdb shows 21 significant digits of a long double).
export type Extended =
  | { readonly kind: 'finite'; readonly negative: boolean; readonly mantissa: bigint; readonly exponent: number }
  | { readonly kind: 'infinity'; readonly negative: boolean }
  | { readonly kind: 'nan'; readonly bits: bigint };

const SIGNIFICAND_BITS = 64;
const BIAS = 16383;
const INTEGER_BIT = 1n << 63n;
/** x86's default NaN (sign set, quiet), what an invalid operation gives. */
const DEFAULT_NAN: Extended = { kind: 'nan', bits: (0xffffn << 64n) | (3n << 62n) };

function finite(negative: boolean, mantissa: bigint, exponent: number): Extended {
  return { kind: 'finite', negative, mantissa, exponent };
}

/** The value of an 80-bit pattern (value = mantissa · 2^exponent). */
export function decodeExtended(bits: bigint): Extended {
  const negative = ((bits >> 79n) & 1n) === 1n;
  const biased = Number((bits >> 64n) & 0x7fffn);
  const mantissa = bits & ((1n << 64n) - 1n);
  if (biased === 0x7fff) return (mantissa & (INTEGER_BIT - 1n)) === 0n ? { kind: 'infinity', negative } : { kind: 'nan', bits: bits | (1n << 62n) };
  return finite(negative, mantissa, (biased === 0 ? 1 : biased) - BIAS - 63);
}

/** The 80-bit pattern of a value, rounded to nearest even (overflow to infinity, gradual underflow). */
export function encodeExtended(value: Extended): bigint {
  if (value.kind === 'nan') return value.bits;
  const sign = value.negative ? 1n << 79n : 0n;
  if (value.kind === 'infinity') return sign | (0x7fffn << 64n) | INTEGER_BIT;
  let { mantissa, exponent } = value;
  if (mantissa === 0n) return sign;
  // Normalise to exactly 64 significant bits, rounding away the extra ones.
  const excess = mantissa.toString(2).length - SIGNIFICAND_BITS;
  let biased = exponent + excess + 63 + BIAS;
  let shift = excess;
  if (biased <= 0) {
    shift += 1 - biased; // below the normal range: fewer significant bits (subnormal)
    biased = 0;
  }
  if (shift > 0) {
    mantissa = roundShift(mantissa, shift);
    if (mantissa >> 64n !== 0n) {
      mantissa >>= 1n;
      biased += 1;
    }
    if (biased === 0 && mantissa & INTEGER_BIT) biased = 1; // rounded up into the normal range
  } else {
    mantissa <<= BigInt(-shift);
  }
  if (biased >= 0x7fff) return sign | (0x7fffn << 64n) | INTEGER_BIT;
  return sign | (BigInt(biased) << 64n) | mantissa;
}

function roundShift(value: bigint, shift: number): bigint {
  const s = BigInt(shift);
  const kept = value >> s;
  const rest = value & ((1n << s) - 1n);
  const half = 1n << (s - 1n);
  return rest > half || (rest === half && (kept & 1n) === 1n) ? kept + 1n : kept;
}

/** A double, exactly. */
export function extendedFromNumber(value: number): Extended {
  if (Number.isNaN(value)) return DEFAULT_NAN;
  if (!Number.isFinite(value)) return { kind: 'infinity', negative: value < 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const negative = bits >> 63n === 1n;
  return biased === 0 ? finite(negative, fraction, -1074) : finite(negative, fraction | (1n << 52n), biased - 1075);
}

export function extendedFromBigint(value: bigint): Extended {
  return finite(value < 0n, value < 0n ? -value : value, 0);
}

/** A decimal literal (`0.1`, `1.5e-3`), exactly, so that encoding rounds it once. */
export function extendedFromDecimal(text: string): Extended {
  const match = /^(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) throw new RangeError(`not a decimal number: ${text}`);
  const digits = BigInt(`${match[1]}${match[2]}` || '0');
  const power = Number(match[3] ?? 0) - match[2].length;
  if (power >= 0) return extendedFromBigint(digits * 10n ** BigInt(power));
  return extendedArithmetic('/', extendedFromBigint(digits), extendedFromBigint(10n ** BigInt(-power)));
}

/** The nearest double. */
export function extendedToNumber(value: Extended): number {
  if (value.kind === 'nan') return Number.NaN;
  if (value.kind === 'infinity') return value.negative ? -Infinity : Infinity;
  const half = Math.trunc(value.exponent / 2);
  const magnitude = Number(value.mantissa) * 2 ** half * 2 ** (value.exponent - half);
  return value.negative ? -magnitude : magnitude;
}

/** Truncated toward zero. */
export function extendedToBigint(value: Extended): bigint | undefined {
  if (value.kind !== 'finite') return undefined;
  const magnitude = value.exponent >= 0 ? value.mantissa << BigInt(value.exponent) : value.mantissa >> BigInt(-value.exponent);
  return value.negative ? -magnitude : magnitude;
}

function signed(value: Extended & { kind: 'finite' }): bigint {
  return value.negative ? -value.mantissa : value.mantissa;
}

/** `a op b` for + - * /, exact before the final rounding. */
export function extendedArithmetic(operator: '+' | '-' | '*' | '/', a: Extended, b: Extended): Extended {
  if (a.kind === 'nan') return a;
  if (b.kind === 'nan') return b;
  const right: Extended = operator === '-' ? negate(b) : b;
  if (right.kind === 'nan') return right;
  if (operator === '+' || operator === '-') {
    if (a.kind === 'infinity' && right.kind === 'infinity') return a.negative === right.negative ? a : DEFAULT_NAN;
    if (a.kind === 'infinity') return a;
    if (right.kind === 'infinity') return right;
    const exponent = Math.min(a.exponent, right.exponent);
    const sum = (signed(a) << BigInt(a.exponent - exponent)) + (signed(right) << BigInt(right.exponent - exponent));
    // An exact zero sum is +0 (round to nearest), unless both operands are -0.
    if (sum === 0n) return finite(a.negative && right.negative, 0n, 0);
    return finite(sum < 0n, sum < 0n ? -sum : sum, exponent);
  }
  const negative = a.negative !== b.negative;
  if (operator === '*') {
    if (a.kind === 'infinity' || b.kind === 'infinity') {
      const other = a.kind === 'infinity' ? b : a;
      return other.kind === 'finite' && other.mantissa === 0n ? DEFAULT_NAN : { kind: 'infinity', negative };
    }
    return finite(negative, a.mantissa * b.mantissa, a.exponent + b.exponent);
  }
  if (a.kind === 'infinity') return b.kind === 'infinity' ? DEFAULT_NAN : { kind: 'infinity', negative };
  if (b.kind === 'infinity') return finite(negative, 0n, 0);
  if (b.mantissa === 0n) return a.mantissa === 0n ? DEFAULT_NAN : { kind: 'infinity', negative };
  // Enough quotient bits for rounding, and a sticky bit for a non-zero remainder.
  const extra = 2 * SIGNIFICAND_BITS + 2 + Math.max(0, b.mantissa.toString(2).length - a.mantissa.toString(2).length);
  const numerator = a.mantissa << BigInt(extra);
  const quotient = numerator / b.mantissa;
  const sticky = numerator % b.mantissa === 0n ? 0n : 1n;
  return finite(negative, (quotient << 1n) | sticky, a.exponent - b.exponent - extra - 1);
}

export function negate(value: Extended): Extended {
  return value.kind === 'nan' ? value : { ...value, negative: !value.negative };
}

/** -1, 0, 1, or NaN when unordered. */
export function extendedCompare(a: Extended, b: Extended): number {
  if (a.kind === 'nan' || b.kind === 'nan') return Number.NaN;
  const rank = (v: Extended): number => (v.kind === 'infinity' ? (v.negative ? -1 : 1) : 0);
  if (rank(a) !== rank(b)) return rank(a) < rank(b) ? -1 : 1;
  if (a.kind !== 'finite' || b.kind !== 'finite') return 0;
  const exponent = Math.min(a.exponent, b.exponent);
  const x = signed(a) << BigInt(a.exponent - exponent);
  const y = signed(b) << BigInt(b.exponent - exponent);
  return x < y ? -1 : x > y ? 1 : 0;
}
