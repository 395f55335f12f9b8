// The primitives dwarf/ and unwind/ share (debug-adapter/engine/shared): the ByteReader and the
// DW_OP decoder. Each domain's reader fails with its own error class.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DW_OP, readOperation } from '../debug-adapter/engine/shared/dwarf-operations';
import { DwarfFormatError } from '../debug-adapter/engine/dwarf';
import { dwarfReader } from '../debug-adapter/engine/dwarf/reader';
import { CfiFormatError, cfiReader } from '../debug-adapter/engine/unwind';

const bytes = (...values: number[]) => Uint8Array.from(values);

test('ByteReader: fixed-size little-endian reads, signed and unsigned', () => {
  const r = dwarfReader(bytes(0xfe, 0xfe, 0xff, 0x01, 0x02, 0x03, 0xff, 0xff, 0xff, 0xff), '.test');
  assert.equal(r.i8(), -2);
  assert.equal(r.i16(), -2);
  assert.equal(r.u24(), 0x030201);
  assert.equal(r.i32(), -1);
  assert.ok(r.atEnd());
  const wide = dwarfReader(bytes(1, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xff), '.test');
  assert.equal(wide.u64(), 0x8000000000000001n);
  assert.equal(wide.signed(2), -1n);
  assert.equal(dwarfReader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), '.test').i64(), -1n);
});

test('ByteReader: LEB128 (DWARF 5 §7.6 examples) and values wider than 64 bits', () => {
  const uleb = (...b: number[]) => dwarfReader(bytes(...b), '.test').uleb();
  const sleb = (...b: number[]) => dwarfReader(bytes(...b), '.test').sleb();
  assert.equal(uleb(2), 2n);
  assert.equal(uleb(0x7f), 127n);
  assert.equal(uleb(0x80, 0x01), 128n);
  assert.equal(uleb(0xb9, 0x64), 12857n);
  assert.equal(sleb(0x7e), -2n);
  assert.equal(sleb(0xff, 0x7e), -129n);
  assert.equal(sleb(0x80, 0x7f), -128n);
  // Eleven bytes: truncated to 64 bits.
  assert.equal(uleb(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), 0xffffffffffffffffn);
  assert.equal(sleb(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), -1n);
  assert.throws(() => dwarfReader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), '.test').ulebNumber('count'), /\.test: count at offset 0x0 is too large/);
});

test('ByteReader: strings, blocks, sub-ranges and initial lengths', () => {
  const r = dwarfReader(bytes(0x68, 0x69, 0, 0xc3, 0xa9, 0, 1, 2, 3), '.test');
  assert.equal(r.cstring(), 'hi');
  assert.equal(r.cstring(), 'é');
  assert.deepEqual([...r.bytesOf(2)], [1, 2]);
  assert.equal(r.remaining, 1);
  const sub = r.sub(6, 8);
  assert.equal(sub.u16(), 0x0201);
  assert.throws(() => sub.u8(), /\.test: u8 at offset 0x8 runs past the end \(0x8\)/);
  assert.throws(() => r.sub(0, 10), DwarfFormatError);
  assert.deepEqual(dwarfReader(bytes(0x10, 0, 0, 0), '.test').initialLength(), { length: 0x10, offsetSize: 4 });
  assert.deepEqual(dwarfReader(bytes(0xff, 0xff, 0xff, 0xff, 0x20, 0, 0, 0, 0, 0, 0, 0), '.test').initialLength(), { length: 0x20, offsetSize: 8 });
  assert.throws(() => dwarfReader(bytes(0xf0, 0xff, 0xff, 0xff), '.test').initialLength(), /reserved unit length/);
  assert.throws(() => dwarfReader(bytes(0x61), '.test').cstring('name'), /name at offset 0x0 has no terminating NUL/);
});

test('ByteReader: every failure is the reader’s error class and names the section', () => {
  assert.throws(() => dwarfReader(bytes(1), '.debug_info').u32(), (e: unknown) => e instanceof DwarfFormatError && /^\.debug_info: u32 at offset 0x0 runs past the end/.test((e as Error).message));
  assert.throws(() => cfiReader(bytes(1), '.eh_frame CIE at 0x0').u32('length'), (e: unknown) => e instanceof CfiFormatError && /^\.eh_frame CIE at 0x0: length at offset 0x0 runs past the end/.test((e as Error).message));
  assert.throws(() => cfiReader(bytes(0x80), 'x').uleb('code_alignment_factor'), CfiFormatError);
  assert.throws(() => cfiReader(bytes(1, 2, 3), 'x').unsigned(5), /unsupported 5-byte value/);
  assert.throws(() => dwarfReader(bytes(1), '.test', 0, 2), /range end 0x2 is past the section end 0x1/);
  const reader = cfiReader(bytes(1, 2), 'x');
  reader.pos = -1;
  assert.throws(() => reader.u8(), CfiFormatError);
});

test('DW_OP decoder: operands of each shape', () => {
  const decode = (...b: number[]) => readOperation(dwarfReader(bytes(...b), 'DWARF expression'), { addressSize: 8 });
  const fields = (...b: number[]) => {
    const { op, a, b: second, block } = decode(...b);
    return { op, a, b: second, block: block && [...block] };
  };
  assert.deepEqual(fields(DW_OP.lit0 + 5), { op: DW_OP.lit0 + 5, a: 5n, b: 0n, block: undefined });
  assert.deepEqual(fields(DW_OP.reg0 + 6), { op: DW_OP.reg0 + 6, a: 6n, b: 0n, block: undefined });
  assert.deepEqual(fields(DW_OP.breg0 + 7, 0x78), { op: DW_OP.breg0 + 7, a: 7n, b: -8n, block: undefined });
  assert.deepEqual(fields(DW_OP.bregx, 17, 0x10), { op: DW_OP.bregx, a: 17n, b: 16n, block: undefined });
  assert.deepEqual(fields(DW_OP.addr, 1, 2, 3, 4, 5, 6, 7, 8), { op: DW_OP.addr, a: 0x0807060504030201n, b: 0n, block: undefined });
  assert.deepEqual(fields(DW_OP.const2s, 0xfe, 0xff), { op: DW_OP.const2s, a: -2n, b: 0n, block: undefined });
  assert.deepEqual(fields(DW_OP.skip, 0xfd, 0xff), { op: DW_OP.skip, a: -3n, b: 0n, block: undefined });
  assert.deepEqual(fields(DW_OP.bit_piece, 3, 5), { op: DW_OP.bit_piece, a: 3n, b: 5n, block: undefined });
  assert.deepEqual(fields(DW_OP.implicit_value, 2, 0xaa, 0xbb), { op: DW_OP.implicit_value, a: 0n, b: 0n, block: [0xaa, 0xbb] });
  assert.deepEqual(fields(DW_OP.const_type, 0x2a, 1, 0x7f), { op: DW_OP.const_type, a: 0x2an, b: 0n, block: [0x7f] });
  assert.deepEqual(fields(DW_OP.deref_type, 4, 0x30), { op: DW_OP.deref_type, a: 4n, b: 0x30n, block: undefined });
  assert.deepEqual(fields(DW_OP.implicit_pointer, 0x10, 0, 0, 0, 0x04), { op: DW_OP.implicit_pointer, a: 0x10n, b: 4n, block: undefined });
  assert.deepEqual(fields(DW_OP.entry_value, 1, DW_OP.reg0 + 5), { op: DW_OP.entry_value, a: 0n, b: 0n, block: [DW_OP.reg0 + 5] });
  assert.equal(readOperation(dwarfReader(bytes(DW_OP.addr, 1, 0, 0, 0), 'DWARF expression'), { addressSize: 4 }).a, 1n);
  const r = dwarfReader(bytes(DW_OP.nop, DW_OP.plus_uconst, 0x80, 0x01), 'DWARF expression');
  assert.deepEqual([readOperation(r, { addressSize: 8 }).at, readOperation(r, { addressSize: 8 }).a, r.atEnd()], [0, 128n, true]);
});

test('DW_OP decoder: unknown and truncated operations fail with the reader’s class', () => {
  assert.throws(() => readOperation(dwarfReader(bytes(0xff), 'DWARF expression'), { addressSize: 8 }), (e: unknown) => e instanceof DwarfFormatError && (e as Error).message === 'DWARF expression: unknown operator 0xff at offset 0x0');
  assert.throws(() => readOperation(cfiReader(bytes(0xff), 'DWARF expression'), { addressSize: 8 }), CfiFormatError);
  assert.throws(() => readOperation(cfiReader(bytes(DW_OP.const4u, 1), 'DWARF expression'), { addressSize: 8 }), CfiFormatError);
});
