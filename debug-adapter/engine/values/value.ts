// A typed object of a stopped machine: its type, its bytes (read lazily, with known/unknown bytes)
// and where it lives: in memory, in a DWARF register, or nowhere (computed, optimized out, pieces).
// Everything a variables view, hover or watch needs: gdb's `print` text, the type name, children,
// a memory reference, the lvalue for data breakpoints, and assignment.
import { byteSizeOf, readObject, typeName, type Location, type ObjectBytes, type ReadFailure, type TypeInfo, type Variable } from '../dwarf';
import { assignValue } from './assign';
import { childCount, childrenOf, type ValueChild } from './children';
import { coreType, integerShape } from './c-types';
import { EvaluationError } from './errors';
import { failureText, printText } from './format';
import { integerBytes, readInteger } from './scalars';
import type { EvaluationScope } from './scope';

export type ValueLocation =
  | { readonly kind: 'memory'; readonly address: bigint }
  /**
   * A register from `byteOffset`: by DWARF number through the frame, or (a $register) by the
   * scope's name for it (`registerName`, e.g. `rax` for $eax); `regno` is what writes use.
   */
  | { readonly kind: 'register'; readonly regno: number; readonly byteOffset: number; readonly registerName?: string }
  /** Not an lvalue: the result of an operator, a literal, a DWARF computed value or constant. */
  | { readonly kind: 'computed' }
  /** Assembled from pieces in several registers and memory (DW_OP_piece): not an lvalue. */
  | { readonly kind: 'pieces' }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** A bitfield: `bitSize` bits starting `bitOffset` bits into the bytes at the location. */
export interface BitField {
  readonly bitOffset: number;
  readonly bitSize: number;
}

export type Contents = ObjectBytes | ReadFailure;

export interface ValueInit {
  readonly type: TypeInfo | undefined;
  readonly location: ValueLocation;
  /** The bytes, or how to read them when first needed. */
  readonly contents: Contents | (() => Contents);
  /** A C expression that evaluates to this value (`p->corners[1].x`), when there is one. */
  readonly expression?: string;
  /** What a variables view calls it: `x`, `[2]`, `*p`; by default the expression. */
  readonly name?: string;
  readonly bitField?: BitField;
  /** The variable this value is, for gdb's "Address requested for identifier" message. */
  readonly variableName?: string;
  /** How members of this value are spelled: `p->` for the pointee of `p`; by default `expression.`. */
  readonly memberPrefix?: string;
}

export class Value {
  readonly type: TypeInfo | undefined;
  readonly location: ValueLocation;
  readonly expression: string | undefined;
  readonly name: string | undefined;
  readonly bitField: BitField | undefined;
  readonly variableName: string | undefined;
  private readonly load: () => Contents;
  private loaded?: Contents;
  private readonly explicitMemberPrefix: string | undefined;

  constructor(
    readonly scope: EvaluationScope,
    init: ValueInit,
  ) {
    this.type = init.type;
    this.location = init.location;
    this.expression = init.expression;
    this.name = init.name ?? init.expression;
    this.bitField = init.bitField;
    this.variableName = init.variableName;
    this.explicitMemberPrefix = init.memberPrefix;
    const contents = init.contents;
    if (typeof contents === 'function') this.load = contents;
    else {
      this.loaded = contents;
      this.load = () => contents;
    }
  }

  /** The bytes (read on first use), or why they cannot be read. */
  get contents(): Contents {
    this.loaded ??= this.load();
    return this.loaded;
  }

  /** The bytes, or an EvaluationError saying why there are none (gdb's wording). */
  object(): ObjectBytes {
    const contents = this.contents;
    if ('bytes' in contents) return contents;
    if (contents.kind === 'error') throw new EvaluationError(contents.reason);
    if (contents.reason === 'not saved') throw new EvaluationError('value is not available');
    throw new EvaluationError('value has been optimized out');
  }

  /** As gdb's `print` shows it (without `$1 = `); `<optimized out>` or `<error: ...>` when unreadable. */
  get text(): string {
    const contents = this.contents;
    if (!('bytes' in contents)) return failureText(contents);
    return printText(this.type, contents, this.scope.info.formatEnvironment(this.scope.frame));
  }

  /** gdb's `whatis`: `const struct shape *`, `int [12]`, `void`. */
  get typeName(): string {
    return typeName(this.type);
  }

  get size(): number {
    return byteSizeOf(this.type);
  }

  /** For a pointer, the address it holds; for an object in memory, its address; otherwise undefined. */
  get memoryReference(): bigint | undefined {
    if (coreType(this.type).kind === 'pointer') {
      const contents = this.contents;
      if (!('bytes' in contents) || contents.known.length < 8 || contents.known.subarray(0, 8).some((b) => b !== 0xff)) return undefined;
      return readInteger(contents.bytes, 8, false);
    }
    return this.location.kind === 'memory' ? this.location.address : undefined;
  }

  /** Where the value lives in memory, for a data breakpoint; undefined when not in memory. */
  get dataLocation(): { readonly address: bigint; readonly size: number } | undefined {
    if (this.location.kind !== 'memory') return undefined;
    const size = this.bitField ? Math.ceil((this.bitField.bitOffset + this.bitField.bitSize) / 8) : this.size;
    return size > 0 ? { address: this.location.address, size } : undefined;
  }

  /** The prefix children's member expressions start with (`s.`, `p->`), if the value has an expression. */
  get memberPrefix(): string | undefined {
    if (this.explicitMemberPrefix !== undefined) return this.explicitMemberPrefix;
    return this.expression === undefined ? undefined : `${postfixOperand(this.expression)}.`;
  }

  /** How many children a variables view shows (members, elements, or the pointee), without reading them. */
  get childCount(): number {
    return childCount(this);
  }

  /** Children `start` to `start + count - 1`; an unreadable child says why in its text, never throws. */
  children(start = 0, count = Number.POSITIVE_INFINITY): ValueChild[] {
    return childrenOf(this, start, count);
  }

  /**
   * Evaluates `text` in the value's scope, converts it to this value's (scalar) type and writes it
   * to memory or the register; returns the value as read back. Throws EvaluationError when it
   * cannot: an aggregate, not an lvalue, or a read-only target.
   */
  assign(text: string): Value {
    return assignValue(this, text);
  }

  /** The same value under another name and expression (e.g. the text a user evaluated). */
  named(name: string, expression: string | undefined = name): Value {
    return new Value(this.scope, {
      type: this.type,
      location: this.location,
      contents: () => this.contents,
      bitField: this.bitField,
      variableName: this.variableName,
      expression,
      name,
      // Keep `p->` for the members of `*p` while the expression is unchanged.
      memberPrefix: expression === this.expression ? this.explicitMemberPrefix : undefined,
    });
  }

  /** The same bytes and place seen as another type of the same size (a cast between identical structs). */
  retyped(type: TypeInfo | undefined): Value {
    return new Value(this.scope, { type, location: this.location, contents: () => this.contents, expression: this.expression, name: this.name });
  }

  /** The value read again from where it lives (after a write); a value that lives nowhere is returned as is. */
  reread(): Value {
    const location = this.location;
    if (location.kind !== 'memory' && location.kind !== 'register') return this;
    const span = this.bitField ? Math.ceil((this.bitField.bitOffset + this.bitField.bitSize) / 8) : this.size;
    const raw = location.kind === 'memory' ? readObject({ kind: 'memory', address: location.address }, span, this.scope.frame) : readRegisterBytes(this.scope, location, span);
    const bitField = this.bitField;
    const contents = bitField ? extractBitField(raw, bitField, this.type) : raw;
    return new Value(this.scope, { type: this.type, location, contents, bitField, expression: this.expression, name: this.name, variableName: this.variableName, memberPrefix: this.explicitMemberPrefix });
  }

  /**
   * The part of this value `byteOffset` bytes in with type `type`: a member or an element. Read
   * from memory directly when this value lives there and its bytes were not read (or the part
   * lies outside them), else cut out of this value's bytes.
   */
  part(type: TypeInfo | undefined, byteOffset: number, options: Omit<ValueInit, 'type' | 'location' | 'contents'> = {}): Value {
    const bitField = options.bitField;
    const span = bitField ? Math.ceil((bitField.bitOffset + bitField.bitSize) / 8) : byteSizeOf(type);
    const location = offsetLocation(this.location, byteOffset);
    const raw = (): Contents => {
      // A part of an unreadable object may itself be readable (the object straddles a page).
      const inside = byteOffset >= 0 && byteOffset + span <= this.size;
      const loadedBytes = this.loaded !== undefined && 'bytes' in this.loaded;
      if (location.kind === 'memory' && (!loadedBytes || !inside)) return readObject({ kind: 'memory', address: location.address }, span, this.scope.frame);
      return sliceContents(this.contents, byteOffset, span);
    };
    const contents = bitField ? (): Contents => extractBitField(raw(), bitField, type) : raw;
    return new Value(this.scope, { ...options, type, location, contents });
  }
}

/** `size` bytes of a register location: the register's value from `byteOffset` up. */
export function readRegisterBytes(scope: EvaluationScope, location: Extract<ValueLocation, { kind: 'register' }>, size: number): Contents {
  const full = location.registerName !== undefined ? scope.readRegister(location.registerName) : scope.frame.readRegister(location.regno);
  if (full === undefined) return { kind: 'unavailable', reason: 'not saved' };
  return { bytes: integerBytes(full >> BigInt(8 * location.byteOffset), size), known: new Uint8Array(size).fill(0xff) };
}

function offsetLocation(location: ValueLocation, byteOffset: number): ValueLocation {
  if (location.kind === 'memory') return { kind: 'memory', address: BigInt.asUintN(64, location.address + BigInt(byteOffset)) };
  if (location.kind === 'register') return { ...location, byteOffset: location.byteOffset + byteOffset };
  return location;
}

function sliceContents(contents: Contents, offset: number, size: number): Contents {
  if (!('bytes' in contents)) return contents;
  if (offset < 0 || offset + size > contents.bytes.length) return { kind: 'error', reason: 'no such vector element' };
  return {
    bytes: contents.bytes.subarray(offset, offset + size),
    known: contents.known.subarray(offset, offset + size),
    synthetic: contents.synthetic?.subarray(offset, offset + size),
    address: contents.address !== undefined ? contents.address + BigInt(offset) : undefined,
  };
}

/** A bitfield's bits as a value of its declared type (sign-extended when the type is signed). */
function extractBitField(contents: Contents, field: BitField, type: TypeInfo | undefined): Contents {
  if (!('bytes' in contents)) return contents;
  for (let bit = field.bitOffset; bit < field.bitOffset + field.bitSize; bit++) {
    if (((contents.known[bit >> 3] >> (bit & 7)) & 1) === 0) return { kind: 'unavailable', reason: 'optimized out' };
  }
  const raw = readInteger(contents.bytes, contents.bytes.length, false);
  const bits = (raw >> BigInt(field.bitOffset)) & ((1n << BigInt(field.bitSize)) - 1n);
  const value = integerShape(type).signed ? BigInt.asIntN(field.bitSize, bits) : bits;
  const size = Math.max(byteSizeOf(type), 1);
  return { bytes: integerBytes(value, size), known: new Uint8Array(size).fill(0xff) };
}

/** `expression` ready for a postfix operator (`.x`, `[0]`): parenthesised unless already a primary/postfix chain. */
export function postfixOperand(expression: string): string {
  return /^[A-Za-z_$][\w$]*(?:(?:\.|->)[A-Za-z_]\w*|\[-?\d+\])*$/.test(expression) ? expression : `(${expression})`;
}

/** `expression` ready for a prefix operator (`*`, `&`). */
export function prefixOperand(expression: string): string {
  return /^[*&]*[A-Za-z_$][\w$]*(?:(?:\.|->)[A-Za-z_]\w*|\[-?\d+\])*$/.test(expression) ? expression : `(${expression})`;
}

/** A value with known bytes that lives nowhere (an operator's result, a literal). */
export function computedValue(scope: EvaluationScope, type: TypeInfo | undefined, bytes: Uint8Array): Value {
  return new Value(scope, { type, location: { kind: 'computed' }, contents: { bytes, known: new Uint8Array(bytes.length).fill(0xff) } });
}

/** An integer, pointer or enum value computed from `value` (truncated to the type's width). */
export function integerValue(scope: EvaluationScope, type: TypeInfo | undefined, value: bigint): Value {
  return computedValue(scope, type, integerBytes(value, Math.max(byteSizeOf(type), 1)));
}

/** The object of `type` at `address`, read when first needed. */
export function memoryValue(scope: EvaluationScope, type: TypeInfo | undefined, address: bigint, options: Omit<ValueInit, 'type' | 'location' | 'contents'> = {}): Value {
  const location: ValueLocation = { kind: 'memory', address: BigInt.asUintN(64, address) };
  return new Value(scope, { ...options, type, location, contents: () => readObject({ kind: 'memory', address: location.address }, byteSizeOf(type), scope.frame) });
}

function locationOf(location: Location | undefined): ValueLocation {
  switch (location?.kind) {
    case 'memory':
      return { kind: 'memory', address: location.address };
    case 'register':
      return { kind: 'register', regno: location.regno, byteOffset: 0 };
    case 'composite':
      return { kind: 'pieces' };
    case 'value':
    case 'bytes':
      return { kind: 'computed' };
    case 'unavailable':
      return { kind: 'unavailable', reason: location.reason };
    case 'implicitPointer':
      return { kind: 'unavailable', reason: 'synthetic pointer' };
    case undefined:
      return { kind: 'unavailable', reason: 'no location' };
  }
}

/** A variable's value in the scope's frame (located and read by the DWARF engine). */
export function variableValue(scope: EvaluationScope, variable: Variable): Value {
  const result = scope.info.variableValue(variable, scope.frame);
  const location = locationOf(result.location);
  const contents: Contents = result.object ?? {
    kind: result.text.startsWith('<error:') ? 'error' : 'unavailable',
    reason: result.location?.kind === 'implicitPointer' ? 'synthetic pointer' : (result.unavailable ?? 'optimized out'),
  };
  return new Value(scope, { type: variable.type, location, contents, expression: variable.name, variableName: variable.name });
}
