// Text arguments (a command line, an input box) → guest values, by a function's signature.
import type { FunctionSignature, GuestValue, ValueType } from '../types';
import {
  ArgumentError, argumentPlace, checkArgumentCount, checkFiniteFloat, checkNoNul, integerValue, isIntegerType, voidParameter,
} from './argument-checks';

// Decimal, 0x hex, 0o octal or 0b binary, optionally signed, `_` allowed between digits.
const INTEGER_RE = /^[+-]?(0x[0-9a-f]+(_[0-9a-f]+)*|0o[0-7]+(_[0-7]+)*|0b[01]+(_[01]+)*|\d+(_\d+)*)$/i;

function parseInteger(text: string): bigint | undefined {
  const trimmed = text.trim();
  if (!INTEGER_RE.test(trimmed)) return undefined;
  const negative = trimmed.startsWith('-');
  const digits = trimmed.replace(/^[+-]/, '').replace(/_/g, '');
  const magnitude = BigInt(digits); // BigInt understands the 0x/0o/0b prefixes itself
  return negative ? -magnitude : magnitude;
}

function parseFloatText(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'nan') return NaN;
  if (/^[+]?inf(inity)?$/.test(t)) return Infinity;
  if (/^-inf(inity)?$/.test(t)) return -Infinity;
  // Number('') is 0 and Number('0x1') is 1; accept only decimal notation.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

function parseBytes(text: string): Uint8Array | undefined {
  let hex: string;
  if (/^0x/i.test(text)) hex = text.slice(2);
  else if (/^hex:/i.test(text)) hex = text.slice(4);
  else return undefined;
  hex = hex.replace(/[\s_:]/g, '');
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) return undefined;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/**
 * Converts one argument. `position` is 1-based and `functionName` names the function, both only
 * for the message: `argument 2 of Add: expected i32, got "abc"`.
 */
export function convertArgument(text: string, type: ValueType, position: number, functionName: string): GuestValue {
  const where = argumentPlace(position, functionName);
  const expected = (hint: string): ArgumentError =>
    new ArgumentError(`${where}: expected ${type}, got ${JSON.stringify(text)} (${hint})`);

  if (isIntegerType(type)) {
    const value = parseInteger(text);
    if (value === undefined) throw expected('an integer: decimal, 0x hex, 0o octal or 0b binary');
    return integerValue(value, text, type, where);
  }
  switch (type) {
    case 'f32':
    case 'f64': {
      const value = parseFloatText(text);
      if (value === undefined) throw expected('a decimal number, inf or nan');
      const special = /^[+-]?(inf(inity)?|nan)$/i.test(text.trim());
      if (!special) checkFiniteFloat(value, text, type, where);
      return value;
    }
    case 'bool': {
      const t = text.trim().toLowerCase();
      if (t === 'true' || t === '1') return true;
      if (t === 'false' || t === '0') return false;
      throw expected('true, false, 1 or 0');
    }
    case 'string':
      checkNoNul(text, where);
      return text;
    case 'bytes': {
      const value = parseBytes(text);
      if (value === undefined) throw expected('hex such as 0xdeadbeef or hex:dead_beef');
      return value;
    }
    default:
      throw voidParameter(where);
  }
}

/** Converts every argument, first checking the count against the signature. */
export function convertArguments(signature: FunctionSignature, texts: readonly string[]): GuestValue[] {
  checkArgumentCount(signature, texts.length);
  return texts.map((text, i) => convertArgument(text, signature.paramTypes[i], i + 1, signature.name));
}

/**
 * Splits one line of arguments as a shell would for the simple cases: whitespace separates,
 * "double" and 'single' quotes group, backslash escapes inside double quotes and outside quotes.
 * Used by the extension's input box, where there is no shell to do it.
 */
export function splitArguments(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let inToken = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else current += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < line.length) current += unescape(line[++i]);
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inToken = true;
    } else if (c === '\\' && i + 1 < line.length) {
      current += unescape(line[++i]);
      inToken = true;
    } else if (/\s/.test(c)) {
      if (inToken) out.push(current);
      current = '';
      inToken = false;
    } else {
      current += c;
      inToken = true;
    }
  }
  if (quote) throw new ArgumentError(`unterminated ${quote} quote in ${JSON.stringify(line)}`);
  if (inToken) out.push(current);
  return out;
}

// \n and \t are the escapes people type when they want a newline in a guest string.
function unescape(c: string): string {
  return c === 'n' ? '\n' : c === 't' ? '\t' : c;
}
