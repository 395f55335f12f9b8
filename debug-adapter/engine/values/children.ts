// Children of a value for a variables view, paged: struct and union members (bitfields too;
// anonymous ones as `<anonymous struct>`), array elements `[0]`, `[1]`, … of the outer dimension
// (each an array of the inner ones), and for a pointer to a complete object type its pointee
// `*name`. The count comes from the type alone; a child that cannot be read says why in its text.
import { byteSizeOf, type ReadFailure, type TypeInfo } from '../dwarf';
import { dereference, elementType, memberOf } from './access';
import { coreType, pointee } from './c-types';
import { EvaluationError } from './errors';
import { rustChildren } from './rust-children';
import { postfixOperand, Value } from './value';

export interface ValueChild {
  /** `x`, `[2]`, `*p`, `<anonymous union>`. */
  readonly name: string;
  readonly value: Value;
}

/** Whether a pointer's target is an object a view can show: complete, not void, not a function. */
function hasPointee(target: TypeInfo | undefined): boolean {
  const t = coreType(target);
  if (t.kind === 'void' || t.kind === 'function' || t.kind === 'unknown') return false;
  if ((t.kind === 'struct' || t.kind === 'union' || t.kind === 'class') && t.declaration && t.members.length === 0) return false;
  return byteSizeOf(t) > 0;
}

export function childCount(value: Value): number {
  const rust = rustChildren(value);
  if (rust) return rust.count;
  const t = coreType(value.type);
  switch (t.kind) {
    case 'struct':
    case 'union':
    case 'class':
      return t.members.length;
    case 'array':
      return t.counts[0] ?? 0;
    case 'pointer':
      return hasPointee(t.target) ? 1 : 0;
    default:
      return 0;
  }
}

export function childrenOf(value: Value, start: number, count: number): ValueChild[] {
  // Rust enums show their variant's fields, slices their elements.
  const rust = rustChildren(value);
  if (rust) return rust.children(start, count);
  const total = childCount(value);
  const first = Math.max(0, start);
  const end = Math.min(total, first + Math.max(0, count));
  if (first >= end) return [];
  const t = coreType(value.type);
  const children: ValueChild[] = [];
  switch (t.kind) {
    case 'struct':
    case 'union':
    case 'class':
      for (const m of t.members.slice(first, end)) {
        const child = memberOf(value, m);
        children.push({ name: m.name ?? `<anonymous ${coreType(m.type).kind}>`, value: child });
      }
      break;
    case 'array': {
      const element = elementType(t.element, t.counts);
      const size = byteSizeOf(element);
      const prefix = value.expression;
      for (let i = first; i < end; i++) {
        const expression = prefix === undefined ? undefined : `${postfixOperand(prefix)}[${i}]`;
        children.push({ name: `[${i}]`, value: value.part(element, i * size, { expression, name: `[${i}]` }) });
      }
      break;
    }
    case 'pointer':
      children.push(pointeeChild(value));
      break;
    default:
      break;
  }
  return children;
}

function pointeeChild(pointer: Value): ValueChild {
  const name = `*${pointer.name ?? pointer.expression ?? ''}`;
  const contents = pointer.contents;
  const target = pointee(pointer.type);
  const failed = (failure: ReadFailure): ValueChild => ({
    name,
    value: new Value(pointer.scope, { type: target, location: { kind: 'unavailable', reason: failure.reason }, contents: failure, name }),
  });
  if (!('bytes' in contents)) return failed(contents);
  try {
    const value = dereference(pointer);
    return { name, value: value.named(name, value.expression) };
  } catch (error) {
    if (!(error instanceof EvaluationError)) throw error;
    return failed({ kind: 'error', reason: error.message });
  }
}
