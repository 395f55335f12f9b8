// A DWARF expression evaluator for CFI rules (DW_CFA_def_cfa_expression, DW_CFA_expression,
// DW_CFA_val_expression): the stack operations, arithmetic, branches, register and memory reads.
// Location-only operations (DW_OP_piece, DW_OP_fbreg, calls, TLS) are not meaningful in CFI and throw.
// The operations are decoded by shared/dwarf-operations.ts, as the location evaluator's are.
import { CONSTANT_OPERATIONS, DW_OP, readOperation } from '../shared/dwarf-operations';
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
/** CFI is x86-64's: DW_OP_addr reads 8 bytes. */
const CFI_SIZES = { addressSize: 8 };

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
  const binary = (fn: (x: bigint, y: bigint) => bigint) => {
    const y = pop();
    const x = pop();
    push(fn(x, y));
  };
  const compare = (fn: (x: bigint, y: bigint) => boolean) => binary((x, y) => (fn(s64(x), s64(y)) ? 1n : 0n));

  for (let steps = 0; !r.atEnd(); steps++) {
    if (steps > MAX_STEPS) throw new CfiFormatError('DWARF expression: too many steps (a loop?)');
    const { op, a, b } = readOperation(r, CFI_SIZES);
    if ((op >= DW_OP.lit0 && op <= DW_OP.lit31) || CONSTANT_OPERATIONS.has(op) || op === DW_OP.addr) {
      push(a);
      continue;
    }
    if (op >= DW_OP.breg0 && op <= DW_OP.breg31) {
      push(reg(Number(a)) + b);
      continue;
    }
    if (op >= DW_OP.reg0 && op <= DW_OP.reg31) {
      push(reg(Number(a))); // a register location, read as its value
      continue;
    }
    switch (op) {
      case DW_OP.deref: push(load(pop(), 8)); break;
      case DW_OP.deref_size: push(load(pop(), Number(a))); break;
      case DW_OP.dup: {
        const top = pop();
        push(top);
        push(top);
        break;
      }
      case DW_OP.drop: pop(); break;
      case DW_OP.over: {
        if (stack.length < 2) throw new CfiFormatError('DWARF expression: stack underflow');
        push(stack[stack.length - 2]);
        break;
      }
      case DW_OP.pick: {
        const index = Number(a);
        if (index >= stack.length) throw new CfiFormatError('DWARF expression: DW_OP_pick past the stack');
        push(stack[stack.length - 1 - index]);
        break;
      }
      case DW_OP.swap: {
        const y = pop();
        const x = pop();
        push(y);
        push(x);
        break;
      }
      case DW_OP.rot: {
        const z = pop();
        const y = pop();
        const x = pop();
        push(z);
        push(x);
        push(y);
        break;
      }
      case DW_OP.abs: {
        const v = s64(pop());
        push(v < 0n ? -v : v);
        break;
      }
      case DW_OP.and: binary((x, y) => x & y); break;
      case DW_OP.div:
        binary((x, y) => {
          if (y === 0n) throw new CfiFormatError('DWARF expression: division by zero');
          return s64(x) / s64(y);
        });
        break;
      case DW_OP.minus: binary((x, y) => x - y); break;
      case DW_OP.mod:
        binary((x, y) => {
          if (y === 0n) throw new CfiFormatError('DWARF expression: modulo by zero');
          return x % y;
        });
        break;
      case DW_OP.mul: binary((x, y) => x * y); break;
      case DW_OP.neg: push(-pop()); break;
      case DW_OP.not: push(~pop()); break;
      case DW_OP.or: binary((x, y) => x | y); break;
      case DW_OP.plus: binary((x, y) => x + y); break;
      case DW_OP.plus_uconst: push(pop() + a); break;
      case DW_OP.shl: binary((x, y) => (y >= 64n ? 0n : x << y)); break;
      case DW_OP.shr: binary((x, y) => (y >= 64n ? 0n : x >> y)); break;
      case DW_OP.shra: binary((x, y) => s64(x) >> (y >= 64n ? 63n : y)); break;
      case DW_OP.xor: binary((x, y) => x ^ y); break;
      case DW_OP.eq: compare((x, y) => x === y); break;
      case DW_OP.ge: compare((x, y) => x >= y); break;
      case DW_OP.gt: compare((x, y) => x > y); break;
      case DW_OP.le: compare((x, y) => x <= y); break;
      case DW_OP.lt: compare((x, y) => x < y); break;
      case DW_OP.ne: compare((x, y) => x !== y); break;
      case DW_OP.skip: r.pos += Number(a); break;
      case DW_OP.bra:
        if (pop() !== 0n) r.pos += Number(a);
        break;
      case DW_OP.regx: push(reg(Number(a))); break;
      case DW_OP.bregx: push(reg(Number(a)) + b); break;
      case DW_OP.call_frame_cfa:
        if (context.cfa === undefined) throw new CfiFormatError('DWARF expression: DW_OP_call_frame_cfa while computing the CFA');
        push(context.cfa);
        break;
      case DW_OP.nop: break;
      case DW_OP.stack_value: break; // the value on the stack is the result, which is how CFI uses it
      default:
        throw new CfiFormatError(`DWARF expression: operation 0x${op.toString(16)} is not supported in CFI`);
    }
    if (r.pos < 0 || r.pos > expression.length) throw new CfiFormatError('DWARF expression: branch out of range');
  }
  const result = stack.pop();
  if (result === undefined) throw new CfiFormatError('DWARF expression: empty stack at the end');
  return result;
};
