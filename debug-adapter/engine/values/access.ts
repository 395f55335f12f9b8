// Reaching other objects from a value, as C (and gdb) define it: `*p`, `&x`, `s.m` / `p->m`
// (through anonymous members), `a[i]` / `p[i]`, pointer offsets scaled by the pointee's size, and
// the decay of arrays and functions into pointers. Results are lazy: nothing is read until used.
import { byteSizeOf, dwarfConstants, typeName, type CompositeType, type Member, type NamedFunction, type TypeInfo } from '../dwarf';
import { C_TYPES, coreType, isIntegral, pointee, pointerTo, strideOf } from './c-types';
import { EvaluationError } from './errors';
import { readInteger } from './scalars';
import type { EvaluationScope } from './scope';
import { integerValue, memoryValue, postfixOperand, prefixOperand, Value } from './value';

const NOT_IN_MEMORY = 'Attempt to take address of value not located in memory.';

/** The address a pointer (or integer used as one) holds. */
export function addressHeld(value: Value): bigint {
  const object = value.object();
  const size = Math.min(Math.max(value.size, 1), 8);
  if (object.known.subarray(0, size).some((b) => b !== 0xff)) throw new EvaluationError('value has been optimized out');
  return readInteger(object.bytes, size, false);
}

/** Code of function type at an address: it has no bytes of its own, only the address. */
function codeAt(scope: EvaluationScope, type: TypeInfo | undefined, address: bigint, expression: string | undefined): Value {
  return new Value(scope, { type, location: { kind: 'memory', address }, contents: { bytes: new Uint8Array(0), known: new Uint8Array(0), address }, expression });
}

/** A function as a value: `{int (int, int)} 0x401136 <plus>`. */
export function functionValue(scope: EvaluationScope, fn: NamedFunction): Value {
  return codeAt(scope, fn.type, fn.address, fn.name);
}

/** A pointer to `target` holding `address`. */
export function pointerValue(scope: EvaluationScope, target: TypeInfo | undefined, address: bigint): Value {
  return integerValue(scope, pointerTo(target), address);
}

/** `*value`: the pointee of a pointer, the first element of an array, a function itself, or (as gdb allows) the int at an integer address. */
export function dereference(value: Value, expression = value.expression === undefined ? undefined : `*${prefixOperand(value.expression)}`): Value {
  const t = coreType(value.type);
  const names = { expression, memberPrefix: value.expression === undefined ? undefined : `${postfixOperand(value.expression)}->` };
  switch (t.kind) {
    case 'pointer': {
      const target = t.target;
      const targetCore = coreType(target);
      if (targetCore.kind === 'void') throw new EvaluationError('Attempt to dereference a generic pointer.');
      const address = addressHeld(value);
      if (targetCore.kind === 'function') return codeAt(value.scope, target, address, expression);
      return memoryValue(value.scope, target, address, names);
    }
    case 'array':
      return value.part(elementType(t.element, t.counts), 0, { expression });
    case 'function':
      return value;
    default:
      if (isIntegral(t)) return memoryValue(value.scope, C_TYPES.int, addressHeld(value), { expression });
      throw new EvaluationError('Attempt to take contents of a non-pointer value.');
  }
}

/** `&value`. */
export function addressOf(value: Value): Value {
  const t = coreType(value.type);
  const expression = value.expression === undefined ? undefined : `&${prefixOperand(value.expression)}`;
  const location = value.location;
  if (location.kind === 'memory') return pointerValue(value.scope, value.type, location.address).named(expression ?? '', expression);
  if (t.kind === 'function') {
    const contents = value.contents;
    if ('bytes' in contents && contents.address !== undefined) return pointerValue(value.scope, value.type, contents.address);
  }
  throw notAddressable(value);
}

/** Why a value has no address, in gdb's words: a variable's own message names it and its register. */
function notAddressable(value: Value): EvaluationError {
  const location = value.location;
  if (value.variableName === undefined) return new EvaluationError(NOT_IN_MEMORY);
  if (location.kind === 'register') {
    const register = dwarfConstants.X86_64_REGISTER_NAMES[location.regno] ?? `r${location.regno}`;
    return new EvaluationError(`Address requested for identifier "${value.variableName}" which is in register $${register}`);
  }
  return new EvaluationError(`Can't take address of "${value.variableName}" which isn't an lvalue.`);
}

/** An array as a pointer to its first element, a function as a pointer to it; other values as they are. */
export function decay(value: Value): Value {
  const t = coreType(value.type);
  if (t.kind === 'array') {
    if (value.location.kind !== 'memory') throw notAddressable(value);
    return pointerValue(value.scope, elementType(t.element, t.counts), value.location.address);
  }
  if (t.kind === 'function') return addressOf(value);
  return value;
}

/** The type of one element of an array with these dimensions (an array itself for all but the last). */
export function elementType(element: TypeInfo | undefined, counts: ReadonlyArray<number | undefined>): TypeInfo | undefined {
  return counts.length > 1 ? { kind: 'array', element, counts: counts.slice(1) } : element;
}

/** `pointer + delta` elements. */
export function offsetPointer(pointer: Value, delta: bigint): Value {
  const stride = strideOf(pointer.type);
  if (stride === undefined) {
    throw new EvaluationError(`Cannot perform pointer math on incomplete type "${typeName(pointee(pointer.type))}", try casting to a known type, or void *.`);
  }
  return integerValue(pointer.scope, pointer.type, addressHeld(pointer) + delta * BigInt(stride));
}

/** The path to a member by name, through anonymous structs and unions. */
function findMember(type: CompositeType, name: string): Member[] | undefined {
  const direct = type.members.find((m) => m.name === name);
  if (direct) return [direct];
  for (const m of type.members) {
    if (m.name !== undefined) continue;
    const inner = coreType(m.type);
    if (inner.kind !== 'struct' && inner.kind !== 'union' && inner.kind !== 'class') continue;
    const path = findMember(inner, name);
    if (path) return [m, ...path];
  }
  return undefined;
}

/**
 * One member of a struct or union value. A bitfield is read from the storage unit of its declared
 * type that holds it (so `&` gives that unit's address, as gdb does).
 */
export function memberOf(value: Value, member: Member): Value {
  const prefix = value.memberPrefix;
  const expression = prefix !== undefined && member.name !== undefined ? `${prefix}${member.name}` : undefined;
  if (member.bitSize !== undefined && member.bitOffset !== undefined) {
    const containerBits = Math.max(byteSizeOf(member.type), 1) * 8;
    const bitOffset = member.bitOffset % containerBits;
    return value.part(member.type, (member.bitOffset - bitOffset) / 8, { expression, bitField: { bitOffset, bitSize: member.bitSize } });
  }
  // An anonymous struct or union has no expression of its own; its members are spelled as the parent's.
  if (member.name === undefined) return value.part(member.type, member.byteOffset, { memberPrefix: prefix, name: `<anonymous ${coreType(member.type).kind}>` });
  return value.part(member.type, member.byteOffset, { expression });
}

function isComposite(type: TypeInfo | undefined): boolean {
  const kind = coreType(type).kind;
  return kind === 'struct' || kind === 'union' || kind === 'class';
}

/** `value.name` or `value->name`; like gdb, either operator follows pointers to a struct or union. */
export function member(value: Value, name: string, arrow: boolean): Value {
  let object = value;
  for (let depth = 0; depth < 8 && coreType(object.type).kind === 'pointer'; depth++) {
    const target = pointee(object.type);
    if (!isComposite(target) && coreType(target).kind !== 'pointer') break;
    object = dereference(object);
  }
  const t = coreType(object.type);
  if (t.kind !== 'struct' && t.kind !== 'union' && t.kind !== 'class') {
    throw new EvaluationError(arrow ? 'Attempt to extract a component of a value that is not a structure pointer.' : 'Attempt to extract a component of a value that is not a structure.');
  }
  const path = findMember(t, name);
  if (!path) throw new EvaluationError(`There is no member named ${name}.`);
  return path.reduce<Value>((current, m) => memberOf(current, m), object);
}

/** `array[index]` (any index of an array in memory, as gdb reads past bounds) or `pointer[index]`. */
export function subscript(value: Value, index: bigint): Value {
  const t = coreType(value.type);
  const expression = value.expression === undefined ? undefined : `${postfixOperand(value.expression)}[${index}]`;
  if (t.kind === 'array') {
    const element = elementType(t.element, t.counts);
    const count = t.counts[0];
    const inBounds = count === undefined || (index >= 0n && index < BigInt(count));
    if (!inBounds && value.location.kind !== 'memory') throw new EvaluationError('no such vector element');
    return value.part(element, Number(index) * byteSizeOf(element), { expression, name: `[${index}]` });
  }
  if (t.kind === 'pointer') {
    if (coreType(t.target).kind === 'void') throw new EvaluationError('Attempt to dereference a generic pointer.');
    return dereference(offsetPointer(value, index), expression);
  }
  throw new EvaluationError(`cannot subscript something of type \`${typeName(value.type)}'`);
}

/** gdb's `value@count`: `count` objects like `value` from its address on, as an array. */
export function repeat(value: Value, count: bigint): Value {
  if (value.location.kind !== 'memory' || value.bitField) throw new EvaluationError("Only values in memory can be extended with '@'.");
  if (count < 1n) throw new EvaluationError(`Invalid number ${count} of repetitions.`);
  return memoryValue(value.scope, { kind: 'array', element: value.type, counts: [Number(count)] }, value.location.address);
}
