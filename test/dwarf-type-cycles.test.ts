// Malformed types that no compiler writes but a hostile or corrupt file can hold: a pointer,
// typedef or qualifier whose DW_AT_type chain comes back to itself, a struct that holds itself
// by value, and a size that is negative or huge. Each is a DwarfFormatError naming the DIE (both were found by `npm run fuzz -- --target
// dwarf`: a stack overflow in typeName, and a value that would print forever); a real cycle through
// a struct (a list node's `next`) still resolves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DwarfFile, DwarfFormatError, readObject, TypeResolver, typeName, dwarfConstants as K } from '../debug-adapter/engine/dwarf';
import { Bytes } from './support/bytes';

const { DW_TAG, DW_AT, DW_FORM } = K;
const HEADER = 4 + 2 + 1 + 1 + 4; // DWARF 5 compile-unit header

/** Abbreviations: 1 compile_unit (children), 2 pointer_type (type), 3 structure_type (name, size; children), 4 member (name, type, location), 5 typedef (name, type). */
function abbreviations(): Bytes {
  const a = new Bytes();
  a.uleb(1).uleb(DW_TAG.compile_unit).u8(1).uleb(0).uleb(0);
  a.uleb(2).uleb(DW_TAG.pointer_type).u8(0).uleb(DW_AT.type).uleb(DW_FORM.ref4).uleb(0).uleb(0);
  a.uleb(3).uleb(DW_TAG.structure_type).u8(1).uleb(DW_AT.name).uleb(DW_FORM.string).uleb(DW_AT.byte_size).uleb(DW_FORM.data1).uleb(0).uleb(0);
  a.uleb(4).uleb(DW_TAG.member).u8(0).uleb(DW_AT.name).uleb(DW_FORM.string).uleb(DW_AT.type).uleb(DW_FORM.ref4).uleb(DW_AT.data_member_location).uleb(DW_FORM.data1).uleb(0).uleb(0);
  a.uleb(5).uleb(DW_TAG.typedef).u8(0).uleb(DW_AT.name).uleb(DW_FORM.string).uleb(DW_AT.type).uleb(DW_FORM.ref4).uleb(0).uleb(0);
  return a.uleb(0);
}

/** One compile unit whose DIEs `write` lays out after the root; offsets are unit-relative. */
function unitWith(write: (body: Bytes, at: () => number) => void): DwarfFile {
  const body = new Bytes().uleb(1);
  write(body, () => HEADER + body.length);
  body.u8(0);
  const header = new Bytes().u16(5).u8(0x01, 8).u32(0);
  const info = new Bytes().u32(header.length + body.length).u8(...header.data, ...body.data);
  return new DwarfFile({ info: info.build(), abbrev: abbreviations().build() });
}

function resolveAt(file: DwarfFile, offset: number) {
  const die = file.dieAt(offset);
  assert.ok(die, `a DIE at ${offset}`);
  return new TypeResolver().resolve(file.units[0], die);
}

test('a pointer whose DW_AT_type is itself is refused, naming the DIE', () => {
  let pointer = 0;
  const file = unitWith((b, at) => {
    pointer = at();
    b.uleb(2).u32(pointer);
  });
  assert.throws(() => resolveAt(file, pointer), (e: unknown) => e instanceof DwarfFormatError && e.message === `DIE 0x${pointer.toString(16)}: its DW_AT_type chain comes back to it without passing a struct, union or enum`);
});

test('a typedef and a pointer that name each other are refused, and stay refused', () => {
  let typedef = 0;
  const file = unitWith((b, at) => {
    typedef = at();
    b.uleb(5).str('loop_t').u32(typedef + 1 + 7 + 4); // the pointer right after it
    b.uleb(2).u32(typedef);
  });
  const resolver = new TypeResolver();
  const die = file.dieAt(typedef)!;
  for (let attempt = 0; attempt < 2; attempt++) {
    assert.throws(() => resolver.resolve(file.units[0], die), DwarfFormatError, `attempt ${attempt + 1}`);
  }
});

test('a struct holding itself by value is refused; one holding a pointer to itself resolves', () => {
  let bad = 0;
  let good = 0;
  let pointer = 0;
  const file = unitWith((b, at) => {
    bad = at();
    b.uleb(3).str('S').u8(8);
    b.uleb(4).str('inner').u32(bad).u8(0);
    b.u8(0);
    good = at();
    pointer = good + 1 + 5 + 1 + (1 + 5 + 4 + 1) + 1;
    b.uleb(3).str('node').u8(8);
    b.uleb(4).str('next').u32(pointer).u8(0);
    b.u8(0);
    b.uleb(2).u32(good);
  });
  assert.throws(() => resolveAt(file, bad), (e: unknown) => e instanceof DwarfFormatError && /^DIE 0x[0-9a-f]+: member inner of struct S contains the struct itself by value$/.test(e.message));
  const node = resolveAt(file, good);
  assert.equal(typeName(node), 'struct node');
  assert.equal(node.kind === 'struct' ? typeName(node.members[0].type) : '', 'struct node *');
});

test('a typedef of a struct that holds the typedef by value is refused, whichever is resolved first', () => {
  let typedef = 0;
  let struct = 0;
  const file = unitWith((b, at) => {
    typedef = at();
    struct = typedef + 1 + 4 + 4;
    b.uleb(5).str('S_t').u32(struct);
    b.uleb(3).str('S').u8(8);
    b.uleb(4).str('inner').u32(typedef).u8(0);
    b.u8(0);
  });
  assert.throws(() => resolveAt(file, typedef), (e: unknown) => e instanceof DwarfFormatError && e.message === `DIE 0x${typedef.toString(16)}: the typedef's DW_AT_type holds the typedef itself by value`);
  assert.throws(() => resolveAt(file, struct), (e: unknown) => e instanceof DwarfFormatError && /^DIE 0x[0-9a-f]+: member inner of struct S contains the struct itself by value$/.test(e.message));
});

test('an object whose size a file made negative or larger than any guest memory is not read', () => {
  const reads: number[] = [];
  const ctx = {
    readRegister: () => undefined,
    readMemory: (_address: bigint, length: number) => {
      reads.push(length);
      return new Uint8Array(length);
    },
  };
  const at = { kind: 'memory', address: 0x1000n } as const;
  assert.deepEqual(readObject(at, -63, ctx), { kind: 'error', reason: 'the object\'s size -63 is not a byte count (a malformed DW_AT_byte_size or array bound)' });
  assert.deepEqual(readObject(at, 2 ** 40, ctx), { kind: 'error', reason: `the object's size ${2 ** 40} is larger than any guest's memory (268435456 bytes)` });
  assert.deepEqual(reads, [], 'no memory was read for them');
  assert.ok('bytes' in readObject(at, 1 << 20, ctx), 'a 1 MiB array is read whole, as the Variables view pages its elements from it');
});
