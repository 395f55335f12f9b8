// The instruction set the translator accepts (Wasm MVP, sign extension, non-trapping float-to-int
// conversions, memory.copy/fill), as data: what each simple instruction pops and pushes. The
// validator checks operand types with it; the C emitter keys its C templates on the names.
import type { ValType } from './module';

export interface SimpleOp {
  readonly name: string;
  readonly params: readonly ValType[];
  readonly result: ValType;
}

/** Memory access instructions: the bytes they access and the value type. */
export interface MemoryOp {
  readonly name: string;
  readonly type: ValType;
  readonly bytes: 1 | 2 | 4 | 8;
  readonly store: boolean;
}

const simple = new Map<number, SimpleOp>();
const prefixed = new Map<number, SimpleOp>();

function define(table: Map<number, SimpleOp>, first: number, names: string, params: readonly ValType[], result: ValType): void {
  names.split(' ').forEach((name, i) => table.set(first + i, { name, params, result }));
}

const I32: ValType = 'i32';
const I64: ValType = 'i64';
const F32: ValType = 'f32';
const F64: ValType = 'f64';

define(simple, 0x45, 'i32.eqz', [I32], I32);
define(simple, 0x46, 'i32.eq i32.ne i32.lt_s i32.lt_u i32.gt_s i32.gt_u i32.le_s i32.le_u i32.ge_s i32.ge_u', [I32, I32], I32);
define(simple, 0x50, 'i64.eqz', [I64], I32);
define(simple, 0x51, 'i64.eq i64.ne i64.lt_s i64.lt_u i64.gt_s i64.gt_u i64.le_s i64.le_u i64.ge_s i64.ge_u', [I64, I64], I32);
define(simple, 0x5b, 'f32.eq f32.ne f32.lt f32.gt f32.le f32.ge', [F32, F32], I32);
define(simple, 0x61, 'f64.eq f64.ne f64.lt f64.gt f64.le f64.ge', [F64, F64], I32);
define(simple, 0x67, 'i32.clz i32.ctz i32.popcnt', [I32], I32);
define(simple, 0x6a, 'i32.add i32.sub i32.mul i32.div_s i32.div_u i32.rem_s i32.rem_u i32.and i32.or i32.xor i32.shl i32.shr_s i32.shr_u i32.rotl i32.rotr', [I32, I32], I32);
define(simple, 0x79, 'i64.clz i64.ctz i64.popcnt', [I64], I64);
define(simple, 0x7c, 'i64.add i64.sub i64.mul i64.div_s i64.div_u i64.rem_s i64.rem_u i64.and i64.or i64.xor i64.shl i64.shr_s i64.shr_u i64.rotl i64.rotr', [I64, I64], I64);
define(simple, 0x8b, 'f32.abs f32.neg f32.ceil f32.floor f32.trunc f32.nearest f32.sqrt', [F32], F32);
define(simple, 0x92, 'f32.add f32.sub f32.mul f32.div f32.min f32.max f32.copysign', [F32, F32], F32);
define(simple, 0x99, 'f64.abs f64.neg f64.ceil f64.floor f64.trunc f64.nearest f64.sqrt', [F64], F64);
define(simple, 0xa0, 'f64.add f64.sub f64.mul f64.div f64.min f64.max f64.copysign', [F64, F64], F64);
define(simple, 0xa7, 'i32.wrap_i64', [I64], I32);
define(simple, 0xa8, 'i32.trunc_f32_s i32.trunc_f32_u', [F32], I32);
define(simple, 0xaa, 'i32.trunc_f64_s i32.trunc_f64_u', [F64], I32);
define(simple, 0xac, 'i64.extend_i32_s i64.extend_i32_u', [I32], I64);
define(simple, 0xae, 'i64.trunc_f32_s i64.trunc_f32_u', [F32], I64);
define(simple, 0xb0, 'i64.trunc_f64_s i64.trunc_f64_u', [F64], I64);
define(simple, 0xb2, 'f32.convert_i32_s f32.convert_i32_u', [I32], F32);
define(simple, 0xb4, 'f32.convert_i64_s f32.convert_i64_u', [I64], F32);
define(simple, 0xb6, 'f32.demote_f64', [F64], F32);
define(simple, 0xb7, 'f64.convert_i32_s f64.convert_i32_u', [I32], F64);
define(simple, 0xb9, 'f64.convert_i64_s f64.convert_i64_u', [I64], F64);
define(simple, 0xbb, 'f64.promote_f32', [F32], F64);
define(simple, 0xbc, 'i32.reinterpret_f32', [F32], I32);
define(simple, 0xbd, 'i64.reinterpret_f64', [F64], I64);
define(simple, 0xbe, 'f32.reinterpret_i32', [I32], F32);
define(simple, 0xbf, 'f64.reinterpret_i64', [I64], F64);
define(simple, 0xc0, 'i32.extend8_s i32.extend16_s', [I32], I32);
define(simple, 0xc2, 'i64.extend8_s i64.extend16_s i64.extend32_s', [I64], I64);
define(prefixed, 0, 'i32.trunc_sat_f32_s i32.trunc_sat_f32_u', [F32], I32);
define(prefixed, 2, 'i32.trunc_sat_f64_s i32.trunc_sat_f64_u', [F64], I32);
define(prefixed, 4, 'i64.trunc_sat_f32_s i64.trunc_sat_f32_u', [F32], I64);
define(prefixed, 6, 'i64.trunc_sat_f64_s i64.trunc_sat_f64_u', [F64], I64);

/** Numeric instructions by opcode (0x45-0xc4). */
export const SIMPLE_OPS: ReadonlyMap<number, SimpleOp> = simple;
/** Numeric instructions behind the 0xfc prefix, by their sub-opcode. */
export const PREFIXED_OPS: ReadonlyMap<number, SimpleOp> = prefixed;

const memory = new Map<number, MemoryOp>();
const loads: Array<[string, ValType, 1 | 2 | 4 | 8]> = [
  ['i32.load', I32, 4], ['i64.load', I64, 8], ['f32.load', F32, 4], ['f64.load', F64, 8],
  ['i32.load8_s', I32, 1], ['i32.load8_u', I32, 1], ['i32.load16_s', I32, 2], ['i32.load16_u', I32, 2],
  ['i64.load8_s', I64, 1], ['i64.load8_u', I64, 1], ['i64.load16_s', I64, 2], ['i64.load16_u', I64, 2],
  ['i64.load32_s', I64, 4], ['i64.load32_u', I64, 4],
];
loads.forEach(([name, type, bytes], i) => memory.set(0x28 + i, { name, type, bytes, store: false }));
const stores: Array<[string, ValType, 1 | 2 | 4 | 8]> = [
  ['i32.store', I32, 4], ['i64.store', I64, 8], ['f32.store', F32, 4], ['f64.store', F64, 8],
  ['i32.store8', I32, 1], ['i32.store16', I32, 2], ['i64.store8', I64, 1], ['i64.store16', I64, 2], ['i64.store32', I64, 4],
];
stores.forEach(([name, type, bytes], i) => memory.set(0x36 + i, { name, type, bytes, store: true }));

/** Loads and stores by opcode (0x28-0x3e). */
export const MEMORY_OPS: ReadonlyMap<number, MemoryOp> = memory;
