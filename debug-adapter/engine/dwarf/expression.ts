// DWARF expression evaluation (DWARF 2-5 and the GNU extensions gcc emits) to a location
// description: memory, register, computed value (DW_OP_stack_value), literal bytes
// (DW_OP_implicit_value), implicit pointer, pieces, or "unavailable" with a reason. The machine
// state comes through EvaluationContext, so the same code serves a live VM, a core file and tests.
import { CONSTANT_OPERATIONS, readOperation } from '../shared/dwarf-operations';
import { DW_OP, registerName } from './constants';
import { DwarfFormatError, hex } from './errors';
import { dwarfReader, type ByteReader } from './reader';

/** Where registers and memory come from. Registers are DWARF register numbers (x86-64 psABI). */
export interface EvaluationContext {
  /** A register's value; vector registers (xmm0-15, DWARF 17-32) as their full 128-bit value. */
  readRegister(dwarfRegNo: number): bigint | undefined;
  readMemory(address: bigint, length: number): Uint8Array | undefined;
  /** The frame base (DW_AT_frame_base) if the caller computed it. */
  frameBase?: bigint;
  /** The canonical frame address of the frame (from CFI), needed by DW_OP_call_frame_cfa. */
  cfa?: bigint;
}

/** What the expression needs from the debug information around it. */
export interface ExpressionEnvironment {
  readonly addressSize: number;
  /** Added to DW_OP_addr/DW_OP_addrx addresses (runtime minus link-time address). */
  readonly loadBias?: bigint;
  /** The frame base, evaluated on demand from the function's DW_AT_frame_base. */
  frameBase?(): bigint | Unavailable;
  /** Entry of the unit's .debug_addr table (DW_OP_addrx, DW_OP_constx). */
  indexedAddress?(index: bigint): bigint;
  /** Base type DIE at a unit offset (DW_OP_const_type, regval_type, deref_type, convert). */
  baseType?(unitOffset: number): TypedInfo | undefined;
  /** The location expression of a DIE (DW_OP_call2/call4/call_ref). */
  callExpression?(unitOffset: number, absolute: boolean): Uint8Array | undefined;
  /** True when the frame's pc is the function's entry (DW_OP_entry_value of a register is then the register). */
  readonly atFunctionEntry?: boolean;
  /** Resolves DW_OP_entry_value(<expr>) another way (e.g. through the caller's call site). */
  entryValue?(expression: Uint8Array): bigint | Unavailable;
  /** DW_OP_push_object_address. */
  readonly objectAddress?: bigint;
}

export interface TypedInfo {
  readonly size: number;
  readonly signed: boolean;
  readonly float: boolean;
}

export interface Unavailable {
  readonly kind: 'unavailable';
  readonly reason: string;
}

export type SimpleLocation =
  | { readonly kind: 'memory'; readonly address: bigint }
  | { readonly kind: 'register'; readonly regno: number }
  /** DW_OP_stack_value: the value itself (little-endian, `size` bytes when typed). */
  | { readonly kind: 'value'; readonly value: bigint; readonly size?: number }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  /** DW_OP_implicit_pointer: points into the value of another DIE that has no address. */
  | { readonly kind: 'implicitPointer'; readonly die: number; readonly offset: bigint };

export interface Piece {
  /** undefined: this part of the object is optimized out. */
  readonly location: SimpleLocation | undefined;
  readonly sizeBits: number;
  /** DW_OP_bit_piece offset within the source location. */
  readonly offsetBits: number;
}

export type Location = SimpleLocation | { readonly kind: 'composite'; readonly pieces: readonly Piece[] } | Unavailable;

const MASK64 = (1n << 64n) - 1n;
const GENERIC: TypedInfo = { size: 8, signed: false, float: false };

interface Entry {
  value: bigint;
  type: TypedInfo;
}

export class ExpressionError extends Error {}

function unavailable(reason: string): Unavailable {
  return { kind: 'unavailable', reason };
}

function mask(value: bigint, type: TypedInfo): bigint {
  return BigInt.asUintN(type.size * 8, value);
}

function asSigned(entry: Entry): bigint {
  return BigInt.asIntN(entry.type.size * 8, entry.value);
}

function littleEndian(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/**
 * Evaluates a DWARF expression. `initialStack` seeds the stack (e.g. the object address for
 * DW_AT_data_member_location). Malformed expressions throw DwarfFormatError; anything the state
 * cannot answer (a register or memory that cannot be read, an entry value) gives `unavailable`.
 */
export function evaluateExpression(
  expression: Uint8Array,
  ctx: EvaluationContext,
  env: ExpressionEnvironment,
  initialStack: readonly bigint[] = [],
): Location {
  try {
    return run(expression, ctx, env, initialStack.map((value) => ({ value, type: GENERIC })), 0);
  } catch (error) {
    if (error instanceof ExpressionError) return unavailable(error.message);
    throw error;
  }
}

function run(expression: Uint8Array, ctx: EvaluationContext, env: ExpressionEnvironment, stack: Entry[], depth: number): Location {
  if (depth > 8) throw new ExpressionError('DW_OP_call nesting is too deep');
  if (expression.length === 0) return unavailable('optimized out (empty location)');
  const r = dwarfReader(expression, 'DWARF expression');
  const bias = env.loadBias ?? 0n;
  const pieces: Piece[] = [];
  let register: number | undefined;
  let stackValue = false;
  let implicit: SimpleLocation | undefined;

  const pop = (): Entry => {
    const e = stack.pop();
    if (!e) throw new DwarfFormatError(`DWARF expression: stack underflow at offset ${hex(r.pos)}`);
    return e;
  };
  const push = (value: bigint, type: TypedInfo = GENERIC): void => void stack.push({ value: mask(value, type), type });
  const regValue = (regno: number): bigint => {
    const v = ctx.readRegister(regno);
    if (v === undefined) throw new ExpressionError(`register ${registerName(regno)} is not available`);
    return v;
  };
  const memory = (address: bigint, size: number): bigint => {
    const bytes = ctx.readMemory(address, size);
    if (!bytes || bytes.length < size) throw new ExpressionError(`Cannot access memory at address ${hex(address)}`);
    return littleEndian(bytes.subarray(0, size));
  };
  const typeAt = (offset: number): TypedInfo => {
    if (offset === 0) return GENERIC;
    const t = env.baseType?.(offset);
    if (!t) throw new ExpressionError(`base type at unit offset ${hex(offset)} is not available`);
    return t;
  };
  const binary = (fn: (a: Entry, b: Entry) => bigint): void => {
    const b = pop();
    const a = pop();
    push(fn(a, b), a.type);
  };
  const compare = (fn: (a: bigint, b: bigint) => boolean): void => {
    const b = pop();
    const a = pop();
    const signed = a.type === GENERIC || a.type.signed;
    const x = signed ? asSigned(a) : a.value;
    const y = signed ? asSigned(b) : b.value;
    push(fn(x, y) ? 1n : 0n);
  };
  const finishPiece = (sizeBits: number, offsetBits: number): void => {
    let location: SimpleLocation | undefined;
    if (register !== undefined) location = { kind: 'register', regno: register };
    else if (implicit) location = implicit;
    else if (stackValue) {
      const e = pop();
      location = { kind: 'value', value: e.value, size: e.type === GENERIC ? undefined : e.type.size };
    } else if (stack.length > 0) location = { kind: 'memory', address: pop().value };
    pieces.push({ location, sizeBits, offsetBits });
    register = undefined;
    implicit = undefined;
    stackValue = false;
  };

  while (!r.atEnd()) {
    const { op, at, a, b, block } = readOperation(r, env);
    if (register !== undefined && op !== DW_OP.piece && op !== DW_OP.bit_piece) {
      throw new DwarfFormatError(`DWARF expression: ${hex(op)} after a register location at offset ${hex(at)}`);
    }
    if ((op >= DW_OP.lit0 && op <= DW_OP.lit31) || CONSTANT_OPERATIONS.has(op)) {
      push(a);
      continue;
    }
    if (op >= DW_OP.reg0 && op <= DW_OP.reg31) {
      register = Number(a);
      continue;
    }
    if (op >= DW_OP.breg0 && op <= DW_OP.breg31) {
      push(regValue(Number(a)) + b);
      continue;
    }
    switch (op) {
      case DW_OP.addr:
        push(a + bias);
        break;
      case DW_OP.addrx:
      case DW_OP.GNU_addr_index:
      case DW_OP.constx:
      case DW_OP.GNU_const_index: {
        if (!env.indexedAddress) throw new ExpressionError('DW_OP_addrx needs .debug_addr');
        const value = env.indexedAddress(a);
        push(op === DW_OP.addrx || op === DW_OP.GNU_addr_index ? value + bias : value);
        break;
      }
      case DW_OP.deref:
        push(memory(pop().value, env.addressSize));
        break;
      case DW_OP.deref_size:
        push(memory(pop().value, Number(a)));
        break;
      case DW_OP.deref_type:
      case DW_OP.GNU_deref_type: {
        const type = typeAt(Number(b));
        push(memory(pop().value, Number(a)), type);
        break;
      }
      case DW_OP.const_type:
      case DW_OP.GNU_const_type: {
        const type = typeAt(Number(a));
        const bytes = block as Uint8Array;
        const value = littleEndian(bytes);
        const size = Math.max(bytes.length, 1);
        stack.push({ value: mask(value, { ...type, size }), type: { ...type, size } });
        break;
      }
      case DW_OP.regval_type:
      case DW_OP.GNU_regval_type: {
        const type = typeAt(Number(b));
        push(regValue(Number(a)), type);
        break;
      }
      case DW_OP.dup: {
        const e = pop();
        stack.push(e, { ...e });
        break;
      }
      case DW_OP.drop:
        pop();
        break;
      case DW_OP.over: {
        if (stack.length < 2) throw new DwarfFormatError('DWARF expression: DW_OP_over needs two entries');
        stack.push({ ...stack[stack.length - 2] });
        break;
      }
      case DW_OP.pick: {
        const index = Number(a);
        if (index >= stack.length) throw new DwarfFormatError(`DWARF expression: DW_OP_pick ${index} past the stack`);
        stack.push({ ...stack[stack.length - 1 - index] });
        break;
      }
      case DW_OP.swap: {
        const y = pop();
        const x = pop();
        stack.push(y, x);
        break;
      }
      case DW_OP.rot: {
        const z = pop();
        const y = pop();
        const x = pop();
        stack.push(z, x, y);
        break;
      }
      case DW_OP.abs: {
        const e = pop();
        const v = asSigned(e);
        push(v < 0n ? -v : v, e.type);
        break;
      }
      case DW_OP.neg: {
        const e = pop();
        push(-asSigned(e), e.type);
        break;
      }
      case DW_OP.not: {
        const e = pop();
        push(~e.value, e.type);
        break;
      }
      case DW_OP.and:
        binary((x, y) => x.value & y.value);
        break;
      case DW_OP.or:
        binary((x, y) => x.value | y.value);
        break;
      case DW_OP.xor:
        binary((x, y) => x.value ^ y.value);
        break;
      case DW_OP.plus:
        binary((x, y) => x.value + y.value);
        break;
      case DW_OP.minus:
        binary((x, y) => x.value - y.value);
        break;
      case DW_OP.mul:
        binary((x, y) => x.value * y.value);
        break;
      case DW_OP.div:
        binary((x, y) => {
          if (y.value === 0n) throw new ExpressionError('division by zero in a DWARF expression');
          const signed = x.type === GENERIC || x.type.signed;
          return signed ? asSigned(x) / asSigned(y) : x.value / y.value;
        });
        break;
      case DW_OP.mod:
        binary((x, y) => {
          if (y.value === 0n) throw new ExpressionError('division by zero in a DWARF expression');
          return x.type !== GENERIC && x.type.signed ? asSigned(x) % asSigned(y) : x.value % y.value;
        });
        break;
      case DW_OP.plus_uconst: {
        const e = pop();
        push(e.value + a, e.type);
        break;
      }
      case DW_OP.shl:
        binary((x, y) => (y.value >= BigInt(x.type.size * 8) ? 0n : x.value << y.value));
        break;
      case DW_OP.shr:
        binary((x, y) => (y.value >= BigInt(x.type.size * 8) ? 0n : x.value >> y.value));
        break;
      case DW_OP.shra:
        binary((x, y) => asSigned(x) >> (y.value > 127n ? 127n : y.value));
        break;
      case DW_OP.eq:
        compare((x, y) => x === y);
        break;
      case DW_OP.ne:
        compare((x, y) => x !== y);
        break;
      case DW_OP.lt:
        compare((x, y) => x < y);
        break;
      case DW_OP.le:
        compare((x, y) => x <= y);
        break;
      case DW_OP.gt:
        compare((x, y) => x > y);
        break;
      case DW_OP.ge:
        compare((x, y) => x >= y);
        break;
      case DW_OP.skip:
        r.pos = jump(r, a);
        break;
      case DW_OP.bra:
        if (pop().value !== 0n) r.pos = jump(r, a);
        break;
      case DW_OP.regx:
        register = Number(a);
        break;
      case DW_OP.bregx:
        push(regValue(Number(a)) + b);
        break;
      case DW_OP.fbreg: {
        const base = ctx.frameBase ?? env.frameBase?.();
        if (base === undefined) throw new ExpressionError('the frame base is not known');
        if (typeof base !== 'bigint') throw new ExpressionError(`frame base: ${base.reason}`);
        push(base + a);
        break;
      }
      case DW_OP.call_frame_cfa:
        if (ctx.cfa === undefined) throw new ExpressionError('the canonical frame address (CFA) is not known');
        push(ctx.cfa);
        break;
      case DW_OP.piece:
        finishPiece(Number(a) * 8, 0);
        break;
      case DW_OP.bit_piece:
        finishPiece(Number(a), Number(b));
        break;
      case DW_OP.stack_value:
        stackValue = true;
        break;
      case DW_OP.implicit_value:
        implicit = { kind: 'bytes', bytes: block as Uint8Array };
        break;
      case DW_OP.implicit_pointer:
      case DW_OP.GNU_implicit_pointer:
        implicit = { kind: 'implicitPointer', die: Number(a), offset: b };
        break;
      case DW_OP.entry_value:
      case DW_OP.GNU_entry_value: {
        const inner = block as Uint8Array;
        const regOp = inner.length === 1 && inner[0] >= DW_OP.reg0 && inner[0] <= DW_OP.reg31 ? inner[0] - DW_OP.reg0 : undefined;
        if (regOp !== undefined && env.atFunctionEntry) {
          push(regValue(regOp));
          break;
        }
        const recovered = env.entryValue?.(inner);
        if (typeof recovered === 'bigint') {
          push(recovered);
          break;
        }
        throw new ExpressionError(`optimized out (${recovered?.reason ?? 'the value at function entry is not recoverable here'})`);
      }
      case DW_OP.call2:
      case DW_OP.call4:
      case DW_OP.call_ref: {
        const callee = env.callExpression?.(Number(a), op === DW_OP.call_ref);
        if (callee === undefined) break; // a DIE without a location expression does nothing
        const result = run(callee, ctx, env, stack, depth + 1);
        if (result.kind === 'unavailable') return result;
        break;
      }
      case DW_OP.convert:
      case DW_OP.GNU_convert:
      case DW_OP.reinterpret:
      case DW_OP.GNU_reinterpret: {
        const type = typeAt(Number(a));
        const e = pop();
        if (type.float !== e.type.float && op !== DW_OP.reinterpret && op !== DW_OP.GNU_reinterpret) {
          throw new ExpressionError('floating-point conversion in a DWARF expression is not supported');
        }
        const value = op === DW_OP.convert || op === DW_OP.GNU_convert ? (e.type.signed ? asSigned(e) : e.value) : e.value;
        push(value, type);
        break;
      }
      case DW_OP.push_object_address:
        if (env.objectAddress === undefined) throw new ExpressionError('DW_OP_push_object_address: no object');
        push(env.objectAddress);
        break;
      case DW_OP.nop:
      case DW_OP.GNU_uninit:
        break;
      case DW_OP.form_tls_address:
      case DW_OP.GNU_push_tls_address:
        throw new ExpressionError('thread-local storage is not supported');
      case DW_OP.xderef:
      case DW_OP.xderef_size:
      case DW_OP.xderef_type:
        throw new ExpressionError('address-space dereference (DW_OP_xderef) is not supported');
      case DW_OP.GNU_parameter_ref:
        throw new ExpressionError('optimized out (DW_OP_GNU_parameter_ref)');
      case DW_OP.GNU_variable_value:
        throw new ExpressionError('DW_OP_GNU_variable_value is not supported');
      default:
        throw new DwarfFormatError(`DWARF expression: unknown operator ${hex(op)} at offset ${hex(at)}`);
    }
  }

  if (pieces.length > 0) {
    if (register !== undefined || implicit || stackValue || stack.length > 0) finishPiece(0, 0); // trailing location without a piece
    return { kind: 'composite', pieces: pieces.filter((p) => p.sizeBits > 0) };
  }
  if (register !== undefined) return { kind: 'register', regno: register };
  if (implicit) return implicit;
  const top = stack[stack.length - 1];
  if (!top) return unavailable('optimized out (empty location)');
  if (stackValue) return { kind: 'value', value: top.value, size: top.type === GENERIC ? undefined : top.type.size };
  return { kind: 'memory', address: top.value & MASK64 };
}

function jump(r: ByteReader, offset: bigint): number {
  const target = r.pos + Number(offset);
  if (target < 0 || target > r.end) throw new DwarfFormatError(`DWARF expression: branch to ${target} is outside the expression`);
  return target;
}
