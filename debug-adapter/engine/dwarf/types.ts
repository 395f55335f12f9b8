// C types from DWARF type DIEs (base, pointer, reference, typedef, const/volatile/restrict/atomic,
// array with bounds, struct/union/class with member offsets and bitfields, enum, subroutine,
// void), resolved once per DIE so recursive types (a struct pointing to itself) are one object
// graph. Names follow gdb's C printer (`const char *`, `int (*)(int, int)`, `struct point [3]`).
import { readOperation } from '../shared/dwarf-operations';
import { DW_AT, DW_ATE, DW_FORM, DW_OP, DW_TAG } from './constants';
import type { Die } from './die';
import { DwarfFormatError, hex } from './errors';
import { dwarfReader } from './reader';
import { isRustUnit } from './rust-names';
import { rustTypeName } from './rust-type-names';
import { describeRustType } from './rust-types';
import type { Unit } from './unit';

export type TypeInfo =
  | BaseType
  | PointerType
  | TypedefType
  | QualifiedType
  | ArrayType
  | CompositeType
  | EnumType
  | FunctionType
  | VoidType
  | UnknownType;

export interface BaseType {
  readonly kind: 'base';
  readonly name: string;
  /** DW_ATE_* encoding. */
  readonly encoding: number;
  readonly byteSize: number;
}

export interface PointerType {
  readonly kind: 'pointer';
  /** '*', or '&' / '&&' for C++ references. */
  readonly sigil: '*' | '&' | '&&';
  /** undefined: `void *`. */
  target: TypeInfo | undefined;
  readonly byteSize: number;
}

export interface TypedefType {
  readonly kind: 'typedef';
  readonly name: string;
  target: TypeInfo | undefined;
}

export interface QualifiedType {
  readonly kind: 'qualified';
  readonly qualifier: 'const' | 'volatile' | 'restrict' | '_Atomic';
  target: TypeInfo | undefined;
}

export interface ArrayType {
  readonly kind: 'array';
  element: TypeInfo | undefined;
  /** Element counts per dimension, outermost first; undefined for an unknown bound (`int []`). */
  readonly counts: ReadonlyArray<number | undefined>;
}

export interface Member {
  readonly name: string | undefined;
  readonly type: TypeInfo | undefined;
  /** Byte offset of the member (of its containing storage unit for bitfields). */
  readonly byteOffset: number;
  /** Bitfields: size in bits and offset in bits from the start of the struct. */
  readonly bitSize?: number;
  readonly bitOffset?: number;
}

export interface CompositeType {
  readonly kind: 'struct' | 'union' | 'class';
  readonly name: string | undefined;
  readonly byteSize: number;
  readonly members: Member[];
  /** Only declared (incomplete) here. */
  readonly declaration: boolean;
}

export interface EnumType {
  readonly kind: 'enum';
  readonly name: string | undefined;
  readonly byteSize: number;
  readonly enumerators: ReadonlyArray<{ readonly name: string; readonly value: bigint }>;
  readonly signed: boolean;
}

export interface FunctionType {
  readonly kind: 'function';
  returnType: TypeInfo | undefined;
  readonly parameters: TypeInfo[];
  readonly variadic: boolean;
  readonly prototyped: boolean;
}

export interface VoidType {
  readonly kind: 'void';
}

export interface UnknownType {
  readonly kind: 'unknown';
  readonly tag: number;
  readonly name: string | undefined;
}

const VOID: VoidType = { kind: 'void' };

/** Types that end a chain of type references: a cycle through one of them is a real C type. */
const COMPOSITE_TAGS: ReadonlySet<number> = new Set([DW_TAG.structure_type, DW_TAG.union_type, DW_TAG.class_type, DW_TAG.enumeration_type]);

/** Resolves type DIEs to TypeInfo, caching by DIE so cycles are shared objects. */
export class TypeResolver {
  private readonly cache = new Map<Die, TypeInfo>();
  /**
   * The pointer, typedef, qualifier, array and function DIEs being resolved since the last struct,
   * union or enum. A type may refer back to itself only through one of those (a list node's `next`):
   * a chain that returns to a DIE of its own, e.g. a pointer to itself, names no type and would send
   * every reader of the type round it forever.
   */
  private chain = new Set<Die>();

  /** The type named by a DIE's DW_AT_type (undefined when it has none: void). */
  typeOf(unit: Unit, die: Die): TypeInfo | undefined {
    const attr = die.attr(DW_AT.type);
    if (!attr) return undefined;
    const target = unit.reference(attr);
    if (!target) throw new DwarfFormatError(`DIE ${hex(die.offset)}: DW_AT_type does not reference a DIE`);
    return this.resolve(unit.unitOf(target), target);
  }

  resolve(unit: Unit, die: Die): TypeInfo {
    if (this.chain.has(die)) {
      throw new DwarfFormatError(`DIE ${hex(die.offset)}: its DW_AT_type chain comes back to it without passing a struct, union or enum`);
    }
    const cached = this.cache.get(die);
    if (cached) return cached;
    const composite = COMPOSITE_TAGS.has(die.tag);
    const outer = this.chain;
    if (composite) this.chain = new Set();
    else this.chain.add(die);
    let type: TypeInfo;
    try {
      type = this.resolveUncached(unit, die);
    } catch (error) {
      this.cache.delete(die); // half-built: resolving it again must fail again, not return a part
      throw error;
    } finally {
      if (composite) this.chain = outer;
      else this.chain.delete(die);
    }
    // Rust types keep their Rust facts (path name, enum variants) beside them, for printing.
    if (isRustUnit(unit)) describeRustType((u, d) => this.typeOf(u, d), unit, die, type);
    return type;
  }

  private resolveUncached(unit: Unit, die: Die): TypeInfo {
    // A declaration standing for a type in a type unit (-fdebug-types-section): use the definition.
    const signature = die.attr(DW_AT.signature);
    if (signature) {
      const definition = unit.reference(signature);
      if (definition && definition !== die) {
        const resolved = this.resolve(unit.unitOf(definition), definition);
        this.cache.set(die, resolved);
        return resolved;
      }
    }
    const name = unit.string(die.attr(DW_AT.name));
    const size = Number(unit.constant(die.attr(DW_AT.byte_size)) ?? 0n);
    switch (die.tag) {
      case DW_TAG.base_type: {
        const t: BaseType = { kind: 'base', name: canonicalBaseName(name ?? '?'), encoding: Number(unit.constant(die.attr(DW_AT.encoding)) ?? 0n), byteSize: size };
        return this.remember(die, t);
      }
      case DW_TAG.unspecified_type:
        return this.remember(die, name === 'void' || name === undefined ? VOID : { kind: 'unknown', tag: die.tag, name });
      case DW_TAG.pointer_type:
      case DW_TAG.reference_type:
      case DW_TAG.rvalue_reference_type: {
        const sigil = die.tag === DW_TAG.pointer_type ? '*' : die.tag === DW_TAG.reference_type ? '&' : '&&';
        const t: PointerType = { kind: 'pointer', sigil, target: undefined, byteSize: size || unit.addressSize };
        this.remember(die, t);
        t.target = this.typeOf(unit, die);
        return t;
      }
      case DW_TAG.typedef: {
        const t: TypedefType = { kind: 'typedef', name: name ?? '?', target: undefined };
        this.remember(die, t);
        t.target = refuseSelfHolding(die, t, this.typeOf(unit, die));
        return t;
      }
      case DW_TAG.const_type:
      case DW_TAG.volatile_type:
      case DW_TAG.restrict_type:
      case DW_TAG.atomic_type: {
        const qualifier = die.tag === DW_TAG.const_type ? 'const' : die.tag === DW_TAG.volatile_type ? 'volatile' : die.tag === DW_TAG.restrict_type ? 'restrict' : '_Atomic';
        const t: QualifiedType = { kind: 'qualified', qualifier, target: undefined };
        this.remember(die, t);
        t.target = refuseSelfHolding(die, t, this.typeOf(unit, die));
        return t;
      }
      case DW_TAG.array_type: {
        const counts = die.children.filter((c) => c.tag === DW_TAG.subrange_type || c.tag === DW_TAG.enumeration_type).map((c) => subrangeCount(unit, c));
        const t: ArrayType = { kind: 'array', element: undefined, counts: counts.length > 0 ? counts : [undefined] };
        this.remember(die, t);
        t.element = refuseSelfHolding(die, t, this.typeOf(unit, die));
        return t;
      }
      case DW_TAG.structure_type:
      case DW_TAG.union_type:
      case DW_TAG.class_type: {
        const kind = die.tag === DW_TAG.structure_type ? 'struct' : die.tag === DW_TAG.union_type ? 'union' : 'class';
        const t: CompositeType = { kind, name, byteSize: size, members: [], declaration: unit.flag(die.attr(DW_AT.declaration)) };
        this.remember(die, t);
        for (const child of die.children) {
          if (child.tag !== DW_TAG.member && child.tag !== DW_TAG.inheritance) continue;
          if (unit.flag(child.attr(DW_AT.external)) || unit.flag(child.attr(DW_AT.declaration))) continue; // static members
          const member = this.member(unit, child);
          if (containsByValue(member.type, t)) {
            throw new DwarfFormatError(`DIE ${hex(child.offset)}: member ${member.name ?? '(anonymous)'} of ${kind} ${name ?? '{...}'} contains the ${kind} itself by value`);
          }
          t.members.push(member);
        }
        return t;
      }
      case DW_TAG.enumeration_type: {
        const underlying = die.attr(DW_AT.type) ? this.typeOf(unit, die) : undefined;
        const base = underlying ? stripTypedefs(underlying) : undefined;
        const raw = die.children
          .filter((c) => c.tag === DW_TAG.enumerator)
          .map((c) => {
            const attr = c.attr(DW_AT.const_value);
            const isSigned = attr?.form === DW_FORM.sdata || attr?.form === DW_FORM.implicit_const;
            return { name: unit.string(c.attr(DW_AT.name)) ?? '?', value: unit.constant(attr) ?? 0n, isSigned, signedValue: unit.signedConstant(attr) ?? 0n };
          });
        // Signed when the underlying type is; without one, when a value is stored negative.
        const signed = base?.kind === 'base' ? base.encoding === DW_ATE.signed || base.encoding === DW_ATE.signed_char : raw.some((e) => e.isSigned && e.value < 0n);
        const values = raw.map((e) => ({ name: e.name, value: e.isSigned ? e.value : signed ? e.signedValue : e.value }));
        return this.remember(die, { kind: 'enum', name, byteSize: size, enumerators: values, signed });
      }
      case DW_TAG.subroutine_type: {
        const t: FunctionType = {
          kind: 'function',
          returnType: undefined,
          parameters: [],
          variadic: die.children.some((c) => c.tag === DW_TAG.unspecified_parameters),
          prototyped: unit.flag(die.attr(DW_AT.prototyped)),
        };
        this.remember(die, t);
        t.returnType = this.typeOf(unit, die);
        for (const c of die.children) if (c.tag === DW_TAG.formal_parameter) t.parameters.push(this.typeOf(unit, c) ?? VOID);
        return t;
      }
      default:
        return this.remember(die, { kind: 'unknown', tag: die.tag, name });
    }
  }

  private remember<T extends TypeInfo>(die: Die, type: T): T {
    this.cache.set(die, type);
    return type;
  }

  private member(unit: Unit, die: Die): Member {
    const name = unit.string(die.attr(DW_AT.name));
    const type = this.typeOf(unit, die);
    const location = die.attr(DW_AT.data_member_location);
    let byteOffset = 0;
    if (location) {
      const constant = unit.constant(location);
      if (constant !== undefined) byteOffset = Number(constant);
      else if (location.bytes && location.bytes[0] === DW_OP.plus_uconst) byteOffset = Number(readOperation(dwarfReader(location.bytes, 'DW_AT_data_member_location'), unit).a);
    }
    const bitSizeAttr = unit.constant(die.attr(DW_AT.bit_size));
    if (bitSizeAttr === undefined) return { name, type, byteOffset };
    const bitSize = Number(bitSizeAttr);
    const dataBitOffset = unit.constant(die.attr(DW_AT.data_bit_offset));
    if (dataBitOffset !== undefined) return { name, type, byteOffset: Number(dataBitOffset / 8n), bitSize, bitOffset: Number(dataBitOffset) };
    // DWARF 2/3 DW_AT_bit_offset: counted from the most significant bit of the storage unit.
    const storage = Number(unit.constant(die.attr(DW_AT.byte_size)) ?? BigInt(type ? byteSizeOf(type) : 4));
    const msbOffset = Number(unit.constant(die.attr(DW_AT.bit_offset)) ?? 0n);
    const bitOffset = byteOffset * 8 + storage * 8 - msbOffset - bitSize;
    return { name, type, byteOffset, bitSize, bitOffset };
  }
}

/**
 * Whether a value of `type` holds `container` inside it (through members, array elements, typedefs
 * and qualifiers; a pointer holds only an address). No C or Rust type can hold itself, and printing
 * one that did would never end.
 */
function containsByValue(type: TypeInfo | undefined, container: TypeInfo): boolean {
  const seen = new Set<TypeInfo>();
  const pending: (TypeInfo | undefined)[] = [type];
  while (pending.length > 0) {
    const t = pending.pop();
    if (!t || seen.has(t)) continue;
    if (t === container) return true;
    seen.add(t);
    switch (t.kind) {
      case 'typedef':
      case 'qualified':
        pending.push(t.target);
        break;
      case 'array':
        pending.push(t.element);
        break;
      case 'struct':
      case 'union':
      case 'class':
        for (const m of t.members) pending.push(m.type);
        break;
      default:
        break;
    }
  }
  return false;
}

/** `target`, unless a value of it holds `type` (the typedef, qualifier or array of `die`) again. */
function refuseSelfHolding(die: Die, type: TypeInfo, target: TypeInfo | undefined): TypeInfo | undefined {
  if (containsByValue(target, type)) {
    const what = type.kind === 'qualified' ? `${type.qualifier} type` : type.kind;
    throw new DwarfFormatError(`DIE ${hex(die.offset)}: the ${what}'s DW_AT_type holds the ${what} itself by value`);
  }
  return target;
}

const INTEGER_WORDS = new Set(['signed', 'unsigned', 'short', 'long', 'int', 'char']);

/**
 * gdb's canonical spelling of a C integer type name: gcc's `long unsigned int` is
 * `unsigned long`, `short int` is `short`, `long long int` is `long long`.
 */
export function canonicalBaseName(name: string): string {
  const words = name.trim().split(/\s+/);
  if (!words.every((w) => INTEGER_WORDS.has(w))) return name;
  const count = (w: string): number => words.filter((x) => x === w).length;
  const unsigned = count('unsigned') > 0;
  if (count('char') > 0) return unsigned ? 'unsigned char' : count('signed') > 0 ? 'signed char' : 'char';
  const longs = count('long');
  const size = longs >= 2 ? 'long long' : longs === 1 ? 'long' : count('short') > 0 ? 'short' : 'int';
  return unsigned ? `unsigned ${size}` : size;
}

function subrangeCount(unit: Unit, die: Die): number | undefined {
  const count = unit.constant(die.attr(DW_AT.count));
  if (count !== undefined) return Number(count);
  // Bounds are read with the signedness of the subrange's index type (unsigned by default).
  const indexType = unit.reference(die.attr(DW_AT.type));
  const encoding = indexType ? unit.constant(indexType.attr(DW_AT.encoding)) : undefined;
  const signed = encoding === BigInt(DW_ATE.signed) || encoding === BigInt(DW_ATE.signed_char);
  const read = (name: number): bigint | undefined => (signed ? unit.signedConstant(die.attr(name)) : unit.constant(die.attr(name)));
  const upper = read(DW_AT.upper_bound);
  if (upper === undefined) return undefined; // a flexible or variable-length array
  const lower = read(DW_AT.lower_bound) ?? 0n;
  return Number(upper - lower + 1n);
}

/** The type under any typedefs. */
export function stripTypedefs(type: TypeInfo): TypeInfo {
  let t: TypeInfo = type;
  for (let i = 0; i < 64 && t.kind === 'typedef' && t.target; i++) t = t.target;
  return t;
}

/** The type under typedefs and const/volatile/restrict/_Atomic qualifiers. */
export function stripQualifiers(type: TypeInfo): TypeInfo {
  let t: TypeInfo = type;
  for (let i = 0; i < 64 && (t.kind === 'typedef' || t.kind === 'qualified') && t.target; i++) t = t.target;
  return t;
}

/** Size in bytes of a value of the type (0 when unknown, e.g. void or an incomplete struct). */
export function byteSizeOf(type: TypeInfo | undefined): number {
  if (!type) return 0;
  switch (type.kind) {
    case 'base':
    case 'enum':
    case 'pointer':
    case 'struct':
    case 'union':
    case 'class':
      return type.byteSize;
    case 'typedef':
    case 'qualified':
      return byteSizeOf(type.target);
    case 'array': {
      const element = byteSizeOf(type.element);
      return type.counts.reduce<number>((n, c) => n * (c ?? 0), element);
    }
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Names, as gdb's C type printer writes them

function tagName(type: CompositeType | EnumType): string {
  return type.name !== undefined ? `${type.kind} ${type.name}` : `${type.kind} {...}`;
}

/**
 * The name of a type with an optional declarator (`typeName(int[3], 'x')` is `int x[3]`), in
 * gdb's spelling: `const char *`, `char * const`, `int (*)(int, int)`, `struct point [3]`.
 */
export function typeName(type: TypeInfo | undefined, declarator = ''): string {
  const join = (base: string, inner: string): string => (inner === '' ? base : `${base} ${inner}`);
  if (!type) return join('void', declarator);
  const rust = rustTypeName(type);
  if (rust !== undefined) return join(rust, declarator);
  switch (type.kind) {
    case 'base':
    case 'typedef':
      return join(type.name, declarator);
    case 'void':
      return join('void', declarator);
    case 'unknown':
      return join(type.name ?? '<unknown type>', declarator);
    case 'struct':
    case 'union':
    case 'class':
    case 'enum':
      return join(tagName(type), declarator);
    case 'pointer': {
      const target = type.target;
      const inner = `${type.sigil}${declarator}`;
      if (target && (target.kind === 'array' || target.kind === 'function')) return typeName(target, `(${inner})`);
      return typeName(target, inner);
    }
    case 'qualified': {
      const target = type.target;
      // C has no qualified arrays: the qualifier belongs to the elements (gdb spells it so).
      if (target && target.kind === 'array') return typeName({ ...target, element: withQualifier(target.element, type.qualifier) }, declarator);
      if (target && target.kind === 'pointer') {
        // Qualifiers of the pointer itself follow the star: `char * const p`.
        const inner = `${target.sigil} ${type.qualifier}${declarator === '' ? '' : ` ${declarator}`}`;
        if (target.target && (target.target.kind === 'array' || target.target.kind === 'function')) return typeName(target.target, `(${inner})`);
        return typeName(target.target, inner);
      }
      return `${type.qualifier} ${typeName(target, declarator)}`;
    }
    case 'array': {
      const dims = type.counts.map((c) => `[${c ?? ''}]`).join('');
      return typeName(type.element, `${declarator}${dims}`);
    }
    case 'function': {
      const params = type.parameters.map((p) => typeName(p)).join(', ');
      const list = type.variadic ? (params === '' ? '...' : `${params}, ...`) : params === '' ? (type.prototyped ? 'void' : '') : params;
      return typeName(type.returnType, `${declarator}(${list})`);
    }
  }
}

function withQualifier(type: TypeInfo | undefined, qualifier: QualifiedType['qualifier']): TypeInfo {
  for (let t = type; t?.kind === 'qualified'; t = t.target) if (t.qualifier === qualifier) return type as TypeInfo;
  return { kind: 'qualified', qualifier, target: type };
}

/**
 * gdb's `ptype`: the type with typedefs at its core resolved, and a struct, union or enum there
 * spelled out (members keep their type names). Qualifiers of a void core are dropped, as gdb does.
 */
export function ptype(type: TypeInfo | undefined): string {
  const marker = '\u0000';
  let body: string | undefined;
  const substitute = (t: TypeInfo | undefined): TypeInfo | undefined => {
    if (!t) return { kind: 'unknown', tag: 0, name: (body = 'void', marker) };
    switch (t.kind) {
      case 'typedef':
        return substitute(t.target);
      case 'qualified': {
        const inner = substitute(t.target);
        return body === 'void' && isMarker(inner) ? inner : { ...t, target: inner };
      }
      case 'pointer':
        return { ...t, target: substitute(t.target) };
      case 'array':
        return { ...t, element: substitute(t.element) };
      case 'struct':
      case 'union':
      case 'class':
        body = compositeBody(t, '');
        return { kind: 'unknown', tag: 0, name: marker };
      case 'enum':
        body = enumBody(t);
        return { kind: 'unknown', tag: 0, name: marker };
      case 'void':
        body = 'void';
        return { kind: 'unknown', tag: 0, name: marker };
      default:
        return t;
    }
  };
  const shape = substitute(type);
  const spelled = typeName(shape);
  return body === undefined ? spelled : spelled.replace(marker, body);
}

function isMarker(t: TypeInfo | undefined): boolean {
  return t?.kind === 'unknown' && t.name === '\u0000';
}

function enumBody(type: EnumType): string {
  let expected = 0n;
  const parts = type.enumerators.map((e) => {
    const text = e.value === expected ? e.name : `${e.name} = ${e.value}`;
    expected = e.value + 1n;
    return text;
  });
  return `${type.name !== undefined ? `enum ${type.name} ` : 'enum '}{${parts.join(', ')}}`;
}

function compositeBody(type: CompositeType, indent: string): string {
  const head = type.name !== undefined ? `${type.kind} ${type.name} ` : `${type.kind} `;
  if (type.declaration && type.members.length === 0) return `${head}{\n${indent}    <incomplete type>\n${indent}}`;
  const lines = type.members.map((m) => {
    const memberCore = m.type ? stripToAnonymous(m.type) : undefined;
    let text: string;
    if (memberCore && (memberCore.kind === 'struct' || memberCore.kind === 'union') && memberCore.name === undefined) {
      // Anonymous structs and unions are spelled out inline.
      text = `${compositeBody(memberCore, `${indent}    `)}${m.name !== undefined ? ` ${m.name}` : ''}`;
    } else if (memberCore && memberCore.kind === 'enum' && memberCore.name === undefined) {
      text = `${enumBody(memberCore)}${m.name !== undefined ? ` ${m.name}` : ''}`;
    } else {
      text = typeName(m.type, m.name ?? '');
    }
    if (m.bitSize !== undefined) text += ` : ${m.bitSize}`;
    return `${indent}    ${text};`;
  });
  return `${head}{\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}${indent}}`;
}

function stripToAnonymous(type: TypeInfo): TypeInfo {
  return type.kind === 'qualified' && type.target ? stripToAnonymous(type.target) : type;
}
