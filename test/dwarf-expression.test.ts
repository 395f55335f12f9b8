// The DWARF expression evaluator on hand-assembled expressions: every stack, arithmetic, logic,
// comparison and control-flow operator, register and memory operators, frame base and CFA,
// pieces and bit pieces, stack and implicit values, implicit pointers, entry values, indexed
// addresses and typed operators; and malformed expressions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DwarfFormatError, evaluateExpression, readObject, type EvaluationContext, type ExpressionEnvironment, type Location } from '../debug-adapter/engine/dwarf';

const REGS = new Map<number, bigint>([
  [0, 0x1000n], // rax
  [3, 0xfffffffffffffff0n], // rbx = -16
  [6, 0x7ffe0000n], // rbp
  [7, 0x7ffd0000n], // rsp
  [17, 0x0000000000000000_3ff0000000000000n], // xmm0 = 1.0
]);
const MEMORY = new Map<bigint, number>();
for (let i = 0; i < 64; i++) MEMORY.set(0x1000n + BigInt(i), i + 1);
const ctx: EvaluationContext = {
  readRegister: (n) => REGS.get(n),
  readMemory: (address, length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const b = MEMORY.get(address + BigInt(i));
      if (b === undefined) return undefined;
      out[i] = b;
    }
    return out;
  },
  cfa: 0x7ffd0010n,
};
const env: ExpressionEnvironment = { addressSize: 8 };

function evaluate(bytes: number[], extra: Partial<ExpressionEnvironment> = {}, context: EvaluationContext = ctx, stack: bigint[] = []): Location {
  return evaluateExpression(Uint8Array.from(bytes), context, { ...env, ...extra }, stack);
}

/** The value of an expression ending in DW_OP_stack_value (0x9f). */
function value(bytes: number[], extra: Partial<ExpressionEnvironment> = {}): bigint {
  const result = evaluate([...bytes, 0x9f], extra);
  assert.equal(result.kind, 'value', JSON.stringify(result, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
  return (result as { value: bigint }).value;
}

const NEG = (v: bigint): bigint => BigInt.asUintN(64, v);

test('literals and constants of every width and signedness', () => {
  assert.equal(value([0x30]), 0n); // lit0
  assert.equal(value([0x4f]), 31n); // lit31
  assert.equal(value([0x08, 0xff]), 255n); // const1u
  assert.equal(value([0x09, 0xff]), NEG(-1n)); // const1s
  assert.equal(value([0x0a, 0x34, 0x12]), 0x1234n); // const2u
  assert.equal(value([0x0b, 0x00, 0x80]), NEG(-32768n)); // const2s
  assert.equal(value([0x0c, 0x78, 0x56, 0x34, 0x12]), 0x12345678n); // const4u
  assert.equal(value([0x0d, 0xff, 0xff, 0xff, 0xff]), NEG(-1n)); // const4s
  assert.equal(value([0x0e, 1, 2, 3, 4, 5, 6, 7, 8]), 0x0807060504030201n); // const8u
  assert.equal(value([0x0f, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), NEG(-2n)); // const8s
  assert.equal(value([0x10, 0xe5, 0x8e, 0x26]), 624485n); // constu
  assert.equal(value([0x11, 0xc0, 0xbb, 0x78]), NEG(-123456n)); // consts
});

test('stack operators: dup drop over pick swap rot', () => {
  assert.equal(value([0x31, 0x12, 0x22]), 2n); // 1 dup plus
  assert.equal(value([0x31, 0x32, 0x13]), 1n); // 1 2 drop
  assert.equal(value([0x31, 0x32, 0x14, 0x1c, 0x1c]), 0n); // 1 2 over → 1 2 1; minus → 1 1; minus → 0
  assert.equal(value([0x31, 0x32, 0x33, 0x15, 0x02]), 1n); // pick 2
  assert.equal(value([0x35, 0x32, 0x16, 0x1c]), NEG(-3n)); // 5 2 swap → 2 5; minus → -3
  // rot: a b c → c a b ; 1 2 3 rot → 3 1 2; minus → 3 -1 ... check top two: 1 - 2 = -1
  assert.equal(value([0x31, 0x32, 0x33, 0x17, 0x1c]), NEG(-1n));
  assert.equal(value([0x31, 0x32, 0x33, 0x17, 0x13, 0x13]), 3n);
});

test('arithmetic and logic on the generic type', () => {
  assert.equal(value([0x35, 0x33, 0x22]), 8n); // plus
  assert.equal(value([0x33, 0x35, 0x1c]), NEG(-2n)); // minus
  assert.equal(value([0x36, 0x37, 0x1e]), 42n); // mul
  assert.equal(value([0x11, 0x79, 0x32, 0x1b]), NEG(-3n)); // -7 / 2 = -3 (signed)
  assert.equal(value([0x11, 0x79, 0x32, 0x1d]), NEG(-7n) % 2n); // mod is unsigned on the generic type
  assert.equal(value([0x37, 0x1f]), NEG(-7n)); // neg
  assert.equal(value([0x11, 0x79, 0x19]), 7n); // abs
  assert.equal(value([0x30, 0x20]), NEG(-1n)); // not
  assert.equal(value([0x3c, 0x3a, 0x1a]), 8n); // 12 & 10
  assert.equal(value([0x3c, 0x3a, 0x21]), 14n); // 12 | 10
  assert.equal(value([0x3c, 0x3a, 0x27]), 6n); // 12 ^ 10
  assert.equal(value([0x31, 0x44, 0x24]), 1n << 20n); // shl
  assert.equal(value([0x11, 0x70, 0x34, 0x25]), NEG(-16n) >> 4n); // shr is logical
  assert.equal(value([0x11, 0x70, 0x34, 0x26]), NEG(-1n)); // shra is arithmetic
  assert.equal(value([0x31, 0x23, 0xff, 0x01]), 256n); // plus_uconst 255
  assert.equal(value([0x30, 0x31, 0x1c, 0x31, 0x22]), 0n); // wraps modulo 2^64
  assert.equal(evaluate([0x31, 0x30, 0x1b]).kind, 'unavailable'); // division by zero
});

test('comparisons are signed on the generic type', () => {
  const cmp = (op: number, a: number[], b: number[]): bigint => value([...a, ...b, op]);
  const minus1 = [0x11, 0x7f];
  assert.equal(cmp(0x29, [0x33], [0x33]), 1n); // eq
  assert.equal(cmp(0x2e, [0x33], [0x33]), 0n); // ne
  assert.equal(cmp(0x2d, minus1, [0x31]), 1n); // -1 < 1
  assert.equal(cmp(0x2b, minus1, [0x31]), 0n); // gt
  assert.equal(cmp(0x2c, [0x31], [0x31]), 1n); // le
  assert.equal(cmp(0x2a, [0x30], minus1), 1n); // ge
});

test('control flow: skip and bra (a loop summing 5+4+3+2+1)', () => {
  // acc n: loop: if n == 0 goto end; acc += n; n -= 1; goto loop
  const loop = [
    0x30, 0x35, // acc=0 n=5
    0x12, 0x30, 0x29, // dup 0 eq
    0x28, 0x09, 0x00, // bra +9 → end
    0x12, 0x17, 0x22, // dup rot plus: acc n → n acc+n
    0x16, 0x31, 0x1c, // swap lit1 minus → acc' n-1
    0x2f, 0xf1, 0xff, // skip -15 → loop
    0x13, // end: drop n
  ];
  assert.equal(value(loop), 15n);
  assert.equal(value([0x2f, 0x01, 0x00, 0x35, 0x37]), 7n); // skip over lit5
  assert.throws(() => evaluate([0x2f, 0x10, 0x00]), DwarfFormatError); // skip out of the expression
});

test('registers, memory, frame base and CFA', () => {
  assert.deepEqual(evaluate([0x50]), { kind: 'register', regno: 0 }); // reg0
  assert.deepEqual(evaluate([0x90, 0x11]), { kind: 'register', regno: 17 }); // regx xmm0
  assert.deepEqual(evaluate([0x76, 0x10]), { kind: 'memory', address: 0x7ffe0010n }); // breg6 +16
  assert.deepEqual(evaluate([0x73, 0x7f]), { kind: 'memory', address: NEG(-17n) }); // breg3 -1 → -17
  assert.deepEqual(evaluate([0x92, 0x07, 0x08]), { kind: 'memory', address: 0x7ffd0008n }); // bregx rsp +8
  assert.deepEqual(evaluate([0x91, 0x68], {}, { ...ctx, frameBase: 0x5000n }), { kind: 'memory', address: 0x5000n - 24n }); // fbreg -24
  assert.deepEqual(evaluate([0x91, 0x08], { frameBase: () => 0x6000n }), { kind: 'memory', address: 0x6008n });
  assert.deepEqual(evaluate([0x9c]), { kind: 'memory', address: 0x7ffd0010n }); // call_frame_cfa
  assert.equal(evaluate([0x9c], {}, { ...ctx, cfa: undefined }).kind, 'unavailable');
  assert.equal(evaluate([0x91, 0x00]).kind, 'unavailable'); // no frame base
  assert.equal(value([0x70, 0x00, 0x06]), 0x0807060504030201n); // breg0 deref
  assert.equal(value([0x70, 0x00, 0x94, 0x02]), 0x0201n); // deref_size 2
  const failed = evaluate([0x0a, 0x00, 0x20, 0x06]); // deref of 0x2000: unreadable
  assert.deepEqual(failed, { kind: 'unavailable', reason: 'Cannot access memory at address 0x2000' });
  assert.deepEqual(evaluate([0x51]).kind, 'register'); // rdx location is fine even if unreadable
  assert.equal(evaluate([0x71, 0x00]).kind, 'unavailable'); // breg1: rdx not available
  assert.deepEqual(evaluate([0x03, 0x10, 0, 0, 0, 0, 0, 0, 0], { loadBias: 0x100n }), { kind: 'memory', address: 0x110n }); // addr + bias
});

test('pieces: registers, memory, values, empty pieces and bit pieces', () => {
  const composite = evaluate([0x50, 0x93, 0x04, 0x93, 0x04, 0x70, 0x00, 0x93, 0x08]); // rax:4, (empty):4, [rax]:8
  assert.equal(composite.kind, 'composite');
  const object = readObject(composite, 16, ctx);
  assert.ok('bytes' in object);
  assert.deepEqual([...object.bytes.subarray(0, 4)], [0x00, 0x10, 0x00, 0x00]); // rax = 0x1000
  assert.deepEqual([...object.known.subarray(0, 8)], [255, 255, 255, 255, 0, 0, 0, 0]);
  assert.deepEqual([...object.bytes.subarray(8)], [1, 2, 3, 4, 5, 6, 7, 8]);
  const bits = evaluate([0x33, 0x9f, 0x9d, 0x03, 0x00, 0x9d, 0x05, 0x00, 0x31, 0x9f, 0x9d, 0x08, 0x00]);
  const bitObject = readObject(bits, 2, ctx);
  assert.ok('bytes' in bitObject);
  // bits 0-2 = 3, bits 3-7 unknown, bits 8-15 = 1
  assert.equal(bitObject.bytes[0] & 0x07, 3);
  assert.equal(bitObject.known[0], 0x07);
  assert.deepEqual([bitObject.bytes[1], bitObject.known[1]], [1, 0xff]);
  const short = readObject(evaluate([0x50, 0x93, 0x02]), 8, ctx); // 2 bytes described of 8
  assert.ok('bytes' in short);
  assert.deepEqual([...(short.synthetic ?? [])], [0, 0, 1, 1, 1, 1, 1, 1]); // gdb: <synthetic pointer>
});

test('stack_value, implicit_value, implicit_pointer and empty expressions', () => {
  assert.deepEqual(evaluate([0x35, 0x9f]), { kind: 'value', value: 5n, size: undefined });
  const implicit = evaluate([0x9e, 0x03, 0xaa, 0xbb, 0xcc]);
  assert.equal(implicit.kind, 'bytes');
  assert.deepEqual([...(implicit as { bytes: Uint8Array }).bytes], [0xaa, 0xbb, 0xcc]);
  assert.deepEqual(evaluate([0xa0, 0x34, 0x12, 0x00, 0x00, 0x08]), { kind: 'implicitPointer', die: 0x1234, offset: 8n });
  assert.deepEqual(evaluate([0xf2, 0x34, 0x12, 0x00, 0x00, 0x7c]), { kind: 'implicitPointer', die: 0x1234, offset: -4n });
  assert.equal(evaluate([]).kind, 'unavailable');
  const readPointer = readObject({ kind: 'implicitPointer', die: 1, offset: 0n }, 8, ctx);
  assert.equal('bytes' in readPointer ? 'bytes' : readPointer.kind, 'unavailable');
});

test('entry values: unavailable, at function entry, and through the caller', () => {
  const entry = [0xa3, 0x01, 0x50, 0x9f]; // entry_value(reg0) stack_value
  const none = evaluate(entry);
  assert.equal(none.kind, 'unavailable');
  assert.match((none as { reason: string }).reason, /optimized out/);
  assert.deepEqual(evaluate(entry, { atFunctionEntry: true }), { kind: 'value', value: 0x1000n, size: undefined });
  assert.deepEqual(evaluate([0xf3, 0x01, 0x53, 0x9f], { entryValue: () => 77n }), { kind: 'value', value: 77n, size: undefined });
  assert.equal(evaluate(entry, { entryValue: () => ({ kind: 'unavailable', reason: 'no caller' }) }).kind, 'unavailable');
});

test('indexed addresses, typed values and DW_OP_call', () => {
  const indexed = { indexedAddress: (i: bigint) => 0x4000n + i * 8n, loadBias: 0x10n };
  assert.deepEqual(evaluate([0xa1, 0x02], indexed), { kind: 'memory', address: 0x4020n }); // addrx: biased
  assert.equal(value([0xa2, 0x01], indexed), 0x4008n); // constx: not biased
  assert.equal(evaluate([0xa1, 0x00]).kind, 'unavailable'); // no .debug_addr
  const types = { baseType: (offset: number) => (offset === 0x30 ? { size: 4, signed: true, float: false } : offset === 0x40 ? { size: 1, signed: false, float: false } : undefined) };
  // const_type int32 -1, convert to uint8 → 0xff
  assert.equal(value([0xa4, 0x30, 0x04, 0xff, 0xff, 0xff, 0xff, 0xa8, 0x40], types), 0xffn);
  // regval_type rbx as int32 → low 32 bits of -16
  assert.equal(value([0xa5, 0x03, 0x30], types), 0xfffffff0n);
  // deref_type 2 bytes as int32
  assert.equal(value([0x70, 0x00, 0xa6, 0x02, 0x30], types), 0x0201n);
  assert.equal(evaluate([0xa5, 0x03, 0x55]).kind, 'unavailable'); // unknown base type
  const call = { callExpression: (offset: number) => (offset === 0x20 ? Uint8Array.from([0x37]) : undefined) };
  assert.equal(value([0x98, 0x20, 0x00, 0x33, 0x22], call), 10n); // call2 pushes 7; + 3
});

test('malformed expressions throw DwarfFormatError', () => {
  assert.throws(() => evaluate([0x22]), DwarfFormatError); // plus on an empty stack
  assert.throws(() => evaluate([0xff]), DwarfFormatError); // unknown operator
  assert.throws(() => evaluate([0x50, 0x31]), DwarfFormatError); // op after a register location
  assert.throws(() => evaluate([0x0c, 0x01]), DwarfFormatError); // truncated operand
  assert.throws(() => evaluate([0x15, 0x05]), DwarfFormatError); // pick past the stack
});

test('an initial stack (e.g. DW_AT_data_member_location expressions)', () => {
  assert.deepEqual(evaluate([0x23, 0x08], {}, ctx, [0x1000n]), { kind: 'memory', address: 0x1008n });
});
