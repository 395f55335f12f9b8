// DWARF expression operations (DW_OP_*, DWARF 5 §2.5, §2.6 and the GNU extensions gcc emits): the
// opcode table and the one decoder of an operation and its operands. Both evaluators use it: the
// location evaluator of dwarf/expression.ts and the CFI rule evaluator of unwind/expression.ts; each
// gives the decoded operations its own meaning (typed stack and location descriptions there, plain
// 64-bit values here). Errors are the reader's class (DwarfFormatError or CfiFormatError).
import { hex } from '../../../native/lib/hex';
import type { ByteReader } from './byte-reader';

export const DW_OP = {
  addr: 0x03, deref: 0x06, const1u: 0x08, const1s: 0x09, const2u: 0x0a, const2s: 0x0b, const4u: 0x0c,
  const4s: 0x0d, const8u: 0x0e, const8s: 0x0f, constu: 0x10, consts: 0x11, dup: 0x12, drop: 0x13, over: 0x14,
  pick: 0x15, swap: 0x16, rot: 0x17, xderef: 0x18, abs: 0x19, and: 0x1a, div: 0x1b, minus: 0x1c, mod: 0x1d,
  mul: 0x1e, neg: 0x1f, not: 0x20, or: 0x21, plus: 0x22, plus_uconst: 0x23, shl: 0x24, shr: 0x25, shra: 0x26,
  xor: 0x27, bra: 0x28, eq: 0x29, ge: 0x2a, gt: 0x2b, le: 0x2c, lt: 0x2d, ne: 0x2e, skip: 0x2f, lit0: 0x30,
  lit31: 0x4f, reg0: 0x50, reg31: 0x6f, breg0: 0x70, breg31: 0x8f, regx: 0x90, fbreg: 0x91, bregx: 0x92,
  piece: 0x93, deref_size: 0x94, xderef_size: 0x95, nop: 0x96, push_object_address: 0x97, call2: 0x98,
  call4: 0x99, call_ref: 0x9a, form_tls_address: 0x9b, call_frame_cfa: 0x9c, bit_piece: 0x9d,
  implicit_value: 0x9e, stack_value: 0x9f, implicit_pointer: 0xa0, addrx: 0xa1, constx: 0xa2,
  entry_value: 0xa3, const_type: 0xa4, regval_type: 0xa5, deref_type: 0xa6, xderef_type: 0xa7, convert: 0xa8,
  reinterpret: 0xa9, GNU_push_tls_address: 0xe0, GNU_uninit: 0xf0, GNU_encoded_addr: 0xf1,
  GNU_implicit_pointer: 0xf2, GNU_entry_value: 0xf3, GNU_const_type: 0xf4, GNU_regval_type: 0xf5,
  GNU_deref_type: 0xf6, GNU_convert: 0xf7, GNU_reinterpret: 0xf9, GNU_parameter_ref: 0xfa,
  GNU_addr_index: 0xfb, GNU_const_index: 0xfc, GNU_variable_value: 0xfd,
} as const;

/** The constants (DW_OP_constNu/s, constu, consts), whose value is their operand `a`. */
export const CONSTANT_OPERATIONS: ReadonlySet<number> = new Set([
  DW_OP.const1u, DW_OP.const1s, DW_OP.const2u, DW_OP.const2s, DW_OP.const4u, DW_OP.const4s, DW_OP.const8u, DW_OP.const8s,
  DW_OP.constu, DW_OP.consts,
]);

/**
 * One decoded operation. The operands, by operation:
 * - `a`: the number of litN, regN and bregN (N itself); the constant of addr, constNu/s, constu/s,
 *   plus_uconst; the index of addrx/constx; the size of deref_size, xderef_size, deref_type,
 *   xderef_type; the register of regx, bregx, regval_type; the offset of fbreg, skip and bra (signed),
 *   call2/4/ref, implicit_pointer, GNU_parameter_ref, GNU_variable_value; the byte size of piece, the
 *   bit size of bit_piece; the type offset of const_type, convert and reinterpret.
 * - `b`: the offset of bregN and bregx (signed) and of implicit_pointer; the type offset of
 *   deref_type, xderef_type and regval_type; the bit offset of bit_piece.
 * - `block`: the bytes of implicit_value, entry_value (the inner expression) and const_type.
 * Operands that are register numbers, sizes, lengths and type offsets must fit a JS number.
 */
export interface Operation {
  readonly op: number;
  /** Offset of the opcode in the expression. */
  readonly at: number;
  readonly a: bigint;
  readonly b: bigint;
  readonly block?: Uint8Array;
}

/** The sizes an operation's operands depend on: DW_OP_addr reads an address of `addressSize` bytes. */
export interface OperandSizes {
  readonly addressSize: number;
}

/** Reads the operation at the reader's position (the opcode and its operands). */
export function readOperation(r: ByteReader, sizes: OperandSizes): Operation {
  const at = r.pos;
  const op = r.u8('operation');
  let a = 0n;
  let b = 0n;
  let block: Uint8Array | undefined;
  const number = (): bigint => BigInt(r.ulebNumber());
  if (op >= DW_OP.lit0 && op <= DW_OP.lit31) a = BigInt(op - DW_OP.lit0);
  else if (op >= DW_OP.reg0 && op <= DW_OP.reg31) a = BigInt(op - DW_OP.reg0);
  else if (op >= DW_OP.breg0 && op <= DW_OP.breg31) {
    a = BigInt(op - DW_OP.breg0);
    b = r.sleb();
  } else {
    switch (op) {
      case DW_OP.addr: a = r.address(sizes.addressSize); break;
      case DW_OP.const1u: a = BigInt(r.u8()); break;
      case DW_OP.const1s: a = BigInt(r.i8()); break;
      case DW_OP.const2u: a = BigInt(r.u16()); break;
      case DW_OP.const2s: a = r.signed(2); break;
      case DW_OP.const4u: a = BigInt(r.u32()); break;
      case DW_OP.const4s: a = r.signed(4); break;
      case DW_OP.const8u: a = r.u64(); break;
      case DW_OP.const8s: a = r.signed(8); break;
      case DW_OP.constu:
      case DW_OP.plus_uconst:
      case DW_OP.addrx:
      case DW_OP.GNU_addr_index:
      case DW_OP.constx:
      case DW_OP.GNU_const_index:
        a = r.uleb();
        break;
      case DW_OP.consts:
      case DW_OP.fbreg:
        a = r.sleb();
        break;
      case DW_OP.deref_size:
      case DW_OP.xderef_size:
      case DW_OP.pick:
        a = BigInt(r.u8());
        break;
      case DW_OP.deref_type:
      case DW_OP.GNU_deref_type:
      case DW_OP.xderef_type:
        a = BigInt(r.u8());
        b = number();
        break;
      case DW_OP.skip:
      case DW_OP.bra:
        a = r.signed(2);
        break;
      case DW_OP.regx:
      case DW_OP.piece:
      case DW_OP.convert:
      case DW_OP.GNU_convert:
      case DW_OP.reinterpret:
      case DW_OP.GNU_reinterpret:
        a = number();
        break;
      case DW_OP.bregx:
        a = number();
        b = r.sleb();
        break;
      case DW_OP.bit_piece:
      case DW_OP.regval_type:
      case DW_OP.GNU_regval_type:
        a = number();
        b = number();
        break;
      case DW_OP.implicit_value:
      case DW_OP.entry_value:
      case DW_OP.GNU_entry_value:
        block = r.bytesOf(r.ulebNumber());
        break;
      case DW_OP.const_type:
      case DW_OP.GNU_const_type:
        a = number();
        block = r.bytesOf(r.u8());
        break;
      case DW_OP.implicit_pointer:
      case DW_OP.GNU_implicit_pointer:
        a = r.offset(4);
        b = r.sleb();
        break;
      case DW_OP.call2: a = BigInt(r.u16()); break;
      case DW_OP.call4:
      case DW_OP.GNU_parameter_ref:
        a = BigInt(r.u32());
        break;
      case DW_OP.call_ref:
      case DW_OP.GNU_variable_value:
        a = r.offset(4);
        break;
      case DW_OP.deref: case DW_OP.dup: case DW_OP.drop: case DW_OP.over: case DW_OP.swap: case DW_OP.rot:
      case DW_OP.xderef: case DW_OP.abs: case DW_OP.and: case DW_OP.div: case DW_OP.minus: case DW_OP.mod:
      case DW_OP.mul: case DW_OP.neg: case DW_OP.not: case DW_OP.or: case DW_OP.plus: case DW_OP.shl:
      case DW_OP.shr: case DW_OP.shra: case DW_OP.xor: case DW_OP.eq: case DW_OP.ge: case DW_OP.gt:
      case DW_OP.le: case DW_OP.lt: case DW_OP.ne: case DW_OP.nop: case DW_OP.push_object_address:
      case DW_OP.form_tls_address: case DW_OP.call_frame_cfa: case DW_OP.stack_value:
      case DW_OP.GNU_push_tls_address: case DW_OP.GNU_uninit:
        break;
      default:
        throw r.error(`unknown operator ${hex(op)} at offset ${hex(at)}`);
    }
  }
  return { op, at, a, b, block };
}
