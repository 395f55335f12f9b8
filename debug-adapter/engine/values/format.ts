// The text of a value as gdb's `print` shows it: the DWARF engine's formatValue with the pointer
// type prefix gdb puts in front of pointers, plus what DWARF types never need: flag registers
// (`[ ZF PF ]`) and the 16-bit floats of `union vec128`.
import { byteSizeOf, formatIeeeBits, formatValue, printPrefix, stripQualifiers, type FormatEnvironment, type ObjectBytes, type ReadFailure, type TypeInfo } from '../dwarf';
import { FLAG_FIELDS, REGISTER_TYPES } from './registers';
import { readInteger } from './scalars';

/** What gdb shows for a value it cannot read. */
export function failureText(failure: ReadFailure): string {
  if (failure.kind === 'error') return `<error: ${failure.reason}>`;
  if (failure.reason.startsWith('synthetic pointer')) return '<synthetic pointer>';
  if (failure.reason === 'not saved') return '<not saved>';
  return '<optimized out>';
}

/** `print` text: `(int *) 0x4010 <numbers>`, `{x = 1, y = 2}`, `97 'a'`. */
export function printText(type: TypeInfo | undefined, object: ObjectBytes, env: FormatEnvironment): string {
  const body = formatObject(type, object, env, 0);
  return body.startsWith('<') ? body : printPrefix(type) + body;
}

function isHalfFloat(type: TypeInfo | undefined): boolean {
  return type === REGISTER_TYPES.half || type === REGISTER_TYPES.bfloat16;
}

function containsHalfFloat(type: TypeInfo | undefined): boolean {
  if (!type) return false;
  const t = stripQualifiers(type);
  if (isHalfFloat(t)) return true;
  if (t.kind === 'array') return containsHalfFloat(t.element);
  if (t.kind === 'union' || t.kind === 'struct') return t.members.some((m) => containsHalfFloat(m.type));
  return false;
}

function known(object: ObjectBytes, offset: number, size: number): boolean {
  for (let i = offset; i < offset + size; i++) if (object.known[i] !== 0xff) return false;
  return true;
}

/** formatValue, with register-only types formatted here. */
export function formatObject(type: TypeInfo | undefined, object: ObjectBytes, env: FormatEnvironment, offset: number): string {
  const t = type ? stripQualifiers(type) : undefined;
  const flags = t ? FLAG_FIELDS.get(t) : undefined;
  if (flags && t) {
    if (!known(object, offset, 4)) return '<optimized out>';
    const bits = readInteger(object.bytes, 4, false, offset);
    const set = flags.filter(([, bit]) => (bits >> BigInt(bit)) & 1n).map(([name]) => ` ${name}`);
    return `[${set.join('')} ]`;
  }
  if (!t || !containsHalfFloat(t)) return formatValue(type, object, env, offset);
  if (isHalfFloat(t)) {
    if (!known(object, offset, 2)) return '<optimized out>';
    const bits = readInteger(object.bytes, 2, false, offset);
    return t === REGISTER_TYPES.bfloat16 ? formatIeeeBits(bits, 8, 7, 4) : formatIeeeBits(bits, 5, 10, 5);
  }
  if (t.kind === 'array') {
    // Vectors of 16-bit floats have 8 or 16 elements: no runs long enough for gdb's <repeats>.
    const count = t.counts[0] ?? 0;
    const inner = t.counts.length > 1 ? { ...t, counts: t.counts.slice(1) } : t.element;
    const size = byteSizeOf(inner);
    return `{${Array.from({ length: count }, (_, i) => formatObject(inner, object, env, offset + i * size)).join(', ')}}`;
  }
  if (t.kind === 'union' || t.kind === 'struct') {
    return `{${t.members.map((m) => `${m.name} = ${formatObject(m.type, object, env, offset + m.byteOffset)}`).join(', ')}}`;
  }
  return formatValue(type, object, env, offset);
}
