// Children of Rust values in a variables view, where the C shape would hide what matters: an
// enum with data shows the fields of the variant it holds (`0`, `1` for a tuple variant, else
// their names), and a slice its elements `[0]`, `[1]`… from the memory it points to. A `&str`
// keeps its `data_ptr` and `length` (its text is the value itself). Other types: undefined.
import { activeVariant, byteSizeOf, isRustSlice, rustTypeInfo, stripQualifiers, type CompositeType, type Member, type RustEnumLayout } from '../dwarf';
import type { ValueChild } from './children';
import { readInteger } from './scalars';
import { memoryValue, type Value } from './value';

export interface ChildList {
  readonly count: number;
  children(start: number, count: number): ValueChild[];
}

export function rustChildren(value: Value): ChildList | undefined {
  const type = value.type ? stripQualifiers(value.type) : undefined;
  if (!type || (type.kind !== 'struct' && type.kind !== 'union') || !rustTypeInfo(type)) return undefined;
  const layout = rustTypeInfo(type)?.layout;
  if (layout) return variantFields(value, layout);
  if (isRustSlice(type) && type.name !== '&str' && type.name !== '&mut str') return sliceElements(value, type);
  return undefined;
}

function list(items: ValueChild[]): ChildList {
  return { count: items.length, children: (start, count) => items.slice(Math.max(0, start), Math.max(0, start) + Math.max(0, count)) };
}

function variantFields(value: Value, layout: RustEnumLayout): ChildList {
  const contents = value.contents;
  if (!('bytes' in contents)) return list([]);
  const variant = activeVariant(layout, contents, 0);
  const body = variant && variant !== 'unknown' && variant.type ? stripQualifiers(variant.type) : undefined;
  if (!variant || variant === 'unknown' || !body || (body.kind !== 'struct' && body.kind !== 'union')) return list([]);
  const name = (m: Member): string => (m.name !== undefined && /^__\d+$/.test(m.name) ? m.name.slice(2) : m.name ?? '?');
  return list(body.members.map((m) => ({ name: name(m), value: value.part(m.type, variant.offset + m.byteOffset, { name: name(m) }) })));
}

function sliceElements(value: Value, type: CompositeType): ChildList {
  const pointer = type.members.find((m) => m.name === 'data_ptr')!;
  const length = type.members.find((m) => m.name === 'length')!;
  const contents = value.contents;
  const element = (() => {
    const p = pointer.type ? stripQualifiers(pointer.type) : undefined;
    return p?.kind === 'pointer' ? p.target : undefined;
  })();
  const size = byteSizeOf(element);
  if (!('bytes' in contents) || size === 0) return list([]);
  const lengthSize = byteSizeOf(length.type);
  const known = (m: Member, n: number): boolean => contents.known.subarray(m.byteOffset, m.byteOffset + n).every((b) => b === 0xff);
  if (!known(pointer, 8) || !known(length, lengthSize)) return list([]);
  const data = readInteger(contents.bytes, 8, false, pointer.byteOffset);
  const count = Number(readInteger(contents.bytes, lengthSize, false, length.byteOffset));
  return {
    count,
    children: (start, want) => {
      const first = Math.max(0, start);
      const end = Math.min(count, first + Math.max(0, want));
      const items: ValueChild[] = [];
      for (let i = first; i < end; i++) items.push({ name: `[${i}]`, value: memoryValue(value.scope, element, data + BigInt(i * size), { name: `[${i}]` }) });
      return items;
    },
  };
}
