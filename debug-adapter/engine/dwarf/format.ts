// Values as gdb prints them (`print`, `info locals`): integers in decimal, characters as
// `97 'a'`, pointers as 0x… with <symbol+offset>, char arrays and char pointers as strings with
// gdb's escapes and <repeats N times>, arrays as {1, 2, 3}, structs as {a = 1, b = 2}, enums by
// name, floats with 9/17/21 significant digits, and <optimized out> for unknown bytes.
import { DW_ATE } from './constants';
import { formatFloat } from './float-format';
import { formatRustValue, isRustType } from './rust-format';
import { byteSizeOf, stripQualifiers, stripTypedefs, typeName, type CompositeType, type EnumType, type TypeInfo } from './types';
import type { ObjectBytes } from './value-bytes';

export interface FormatEnvironment {
  readMemory(address: bigint, length: number): Uint8Array | undefined;
  /** `name` or `name+offset` for an address inside a known symbol (gdb's <...>), if any. */
  symbolize?(address: bigint): string | undefined;
}

/** gdb's defaults: `set print elements 200`, `set print repeats 10`. */
export const PRINT_MAX = 200;
export const REPEAT_THRESHOLD = 10;

export function littleEndian(bytes: Uint8Array, offset: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i] ?? 0);
  return v;
}

function allKnown(known: Uint8Array, offset: number, size: number): boolean {
  for (let i = offset; i < offset + size; i++) if (known[i] !== 0xff) return false;
  return true;
}

/** gdb's validity check of a scalar: optimized out, synthetic pointer, or printable. */
export function scalarStatus(object: ObjectBytes, offset: number, size: number): 'ok' | '<optimized out>' | '<synthetic pointer>' {
  let synthetic = 0;
  for (let i = offset; i < offset + size; i++) {
    const isSynthetic = object.synthetic?.[i] === 1;
    if (object.known[i] !== 0xff && !isSynthetic) return '<optimized out>';
    if (isSynthetic) synthetic++;
  }
  return synthetic === size && size > 0 ? '<synthetic pointer>' : 'ok';
}

function isCharType(type: TypeInfo | undefined): boolean {
  const t = type ? stripQualifiers(type) : undefined;
  return t?.kind === 'base' && t.byteSize === 1 && (t.encoding === DW_ATE.signed_char || t.encoding === DW_ATE.unsigned_char);
}

/** One character escaped as gdb's print_wchar does (`quote` is ' or "). */
export function escapeChar(code: number, quote: string): string {
  switch (code) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
    case 27:
      return '\\033';
  }
  if (code >= 0x20 && code < 0x7f) {
    const ch = String.fromCharCode(code);
    return ch === quote || ch === '\\' ? `\\${ch}` : ch;
  }
  return `\\${code.toString(8).padStart(3, '0')}`;
}

/** gdb's generic_printstr for a char array of `length` elements (trailing NUL dropped). */
export function formatCharArray(bytes: Uint8Array, length: number, forceEllipses = false): string {
  let n = length;
  if (!forceEllipses && n > 0 && bytes[n - 1] === 0) n--;
  if (n === 0) return '""';
  const runs: Array<{ code: number; count: number }> = [];
  let printed = 0;
  let i = 0;
  while (i < n && printed < PRINT_MAX) {
    let j = i + 1;
    while (j < n && bytes[j] === bytes[i]) j++;
    runs.push({ code: bytes[i], count: j - i });
    printed += j - i;
    i = j;
  }
  let out = '';
  let last: 'start' | 'single' | 'repeat' = 'start';
  for (const run of runs) {
    if (run.count > REPEAT_THRESHOLD) {
      if (last === 'single') out += '"';
      if (last !== 'start') out += ', ';
      out += `'${escapeChar(run.code, "'")}' <repeats ${run.count} times>`;
      last = 'repeat';
    } else {
      if (last !== 'single') {
        if (last !== 'start') out += ', ';
        out += '"';
      }
      out += escapeChar(run.code, '"').repeat(run.count);
      last = 'single';
    }
  }
  if (last === 'single') out += '"';
  if (forceEllipses || i < n) out += '...';
  return out;
}

/** The NUL-terminated string at `address` as gdb prints a char pointer's target. */
function formatCString(address: bigint, env: FormatEnvironment): string {
  const chars: number[] = [];
  let truncated = false;
  for (;;) {
    if (chars.length >= PRINT_MAX) {
      truncated = true;
      break;
    }
    const byte = env.readMemory(address + BigInt(chars.length), 1);
    if (!byte || byte.length === 0) {
      if (chars.length === 0) return `<error: Cannot access memory at address 0x${address.toString(16)}>`;
      truncated = true; // stop at the first unreadable byte
      break;
    }
    if (byte[0] === 0) break;
    chars.push(byte[0]);
  }
  // gdb prints the string with the usual repeat rules, ellipsis when it stopped at the limit.
  const text = chars.length === 0 ? '""' : formatCharArray(Uint8Array.from([...chars, 0]), chars.length + 1);
  return truncated ? `${text}...` : text;
}

function formatChar(value: bigint, signed: boolean, size: number): string {
  const number = signed ? BigInt.asIntN(size * 8, value) : value;
  return `${number} '${escapeChar(Number(value & 0xffn), "'")}'`;
}

/**
 * gdb's enum text for `raw`: the enumerator's name, a "flag enum" (non-negative, disjoint bit masks)
 * decomposed into its flags, or the number. `spell` writes an enumerator's name (Rust qualifies it).
 */
export function formatEnum(type: EnumType, raw: bigint, spell: (name: string) => string = (name) => name): string {
  const value = type.signed ? BigInt.asIntN(type.byteSize * 8, raw) : raw;
  const match = type.enumerators.find((e) => e.value === value);
  if (match) return spell(match.name);
  let seen = 0n;
  const flag = type.enumerators.every((e) => {
    if (e.value < 0n || (e.value & seen) !== 0n) return false;
    seen |= e.value;
    return true;
  });
  if (!flag || value < 0n) return value.toString();
  const parts: string[] = [];
  let rest = value;
  for (const e of type.enumerators) {
    if (e.value !== 0n && (rest & e.value) === e.value) {
      parts.push(spell(e.name));
      rest &= ~e.value;
    }
  }
  if (rest !== 0n) parts.push(`unknown: 0x${rest.toString(16)}`);
  return parts.length === 0 ? '0' : `(${parts.join(' | ')})`;
}

function formatPointer(type: TypeInfo | undefined, address: bigint, env: FormatEnvironment): string {
  const target = type ? stripQualifiers(type) : undefined;
  const pointee = target?.kind === 'pointer' ? target.target : undefined;
  const symbol = address !== 0n ? env.symbolize?.(address) : undefined;
  let text = `0x${address.toString(16)}${symbol !== undefined ? ` <${symbol}>` : ''}`;
  const core = pointee ? stripQualifiers(pointee) : undefined;
  if (core?.kind === 'function') return text;
  if (isCharType(pointee) && address !== 0n) text += ` ${formatCString(address, env)}`;
  return text;
}

/**
 * The text gdb prints for an object of `type` whose bytes are `object` (at `offset`). Unknown
 * bytes print as <optimized out>. Types of Rust units print as gdb's Rust language prints them.
 */
export function formatValue(type: TypeInfo | undefined, object: ObjectBytes, env: FormatEnvironment, offset = 0): string {
  if (type && isRustType(type)) return formatRustValue(type, object, env, offset);
  return formatCValue(type, object, env, offset);
}

/** formatValue in C's syntax, whatever language the type comes from. */
export function formatCValue(type: TypeInfo | undefined, object: ObjectBytes, env: FormatEnvironment, offset = 0): string {
  if (!type) return 'void';
  const t = stripTypedefs(type);
  const size = byteSizeOf(t);
  switch (t.kind) {
    case 'qualified':
      return formatValue(t.target, object, env, offset);
    case 'void':
      return 'void';
    case 'unknown':
      return `<unknown type ${t.name ?? ''}>`;
    case 'function': {
      const address = object.address;
      if (address === undefined) return `{${typeName(t)}} <function>`;
      const symbol = env.symbolize?.(address);
      return `{${typeName(t)}} 0x${address.toString(16)}${symbol !== undefined ? ` <${symbol}>` : ''}`;
    }
    case 'array':
      return formatArray(t.element, t.counts, object, env, offset);
    case 'struct':
    case 'union':
    case 'class':
      return formatComposite(t, object, env, offset);
    default:
      break;
  }
  const status = scalarStatus(object, offset, size);
  if (status !== 'ok') return status;
  const raw = littleEndian(object.bytes, offset, size);
  switch (t.kind) {
    case 'base':
      switch (t.encoding) {
        case DW_ATE.boolean:
          return raw === 0n ? 'false' : raw === 1n ? 'true' : raw.toString();
        case DW_ATE.float:
          return formatFloat(object.bytes.subarray(offset, offset + size), size);
        case DW_ATE.signed_char:
        case DW_ATE.unsigned_char:
          if (size === 1) return formatChar(raw, t.encoding === DW_ATE.signed_char, size);
          return t.encoding === DW_ATE.signed_char ? BigInt.asIntN(size * 8, raw).toString() : raw.toString();
        case DW_ATE.signed:
          return BigInt.asIntN(size * 8, raw).toString();
        case DW_ATE.address:
          return `0x${raw.toString(16)}`;
        default:
          return raw.toString();
      }
    case 'enum':
      return formatEnum(t, raw);
    case 'pointer':
      return formatPointer(t, raw, env);
  }
  return raw.toString();
}

function formatArray(element: TypeInfo | undefined, counts: ReadonlyArray<number | undefined>, object: ObjectBytes, env: FormatEnvironment, offset: number): string {
  const [count, ...inner] = counts;
  const length = count ?? 0;
  const elementSize = inner.reduce<number>((n, c) => n * (c ?? 0), byteSizeOf(element));
  // gdb prints char arrays as strings when all their bytes are known, else element by element.
  if (inner.length === 0 && isCharType(element) && allKnown(object.known, offset, length)) {
    return formatCharArray(object.bytes.subarray(offset, offset + length), length);
  }
  const one = (i: number): string =>
    inner.length > 0 ? formatArray(element, inner, object, env, offset + i * elementSize) : formatValue(element, object, env, offset + i * elementSize);
  return formatElementRuns(length, elementSize, object, offset, one, '{}');
}

/**
 * value_print_array_elements: `length` elements of `size` bytes from `offset`, a run of more than
 * REPEAT_THRESHOLD equal ones (bytes and their knownness) as one with `<repeats N times>`, at most
 * PRINT_MAX printed, in `brackets` (C's {} or Rust's []).
 */
export function formatElementRuns(length: number, size: number, object: ObjectBytes, offset: number, formatAt: (index: number) => string, brackets: '{}' | '[]'): string {
  const same = (a: number, b: number): boolean => {
    for (let k = 0; k < size; k++) {
      const x = offset + a * size + k;
      const y = offset + b * size + k;
      if (object.bytes[x] !== object.bytes[y] || object.known[x] !== object.known[y]) return false;
      if ((object.synthetic?.[x] ?? 0) !== (object.synthetic?.[y] ?? 0)) return false;
    }
    return true;
  };
  const parts: string[] = [];
  let printed = 0;
  let i = 0;
  for (; i < length && printed < PRINT_MAX; i++) {
    let end = i + 1;
    while (end < length && same(i, end)) end++;
    let text = formatAt(i);
    if (end - i > REPEAT_THRESHOLD) {
      text += ` <repeats ${end - i} times>`;
      i = end - 1;
      printed += REPEAT_THRESHOLD;
    } else {
      printed++;
    }
    parts.push(text);
  }
  return `${brackets[0]}${parts.join(', ')}${i < length ? '...' : ''}${brackets[1]}`;
}

function formatComposite(type: CompositeType, object: ObjectBytes, env: FormatEnvironment, offset: number): string {
  if (type.declaration && type.members.length === 0) return '<incomplete type>';
  const parts = type.members.map((m) => {
    const prefix = m.name !== undefined ? `${m.name} = ` : '';
    if (m.bitSize !== undefined && m.bitOffset !== undefined) return prefix + formatBitfield(m.type, m.bitSize, m.bitOffset, object, env, offset);
    return prefix + formatValue(m.type, object, env, offset + m.byteOffset);
  });
  return `{${parts.join(', ')}}`;
}

function formatBitfield(type: TypeInfo | undefined, bitSize: number, bitOffset: number, object: ObjectBytes, env: FormatEnvironment, offset: number): string {
  const first = offset + Math.floor(bitOffset / 8);
  const last = offset + Math.floor((bitOffset + bitSize - 1) / 8);
  for (let b = bitOffset; b < bitOffset + bitSize; b++) {
    const at = offset + (b >> 3);
    if (((object.known[at] >> (b & 7)) & 1) === 0) return object.synthetic?.[at] ? '<synthetic pointer>' : '<optimized out>';
  }
  const raw = (littleEndian(object.bytes, first, last - first + 1) >> BigInt(bitOffset % 8)) & ((1n << BigInt(bitSize)) - 1n);
  const core = type ? stripQualifiers(type) : undefined;
  const signed = core?.kind === 'base' ? core.encoding === DW_ATE.signed || core.encoding === DW_ATE.signed_char : core?.kind === 'enum' ? core.signed : false;
  const value = signed ? BigInt.asIntN(bitSize, raw) : raw;
  // Re-encode the field as a value of its type so it prints like any other.
  const size = Math.max(byteSizeOf(type), 1);
  const bytes = new Uint8Array(size);
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return formatValue(type, { bytes, known: new Uint8Array(size).fill(0xff) }, env);
}

/** gdb's `print` puts a pointer's type in front of it, except for plain `char *` strings. */
export function printPrefix(type: TypeInfo | undefined): string {
  if (!type || stripTypedefs(type).kind !== 'pointer') return '';
  if (type.kind === 'pointer') {
    const target = type.target && type.target.kind === 'qualified' ? stripQualifiersOnly(type.target) : type.target;
    if (target?.kind === 'base' && target.name === 'char') return '';
  }
  return `(${typeName(type)}) `;
}

function stripQualifiersOnly(type: TypeInfo): TypeInfo | undefined {
  let t: TypeInfo | undefined = type;
  while (t?.kind === 'qualified') t = t.target;
  return t;
}
