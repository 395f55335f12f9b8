// Rust type names as gdb's Rust language prints them (`whatis`, the print prefix): paths for
// named types (`rust_hello::Point`, `core::option::Option<i32>`, `&str`, `(u8, char)`), `*mut T`
// for pointers and references (DWARF does not say which), `[T; N]` for arrays, `()` for unit.
import { rustTypeInfo } from './rust-types';
import type { TypeInfo } from './types';

/** The Rust name of a type read from a Rust unit; undefined for a C type. */
export function rustTypeName(type: TypeInfo): string | undefined {
  const info = rustTypeInfo(type);
  if (!info) return undefined;
  return nameOf(type, 0);
}

function nameOf(type: TypeInfo | undefined, depth: number): string {
  if (!type || depth > 32) return '()';
  const info = rustTypeInfo(type);
  switch (type.kind) {
    case 'base':
      return type.name;
    case 'struct':
    case 'union':
    case 'class':
    case 'enum':
      return info?.name ?? type.name ?? '?';
    case 'pointer':
      return `*mut ${nameOf(type.target, depth + 1)}`;
    case 'array':
      return type.counts.reduceRight((inner, count) => `[${inner}; ${count ?? 0}]`, nameOf(type.element, depth + 1));
    case 'function': {
      const params = type.parameters.map((p) => nameOf(p, depth + 1)).join(', ');
      return type.returnType ? `fn(${params}) -> ${nameOf(type.returnType, depth + 1)}` : `fn(${params})`;
    }
    case 'typedef':
      return type.name;
    case 'qualified':
      return nameOf(type.target, depth + 1);
    case 'void':
      return '()';
    case 'unknown':
      return type.name ?? '?';
  }
}
