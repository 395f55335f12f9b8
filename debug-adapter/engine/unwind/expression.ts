// A DWARF expression evaluator for CFI rules (DW_CFA_def_cfa_expression, DW_CFA_expression,
// DW_CFA_val_expression): the stack operations, arithmetic, branches, register and memory reads.
// Location-only operations (DW_OP_piece, DW_OP_fbreg, calls, TLS) are not meaningful in CFI and throw.
import * as C from './constants';
import { CfiFormatError } from './errors';
import { cfiReader } from './reader';

export interface ExpressionContext {
  /** The value of a DWARF register in the frame being unwound, or undefined if unknown. */
  register(number: number): bigint | undefined;
  /** `size` bytes (1–8) at `address`, zero-extended, or undefined if unreadable. */
  readMemory(address: bigint, size: number): bigint | undefined;
  /** The CFA, for DW_OP_call_frame_cfa (undefined while computing the CFA itself). */
  readonly cfa?: bigint;
}

/** Evaluates an expression with `initialStack` pushed first; returns the value on top of the stack. */
export type ExpressionEvaluator = (expression: Uint8Array, context: ExpressionContext, initialStack: readonly bigint[]) => bigint;

const MAX_STEPS = 10_000;

const u64 = (v: bigint) => BigInt.asUintN(64, v);
const s64 = (v: bigint) => BigInt.asIntN(64, v);

export const evaluateExpression: ExpressionEvaluator = (expression, context, initialStack) => {
  const r = cfiReader(expression, 'DWARF expression');
  const stack: bigint[] = initialStack.map(u64);
  const pop = (): bigint => {
    const value = stack.pop();
    if (value === undefined) throw new CfiFormatError('DWARF expression: stack underflow');
    return value;
  };
  const push = (value: bigint) => stack.push(u64(value));
  const reg = (number: number): bigint => {
    const value = context.register(number);
    if (value === undefined) throw new CfiFormatError(`DWARF expression: register ${number} is not known in this frame`);
    return value;
  };
  const load = (address: bigint, size: number): bigint => {
    const value = context.readMemory(address, size);
    if (value === undefined) throw new CfiFormatError(`DWARF expression: cannot read ${size} bytes at 0x${address.toString(16)}`);
    return value;
  };
  const binary = (op: (a: bigint, b: bigint) => bigint) => {
    const b = pop();
    const a = pop();
    push(op(a, b));
  };
  const compare = (op: (a: bigint, b: bigint) => boolean) => binary((a, b) => (op(s64(a), s64(b)) ? 1n : 0n));

  for (let steps = 0; !r.atEnd(); steps++) {
    if (steps > MAX_STEPS) throw new CfiFormatError('DWARF expression: too many steps (a loop?)');
    const op = r.u8('operation');
    if (op >= C.DW_OP_lit0 && op <= C.DW_OP_lit31) {
      push(BigInt(op - C.DW_OP_lit0));
      continue;
    }
    if (op >= C.DW_OP_breg0 && op <= C.DW_OP_breg31) {
      push(reg(op - C.DW_OP_breg0) + r.sleb());
      continue;
    }
    if (op >= C.DW_OP_reg0 && op <= C.DW_OP_reg31) {
      push(reg(op - C.DW_OP_reg0)); // a register location, read as its value
      continue;
    }
    switch (op) {
      case C.DW_OP_addr: push(r.u64()); break;
      case C.DW_OP_deref: push(load(pop(), 8)); break;
      case C.DW_OP_deref_size: {
        const size = r.u8();
        push(load(pop(), size));
        break;
      }
      case C.DW_OP_const1u: push(BigInt(r.u8())); break;
      case C.DW_OP_const1s: push(BigInt(r.i8())); break;
      case C.DW_OP_const2u: push(BigInt(r.u16())); break;
      case C.DW_OP_const2s: push(BigInt(r.i16())); break;
      case C.DW_OP_const4u: push(BigInt(r.u32())); break;
      case C.DW_OP_const4s: push(BigInt(r.i32())); break;
      case C.DW_OP_const8u: push(r.u64()); break;
      case C.DW_OP_const8s: push(r.i64()); break;
      case C.DW_OP_constu: push(r.uleb()); break;
      case C.DW_OP_consts: push(r.sleb()); break;
      case C.DW_OP_dup: {
        const top = pop();
        push(top);
        push(top);
        break;
      }
      case C.DW_OP_drop: pop(); break;
      case C.DW_OP_over: {
        if (stack.length < 2) throw new CfiFormatError('DWARF expression: stack underflow');
        push(stack[stack.length - 2]);
        break;
      }
      case C.DW_OP_pick: {
        const index = r.u8();
        if (index >= stack.length) throw new CfiFormatError('DWARF expression: DW_OP_pick past the stack');
        push(stack[stack.length - 1 - index]);
        break;
      }
      case C.DW_OP_swap: {
        const b = pop();
        const a = pop();
        push(b);
        push(a);
        break;
      }
      case C.DW_OP_rot: {
        const c = pop();
        const b = pop();
        const a = pop();
        push(c);
        push(a);
        push(b);
        break;
      }
      case C.DW_OP_abs: {
        const v = s64(pop());
        push(v < 0n ? -v : v);
        break;
      }
      case C.DW_OP_and: binary((a, b) => a & b); break;
      case C.DW_OP_div:
        binary((a, b) => {
          if (b === 0n) throw new CfiFormatError('DWARF expression: division by zero');
          return s64(a) / s64(b);
        });
        break;
      case C.DW_OP_minus: binary((a, b) => a - b); break;
      case C.DW_OP_mod:
        binary((a, b) => {
          if (b === 0n) throw new CfiFormatError('DWARF expression: modulo by zero');
          return a % b;
        });
        break;
      case C.DW_OP_mul: binary((a, b) => a * b); break;
      case C.DW_OP_neg: push(-pop()); break;
      case C.DW_OP_not: push(~pop()); break;
      case C.DW_OP_or: binary((a, b) => a | b); break;
      case C.DW_OP_plus: binary((a, b) => a + b); break;
      case C.DW_OP_plus_uconst: push(pop() + r.uleb()); break;
      case C.DW_OP_shl: binary((a, b) => (b >= 64n ? 0n : a << b)); break;
      case C.DW_OP_shr: binary((a, b) => (b >= 64n ? 0n : a >> b)); break;
      case C.DW_OP_shra: binary((a, b) => s64(a) >> (b >= 64n ? 63n : b)); break;
      case C.DW_OP_xor: binary((a, b) => a ^ b); break;
      case C.DW_OP_eq: compare((a, b) => a === b); break;
      case C.DW_OP_ge: compare((a, b) => a >= b); break;
      case C.DW_OP_gt: compare((a, b) => a > b); break;
      case C.DW_OP_le: compare((a, b) => a <= b); break;
      case C.DW_OP_lt: compare((a, b) => a < b); break;
      case C.DW_OP_ne: compare((a, b) => a !== b); break;
      case C.DW_OP_skip: {
        const delta = r.i16();
        r.pos += delta;
        break;
      }
      case C.DW_OP_bra: {
        const delta = r.i16();
        if (pop() !== 0n) r.pos += delta;
        break;
      }
      case C.DW_OP_regx: push(reg(r.ulebNumber())); break;
      case C.DW_OP_bregx: {
        const number = r.ulebNumber();
        push(reg(number) + r.sleb());
        break;
      }
      case C.DW_OP_call_frame_cfa:
        if (context.cfa === undefined) throw new CfiFormatError('DWARF expression: DW_OP_call_frame_cfa while computing the CFA');
        push(context.cfa);
        break;
      case C.DW_OP_nop: break;
      case C.DW_OP_stack_value: break; // the value on the stack is the result, which is how CFI uses it
      default:
        throw new CfiFormatError(`DWARF expression: operation 0x${op.toString(16)} is not supported in CFI`);
    }
    if (r.pos < 0 || r.pos > expression.length) throw new CfiFormatError('DWARF expression: branch out of range');
  }
  const result = stack.pop();
  if (result === undefined) throw new CfiFormatError('DWARF expression: empty stack at the end');
  return result;
};
