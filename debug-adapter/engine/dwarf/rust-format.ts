// Values of Rust types as gdb's Rust language prints them (gdb 13, rust-lang.c, without the
// Python pretty-printers of rust-gdb): `"hello"` for &str, `&[i32] [1, 2, 3]` for slices,
// `core::option::Option<i32>::Some(5)` and `rust_hello::Shape::Rect{w: 3, h: 4}` for enums,
// `rust_hello::Point {x: 1, y: 2}`, `rust_hello::Pair (7, -9)` and `(1, 2.5)` for structs and
// tuples, `[10, 20, 30]` for arrays, `233 '\xe9'` for char, addresses for pointers and
// references. Chosen by formatValue for types of Rust units (DW_LANG_Rust); C keeps its printer.
import { DW_ATE } from './constants';
import { formatFloat } from './float-format';
import { formatCValue, formatElementRuns, formatEnum, formatValue, littleEndian, PRINT_MAX, REPEAT_THRESHOLD, scalarStatus, type FormatEnvironment } from './format';
import { rustTypeName } from './rust-type-names';
import { activeVariant, isRustChar, rustTypeInfo, type RustEnumLayout } from './rust-types';
import { byteSizeOf, stripQualifiers, type CompositeType, type EnumType, type TypeInfo } from './types';
import type { ObjectBytes } from './value-bytes';

/** gdb's `max-value-size` (64 KiB); `print elements` and `print repeats` are format.ts's PRINT_MAX and REPEAT_THRESHOLD. */
const MAX_VALUE_SIZE = 65536;

/** Whether formatValue should hand this type to the Rust printer. */
export function isRustType(type: TypeInfo): boolean {
  return rustTypeInfo(type) !== undefined;
}

/** The text gdb prints for a Rust value of `type` whose bytes are `object` (at `offset`). */
export function formatRustValue(type: TypeInfo, object: ObjectBytes, env: FormatEnvironment, offset = 0): string {
  const t = stripQualifiers(type);
  switch (t.kind) {
    case 'struct':
    case 'union':
    case 'class':
      return formatComposite(t, object, env, offset);
    case 'array':
      return formatArray(t.element, t.counts, object, env, offset);
    case 'enum':
      return formatRustEnum(t, object, offset);
    case 'base':
    case 'pointer':
      return formatScalar(t, object, env, offset);
    default:
      return formatCValue(t, object, env, offset);
  }
}

/** A field or element: the Rust printer for Rust types, the C one for anything else (formatValue decides). */
function formatPart(type: TypeInfo | undefined, object: ObjectBytes, env: FormatEnvironment, offset: number): string {
  return formatValue(type, object, env, offset);
}

function formatScalar(type: TypeInfo, object: ObjectBytes, env: FormatEnvironment, offset: number): string {
  const size = byteSizeOf(type);
  if (type.kind === 'base' && size === 0) return '()';
  const status = scalarStatus(object, offset, size);
  if (status !== 'ok') return status;
  const raw = littleEndian(object.bytes, offset, size);
  if (type.kind === 'pointer') return formatPointer(type.target, raw, env);
  if (type.kind !== 'base') return raw.toString();
  if (isRustChar(type)) return `${raw} ${rustChar(Number(raw))}`;
  switch (type.encoding) {
    case DW_ATE.boolean:
      return raw === 0n ? 'false' : raw === 1n ? 'true' : raw.toString();
    case DW_ATE.float:
      return formatFloat(object.bytes.subarray(offset, offset + size), size);
    case DW_ATE.signed:
    case DW_ATE.signed_char:
      return BigInt.asIntN(size * 8, raw).toString();
    default:
      return raw.toString();
  }
}

/** rust_language::printchar: Rust escapes, `\x` up to 0xff, `\u{…}` above. */
function rustChar(code: number): string {
  const named: Record<number, string> = { 0x5c: '\\\\', 0x27: "\\'", 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x00: '\\0' };
  if (named[code] !== undefined) return `'${named[code]}'`;
  if (code >= 0x20 && code < 0x7f) return `'${String.fromCharCode(code)}'`;
  if (code <= 0xff) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'\\u{${code.toString(16).padStart(6, '0')}}'`;
}

function formatPointer(target: TypeInfo | undefined, address: bigint, env: FormatEnvironment): string {
  const symbol = address !== 0n ? env.symbolize?.(address) : undefined;
  const text = `0x${address.toString(16)}${symbol !== undefined ? ` <${symbol}>` : ''}`;
  // A pointer to a byte array (`&[u8; 5]`, as for b"hello") shows the bytes as a byte string.
  const pointee = target ? stripQualifiers(target) : undefined;
  if (pointee?.kind === 'array' && pointee.counts.length === 1 && isU8(pointee.element)) {
    const length = pointee.counts[0] ?? 0;
    return `0x${address.toString(16)} b${readString(address, length, env)}`;
  }
  return text;
}

function isU8(type: TypeInfo | undefined): boolean {
  const t = type ? stripQualifiers(type) : undefined;
  return t?.kind === 'base' && t.name === 'u8' && t.byteSize === 1;
}

// ---------------------------------------------------------------------------------------------
// Structs, tuples, slices and enums

function isTupleStruct(type: CompositeType): boolean {
  return type.members.length > 0 && type.members.every((m, i) => m.name === `__${i}`);
}

/** A Rust slice or str reference (`&[T]`, `&str`): a named struct of `data_ptr` and `length`. */
export function isRustSlice(type: CompositeType): boolean {
  const names = type.members.map((m) => m.name).sort();
  return type.name !== undefined && names.length === 2 && names[0] === 'data_ptr' && names[1] === 'length';
}

function formatComposite(type: CompositeType, object: ObjectBytes, env: FormatEnvironment, offset: number): string {
  const info = rustTypeInfo(type);
  if (info?.layout) return formatEnumWithData(type, info.layout, object, env, offset);
  if (isRustSlice(type)) return formatSlice(type, object, env, offset);
  const name = rustTypeName(type) ?? type.name;
  const tuple = name !== undefined && name.startsWith('(');
  const tupleStruct = !tuple && isTupleStruct(type);
  let head = '';
  if (!tuple) {
    if (name !== undefined) head = name;
    if (type.members.length === 0) return head;
    if (name !== undefined) head += ' ';
  }
  const fields = type.members.map((m) => {
    const value = formatPart(m.type, object, env, offset + m.byteOffset);
    return tuple || tupleStruct ? value : `${m.name ?? ''}: ${value}`;
  });
  return tuple || tupleStruct ? `${head}(${fields.join(', ')})` : `${head}{${fields.join(', ')}}`;
}

function formatEnumWithData(type: CompositeType, layout: RustEnumLayout, object: ObjectBytes, env: FormatEnvironment, offset: number): string {
  if (layout.variants.length === 0) return `${rustTypeName(type) ?? type.name ?? ''} {<No data fields>}`;
  const variant = activeVariant(layout, object, offset);
  if (variant === 'unknown') return '<optimized out>';
  if (!variant) return '<error: Could not find active enum variant>';
  const body = variant.type ? stripQualifiers(variant.type) : undefined;
  const name = (variant.type && rustTypeName(variant.type)) ?? variant.name;
  if (!body || (body.kind !== 'struct' && body.kind !== 'union') || body.members.length === 0) return name;
  const tuple = isTupleStruct(body);
  const base = offset + variant.offset;
  const fields = body.members.map((m) => {
    const value = formatPart(m.type, object, env, base + m.byteOffset);
    return tuple ? value : `${m.name ?? ''}: ${value}`;
  });
  return tuple ? `${name}(${fields.join(', ')})` : `${name}{${fields.join(', ')}}`;
}

/** `&str` as a string; other slices as their type name and elements: `&[i32] [1, 2, 3]`. */
function formatSlice(type: CompositeType, object: ObjectBytes, env: FormatEnvironment, offset: number): string {
  const pointer = type.members.find((m) => m.name === 'data_ptr')!;
  const length = type.members.find((m) => m.name === 'length')!;
  const pointerType = pointer.type ? stripQualifiers(pointer.type) : undefined;
  const element = pointerType?.kind === 'pointer' ? pointerType.target : undefined;
  const lengthSize = byteSizeOf(length.type);
  const status = [scalarStatus(object, offset + pointer.byteOffset, 8), scalarStatus(object, offset + length.byteOffset, lengthSize)].find((s) => s !== 'ok');
  if (status) return status;
  const address = littleEndian(object.bytes, offset + pointer.byteOffset, 8);
  const count = Number(littleEndian(object.bytes, offset + length.byteOffset, lengthSize));
  const name = rustTypeName(type) ?? type.name ?? '';
  if (name === '&str' || name === '&mut str') return readString(address, count, env);
  if (count === 0) return `${name} []`;
  const size = byteSizeOf(element);
  const bytes = size * count;
  if (bytes > MAX_VALUE_SIZE) return `${name} <error: value requires ${bytes} bytes, which is more than max-value-size>`;
  const data = env.readMemory(address, bytes);
  if (!data || data.length < bytes) return `${name} <error: Cannot access memory at address 0x${address.toString(16)}>`;
  const elements: ObjectBytes = { bytes: data, known: new Uint8Array(bytes).fill(0xff), address };
  return `${name} ${formatElements(element, count, size, elements, env, 0)}`;
}

function formatRustEnum(type: EnumType, object: ObjectBytes, offset: number): string {
  const status = scalarStatus(object, offset, type.byteSize);
  if (status !== 'ok') return status;
  const prefix = rustTypeName(type);
  return formatEnum(type, littleEndian(object.bytes, offset, type.byteSize), (name) => (prefix !== undefined ? `${prefix}::${name}` : name));
}

// ---------------------------------------------------------------------------------------------
// Arrays and element lists

function formatArray(element: TypeInfo | undefined, counts: ReadonlyArray<number | undefined>, object: ObjectBytes, env: FormatEnvironment, offset: number): string {
  const [count, ...inner] = counts;
  const length = count ?? 0;
  if (length === 0) return '[]';
  const elementSize = inner.reduce<number>((n, c) => n * (c ?? 0), byteSizeOf(element));
  if (inner.length > 0) {
    const parts = Array.from({ length: Math.min(length, PRINT_MAX) }, (_, i) => formatArray(element, inner, object, env, offset + i * elementSize));
    return `[${parts.join(', ')}${length > PRINT_MAX ? '...' : ''}]`;
  }
  return formatElements(element, length, elementSize, object, env, offset);
}

/** value_print_array_elements with Rust's brackets: runs of equal elements as <repeats N times>. */
function formatElements(element: TypeInfo | undefined, length: number, size: number, object: ObjectBytes, env: FormatEnvironment, offset: number): string {
  return formatElementRuns(length, size, object, offset, (i) => formatPart(element, object, env, offset + i * size), '[]');
}

// ---------------------------------------------------------------------------------------------
// Strings

/**
 * val_print_string of `length` UTF-8 bytes at `address`: at most 200 bytes are read, `...` marks
 * a longer string, and an unreadable byte ends the text with gdb's memory error.
 */
function readString(address: bigint, length: number, env: FormatEnvironment): string {
  const limit = Math.min(length, PRINT_MAX);
  let bytes = limit > 0 ? env.readMemory(address, limit) : new Uint8Array(0);
  let failedAt: bigint | undefined;
  if (!bytes || bytes.length < limit) {
    // Keep the readable prefix, as gdb's partial read does.
    const prefix: number[] = [];
    for (let i = 0; i < limit; i++) {
      const byte = env.readMemory(address + BigInt(i), 1);
      if (!byte || byte.length === 0) break;
      prefix.push(byte[0]);
    }
    bytes = Uint8Array.from(prefix);
    failedAt = address + BigInt(prefix.length);
  }
  const error = failedAt !== undefined ? `<error: Cannot access memory at address 0x${failedAt.toString(16)}>` : '';
  if (failedAt !== undefined && bytes.length === 0) return error;
  return formatUtf8(bytes, length > limit) + error;
}

interface Glyph {
  /** The code point, or undefined for a byte that is not part of valid UTF-8. */
  readonly code: number | undefined;
  readonly bytes: readonly number[];
}

function decodeUtf8(bytes: Uint8Array): Glyph[] {
  const glyphs: Glyph[] = [];
  let i = 0;
  while (i < bytes.length) {
    const first = bytes[i];
    const need = first < 0x80 ? 0 : first >= 0xc2 && first < 0xe0 ? 1 : first >= 0xe0 && first < 0xf0 ? 2 : first >= 0xf0 && first < 0xf5 ? 3 : -1;
    let code = need === 0 ? first : need === 1 ? first & 0x1f : need === 2 ? first & 0x0f : first & 0x07;
    let ok = need >= 0 && i + need < bytes.length;
    for (let k = 1; ok && k <= need; k++) {
      if ((bytes[i + k] & 0xc0) !== 0x80) ok = false;
      else code = (code << 6) | (bytes[i + k] & 0x3f);
    }
    const minimum = [0, 0x80, 0x800, 0x10000][Math.max(need, 0)];
    if (ok && code >= minimum && code <= 0x10ffff && !(code >= 0xd800 && code < 0xe000)) {
      glyphs.push({ code, bytes: Array.from(bytes.subarray(i, i + need + 1)) });
      i += need + 1;
    } else {
      glyphs.push({ code: undefined, bytes: [first] });
      i += 1;
    }
  }
  return glyphs;
}

/** gdb's print_wchar in a UTF-8 locale: printable characters as they are, the rest escaped. */
function glyphText(glyph: Glyph, quote: string): string {
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v' };
  const code = glyph.code;
  if (code !== undefined && named[code] !== undefined) return named[code];
  const printable = code !== undefined && code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0);
  if (printable) {
    const ch = String.fromCodePoint(code);
    return ch === quote || ch === '\\' ? `\\${ch}` : ch;
  }
  return glyph.bytes.map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
}

/**
 * generic_printstr of UTF-8 bytes: quoted runs, `'c' <repeats N times>`, `...` when cut. Rust
 * strings have no C terminator, so a trailing NUL is printed like any byte.
 */
function formatUtf8(bytes: Uint8Array, forceEllipses: boolean): string {
  if (bytes.length === 0) return forceEllipses ? '""...' : '""';
  const glyphs = decodeUtf8(bytes);
  const same = (a: Glyph, b: Glyph): boolean => a.code === b.code && a.bytes.length === b.bytes.length && a.bytes.every((x, k) => x === b.bytes[k]);
  let out = '';
  let last: 'start' | 'single' | 'repeat' = 'start';
  let printed = 0;
  let i = 0;
  while (i < glyphs.length && printed < PRINT_MAX) {
    let j = i + 1;
    while (j < glyphs.length && same(glyphs[j], glyphs[i])) j++;
    const count = j - i;
    if (count > REPEAT_THRESHOLD) {
      if (last === 'single') out += '"';
      if (last !== 'start') out += ', ';
      out += `'${glyphText(glyphs[i], "'")}' <repeats ${count} times>`;
      last = 'repeat';
    } else {
      if (last !== 'single') {
        if (last !== 'start') out += ', ';
        out += '"';
      }
      out += glyphText(glyphs[i], '"').repeat(count);
      last = 'single';
    }
    printed += count;
    i = j;
  }
  if (last === 'single') out += '"';
  if (forceEllipses || i < glyphs.length) out += '...';
  return out;
}
