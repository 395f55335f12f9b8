// printf("%.<P>g") for IEEE single, double and x87 80-bit extended values, digit for digit as
// glibc prints them (exact binary-to-decimal conversion, round half to even), in gdb's spelling
// of infinities and NaNs.

/** %.<precision>g of m * 2^e (m ≥ 0), sign separate. */
function formatG(negative: boolean, mantissa: bigint, exponent: number, precision: number): string {
  const sign = negative ? '-' : '';
  if (mantissa === 0n) return `${sign}0`;
  // Exact decimal digits: m * 2^e = D * 10^k.
  let digits: string;
  let k: number;
  if (exponent >= 0) {
    digits = (mantissa << BigInt(exponent)).toString();
    k = 0;
  } else {
    digits = (mantissa * 5n ** BigInt(-exponent)).toString();
    k = exponent;
  }
  // Round to `precision` significant digits, ties to even.
  let decimalExponent = digits.length - 1 + k; // exponent of the leading digit
  if (digits.length > precision) {
    const keep = digits.slice(0, precision);
    const rest = digits.slice(precision);
    let rounded = BigInt(keep);
    const half = rest[0] > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || (rounded & 1n) === 1n));
    if (half) rounded += 1n;
    let text = rounded.toString();
    if (text.length > precision) {
      text = text.slice(0, precision);
      decimalExponent += 1;
    }
    digits = text;
  } else {
    digits = digits.padEnd(precision, '0');
  }
  if (decimalExponent < -4 || decimalExponent >= precision) {
    let fraction = digits.slice(1).replace(/0+$/, '');
    fraction = fraction === '' ? '' : `.${fraction}`;
    const expSign = decimalExponent < 0 ? '-' : '+';
    const expDigits = Math.abs(decimalExponent).toString().padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${expSign}${expDigits}`;
  }
  let text: string;
  if (decimalExponent >= 0) {
    const whole = digits.slice(0, decimalExponent + 1);
    const fraction = digits.slice(decimalExponent + 1).replace(/0+$/, '');
    text = fraction === '' ? whole : `${whole}.${fraction}`;
  } else {
    const fraction = ('0'.repeat(-decimalExponent - 1) + digits).replace(/0+$/, '');
    text = `0.${fraction}`;
  }
  return `${sign}${text}`;
}

/** gdb's rendering of a float of `size` bytes (4, 8, 10 or 16 with x87 80-bit in the low 10). */
export function formatFloat(bytes: Uint8Array, size: number): string {
  let value = 0n;
  const width = Math.min(size, 16);
  for (let i = width - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (size === 4) return formatIeee(value, 8, 23, 9);
  if (size === 8) return formatIeee(value, 11, 52, 17);
  if (size === 10 || size === 12 || size === 16) return formatX87(value & ((1n << 80n) - 1n));
  return `<unsupported float size ${size}>`;
}

/**
 * gdb's rendering of any IEEE binary format given its field widths and %g precision, for formats
 * DWARF base types do not describe by size alone: half (5, 10, 5) and bfloat16 (8, 7, 4).
 */
export function formatIeeeBits(bits: bigint, exponentBits: number, fractionBits: number, precision: number): string {
  return formatIeee(bits, exponentBits, fractionBits, precision);
}

function formatIeee(bits: bigint, expBits: number, fracBits: number, precision: number): string {
  const negative = (bits >> BigInt(expBits + fracBits)) & 1n ? true : false;
  const biased = Number((bits >> BigInt(fracBits)) & ((1n << BigInt(expBits)) - 1n));
  const fraction = bits & ((1n << BigInt(fracBits)) - 1n);
  const maxExp = (1 << expBits) - 1;
  const bias = (1 << (expBits - 1)) - 1;
  if (biased === maxExp) {
    if (fraction === 0n) return negative ? '-inf' : 'inf';
    return `${negative ? '-' : ''}nan(0x${fraction.toString(16)})`;
  }
  if (biased === 0) return formatG(negative, fraction, 1 - bias - fracBits, precision);
  return formatG(negative, fraction | (1n << BigInt(fracBits)), biased - bias - fracBits, precision);
}

function formatX87(bits: bigint): string {
  const negative = (bits >> 79n) & 1n ? true : false;
  const biased = Number((bits >> 64n) & 0x7fffn);
  const mantissa = bits & ((1n << 64n) - 1n);
  if (biased === 0x7fff) {
    const fraction = mantissa & ((1n << 63n) - 1n);
    if (fraction === 0n) return negative ? '-inf' : 'inf';
    return `${negative ? '-' : ''}nan(0x${fraction.toString(16)})`;
  }
  const exponent = (biased === 0 ? 1 : biased) - 16383 - 63;
  return formatG(negative, mantissa, exponent, 21);
}
