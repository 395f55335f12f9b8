// Unit tests of the CFI reader, the CFA program interpreter, the DWARF expression evaluator and
// unwind() on hand-assembled .eh_frame/.debug_frame bytes: every DW_CFA instruction, CIE versions
// 1, 3 and 4, 64-bit DWARF, augmentations z/R/P/L/S, every pointer encoding, and the stop rules.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BlockMemory, CfiFormatError, CfiSection, cfiReader, EhFrameHdrIndex, SortedFdeIndex, evaluateExpression, readEncodedPointer,
  unwind, unwindRowAt, unwindRows, type CfiModule, type CfiMatch, type FrameDescriptionEntry, type UnwindRow,
} from '../debug-adapter/engine/unwind';
import { Bytes } from './support/bytes';

const SECTION = 0x2000n; // link-time address of our synthetic .eh_frame

/** Appends a 32-bit-format record (length, then `body` which starts with the CIE id / pointer). */
function record(into: Bytes, body: (at: number) => Bytes): number {
  const at = into.length;
  const content = body(at).build();
  into.u32(content.length).append(content);
  return at;
}

/** An .eh_frame CIE "zR" (pcrel|sdata4 FDEs), cf=1, df=-8, ra=16, with rsp+8 / ra at c-8 as initial rules. */
function ehCie(into: Bytes, augmentation = 'zR', augData: number[] = [0x1b], initial: number[] = [0x0c, 7, 8, 0x90, 1]): number {
  return record(into, () => new Bytes().u32(0).u8(1).str(augmentation).uleb(1).sleb(-8).u8(16).uleb(augData.length).u8(...augData).u8(...initial));
}

function ehFde(into: Bytes, cie: number, pcBegin: bigint, length: number, program: number[], augData: number[] = []): number {
  return record(into, (at) => {
    const b = new Bytes().u32(at + 4 - cie); // CIE pointer: distance back from this field
    const field = SECTION + BigInt(at + 8);
    b.u32(Number(BigInt.asUintN(32, pcBegin - field))).u32(length).uleb(augData.length).u8(...augData).u8(...program);
    return b;
  });
}

function ehSection(build: (b: Bytes) => void): CfiSection {
  const b = new Bytes();
  build(b);
  b.u32(0); // terminator
  return new CfiSection('eh_frame', b.build(), { sectionAddress: SECTION, text: 0x1000n, data: 0x3000n });
}

function onlyFde(section: CfiSection): FrameDescriptionEntry {
  const fdes = new SortedFdeIndex(section).all();
  assert.equal(fdes.length, 1);
  return fdes[0];
}

function rowAt(section: CfiSection, pc: bigint): UnwindRow {
  const row = unwindRowAt(onlyFde(section), pc, section.bases);
  assert.ok(row);
  return row;
}

describe('CFI records', () => {
  test('an .eh_frame CIE and FDE with pcrel|sdata4, an LSDA and a personality', () => {
    const section = ehSection((b) => {
      const cie = ehCie(b, 'zPLR', [0x00, ...new Bytes().u64(0x4000n).data, 0x00, 0x1b]); // P absptr, L absptr, R pcrel|sdata4
      ehFde(b, cie, 0x1100n, 0x40, [], new Bytes().u64(0x5000n).data);
    });
    const fde = onlyFde(section);
    assert.equal(fde.pcBegin, 0x1100n);
    assert.equal(fde.pcEnd, 0x1140n);
    assert.equal(fde.lsda, 0x5000n);
    assert.equal(fde.cie.personality, 0x4000n);
    assert.equal(fde.cie.augmentation, 'zPLR');
    assert.equal(fde.cie.dataAlignment, -8n);
    assert.equal(fde.cie.returnAddressRegister, 16);
  });

  test('CIE versions 1, 3 and 4 in .debug_frame, 32- and 64-bit DWARF', () => {
    for (const version of [1, 3, 4]) {
      for (const is64 of [false, true]) {
        const b = new Bytes();
        const cieBody = new Bytes();
        if (is64) cieBody.u64(0xffffffffffffffffn); else cieBody.u32(0xffffffff);
        cieBody.u8(version).str('');
        if (version === 4) cieBody.u8(8, 0);
        cieBody.uleb(1).sleb(-8);
        if (version === 1) cieBody.u8(16); else cieBody.uleb(16);
        cieBody.u8(0x0c, 7, 8, 0x90, 1);
        if (is64) b.u32(0xffffffff).u64(BigInt(cieBody.length)); else b.u32(cieBody.length);
        b.append(cieBody.data);
        const fdeBody = new Bytes();
        if (is64) fdeBody.u64(0n); else fdeBody.u32(0);
        fdeBody.u64(0x401000n).u64(0x20n).u8(0x41, 0x0e, 16); // advance 1; def_cfa_offset 16
        if (is64) b.u32(0xffffffff).u64(BigInt(fdeBody.length)); else b.u32(fdeBody.length);
        b.append(fdeBody.data);
        const section = new CfiSection('debug_frame', b.build(), { sectionAddress: 0n });
        const fde = onlyFde(section);
        const label = `version ${version}, ${is64 ? 64 : 32}-bit`;
        assert.equal(fde.cie.version, version, label);
        assert.equal(fde.pcBegin, 0x401000n, label);
        assert.equal(fde.pcEnd, 0x401020n, label);
        const rows = unwindRows(fde, section.bases);
        assert.deepEqual(rows.map((r) => [r.start, r.end, r.cfa]), [
          [0x401000n, 0x401001n, { kind: 'register-offset', register: 7, offset: 8n }],
          [0x401001n, 0x401020n, { kind: 'register-offset', register: 7, offset: 16n }],
        ], label);
      }
    }
  });

  test("the 'S' augmentation marks signal frames; unknown letters after 'z' are skipped", () => {
    const section = ehSection((b) => {
      const cie = ehCie(b, 'zRSX', [0x1b, 0x99]);
      ehFde(b, cie, 0x1000n, 8, []);
    });
    const fde = onlyFde(section);
    assert.equal(fde.cie.signalFrame, true);
    assert.equal(fde.cie.understood, true);
  });

  test('a record running past the section, and an unknown opcode, are format errors', () => {
    assert.throws(() => new CfiSection('eh_frame', new Bytes().u32(100).u32(0).build(), { sectionAddress: 0n }).entryAt(0), CfiFormatError);
    const section = ehSection((b) => ehFde(b, ehCie(b), 0x1000n, 8, [0x3f]));
    assert.throws(() => unwindRows(onlyFde(section), section.bases), /unknown DW_CFA opcode 0x3f/);
  });
});

describe('pointer encodings', () => {
  const read = (bytes: number[], encoding: number, bases = { sectionAddress: 0x1000n, text: 0x2000n, data: 0x3000n, func: 0x4000n }) =>
    readEncodedPointer(cfiReader(Uint8Array.from(bytes), 'test'), encoding, bases, 'test');
  test('formats', () => {
    assert.equal(read(new Bytes().u64(0x1122334455667788n).data, 0x00), 0x1122334455667788n);
    assert.equal(read(new Bytes().uleb(300).data, 0x01), 300n);
    assert.equal(read([0xfe, 0xff], 0x02), 0xfffen);
    assert.equal(read([0xfe, 0xff, 0xff, 0xff], 0x03), 0xfffffffen);
    assert.equal(read(new Bytes().u64(5n).data, 0x04), 5n);
    assert.equal(read(new Bytes().sleb(-2).data, 0x09), 0xfffffffffffffffen);
    assert.equal(read([0xfe, 0xff], 0x0a), 0xfffffffffffffffen);
    assert.equal(read([0xfe, 0xff, 0xff, 0xff], 0x0b), 0xfffffffffffffffen);
    assert.equal(read(new Bytes().u64(-2n).data, 0x0c), 0xfffffffffffffffen);
  });
  test('applications: pcrel, textrel, datarel, funcrel, aligned, indirect', () => {
    assert.equal(read([0x10, 0, 0, 0], 0x1b), 0x1010n);
    assert.equal(read([0x10, 0, 0, 0], 0x23), 0x2010n);
    assert.equal(read([0x10, 0, 0, 0], 0x33), 0x3010n);
    assert.equal(read([0x10, 0, 0, 0], 0x43), 0x4010n);
    const reader = cfiReader(Uint8Array.from([0xaa, 0, 0, 0, 0, 0, 0, 0, ...new Bytes().u64(0x77n).data]), 'test', 1);
    assert.equal(readEncodedPointer(reader, 0x50, { sectionAddress: 0x1000n }, 'aligned'), 0x77n);
    const deref = (address: bigint) => (address === 0x1010n ? 0xabcdn : undefined);
    assert.equal(read([0x10, 0, 0, 0], 0x9b, { sectionAddress: 0x1000n, text: 0n, data: 0n, func: 0n, deref } as never), 0xabcdn);
    assert.throws(() => read([0, 0, 0, 0], 0x33, { sectionAddress: 0n } as never), /datarel/);
  });
});

describe('DW_CFA instructions', () => {
  const R = (offset: bigint) => ({ kind: 'offset', offset });
  const at = (program: number[], pc: bigint, length = 0x100) => rowAt(ehSection((b) => ehFde(b, ehCie(b), 0x1000n, length, program)), pc);

  test('advance_loc, advance_loc1/2/4, set_loc and the CIE initial rules', () => {
    // .debug_frame: CIE version 1 without augmentation, so pc_begin and set_loc are absolute addresses.
    const b = new Bytes();
    const cie = new Bytes().u32(0xffffffff).u8(1).str('').uleb(1).sleb(-8).u8(16).u8(0x0c, 7, 8, 0x90, 1);
    b.u32(cie.length).append(cie.data);
    const program = [0x41, 0x0e, 16, 0x02, 3, 0x0e, 24, 0x03, 0x10, 0x00, 0x0e, 32, 0x04, 0x00, 0x00, 0x01, 0x00, 0x0e, 40,
      0x01, ...new Bytes().u64(0x20000n).data, 0x0e, 48];
    const fde = new Bytes().u32(0).u64(0x1000n).u64(0x30000n).u8(...program);
    b.u32(fde.length).append(fde.data);
    const section = new CfiSection('debug_frame', b.build(), { sectionAddress: 0n });
    const rows = unwindRows(onlyFde(section), section.bases);
    assert.deepEqual(rows.map((r) => [r.start, r.cfa.kind === 'register-offset' ? r.cfa.offset : -1n]), [
      [0x1000n, 8n], [0x1001n, 16n], [0x1004n, 24n], [0x1014n, 32n], [0x11014n, 40n], [0x20000n, 48n],
    ]);
    assert.equal(rows[5].end, 0x31000n);
    assert.deepEqual(rows[0].registers.get(16), R(-8n));
  });

  test('offset forms, restore forms, undefined, same_value, register', () => {
    const program = [
      0x86, 2, // offset rbp, 2 * -8
      0x05, 3, 3, // offset_extended rbx, 3 * -8
      0x11, 12, 0x7c, // offset_extended_sf r12, -4 * -8 = +32
      0x2f, 13, 2, // GNU_negative_offset_extended r13, -(2 * -8) = +16
      0x07, 14, // undefined r14
      0x08, 15, // same_value r15
      0x09, 1, 2, // register rdx in rcx
      0x41,
      0xc6, // restore rbp (no initial rule → unspecified)
      0x06, 3, // restore_extended rbx
      0x06, 16, // restore_extended ra → its initial rule
    ];
    const before = at(program, 0x1000n);
    assert.deepEqual(before.registers.get(6), R(-16n));
    assert.deepEqual(before.registers.get(3), R(-24n));
    assert.deepEqual(before.registers.get(12), R(32n));
    assert.deepEqual(before.registers.get(13), R(16n));
    assert.deepEqual(before.registers.get(14), { kind: 'undefined' });
    assert.deepEqual(before.registers.get(15), { kind: 'same-value' });
    assert.deepEqual(before.registers.get(1), { kind: 'register', register: 2 });
    const after = at(program, 0x1001n);
    assert.equal(after.registers.has(6), false);
    assert.equal(after.registers.has(3), false);
    assert.deepEqual(after.registers.get(16), R(-8n));
  });

  test('def_cfa forms, expressions, val_offset forms, val_expression, args_size', () => {
    const program = [
      0x0c, 6, 16, // def_cfa rbp+16
      0x41, 0x0d, 3, // def_cfa_register rbx (keeps 16)
      0x41, 0x12, 7, 0x7e, // def_cfa_sf rsp, -2 * -8 = 16
      0x41, 0x13, 0x7d, // def_cfa_offset_sf: -3 * -8 = 24
      0x41, 0x0f, 2, 0x77, 0x08, // def_cfa_expression: breg7 +8
      0x10, 6, 2, 0x91, 0x70, // expression rbp
      0x14, 3, 2, // val_offset rbx: 2 * -8
      0x15, 12, 0x7f, // val_offset_sf r12: -1 * -8
      0x16, 13, 1, 0x30, // val_expression r13: lit0
      0x2e, 32, // GNU_args_size 32
    ];
    assert.deepEqual(at(program, 0x1000n).cfa, { kind: 'register-offset', register: 6, offset: 16n });
    assert.deepEqual(at(program, 0x1001n).cfa, { kind: 'register-offset', register: 3, offset: 16n });
    assert.deepEqual(at(program, 0x1002n).cfa, { kind: 'register-offset', register: 7, offset: 16n });
    assert.deepEqual(at(program, 0x1003n).cfa, { kind: 'register-offset', register: 7, offset: 24n });
    const last = at(program, 0x1004n);
    assert.equal(last.cfa.kind, 'expression');
    assert.deepEqual([...(last.registers.get(6) as { expression: Uint8Array }).expression], [0x91, 0x70]);
    assert.deepEqual(last.registers.get(3), { kind: 'val-offset', offset: -16n });
    assert.deepEqual(last.registers.get(12), { kind: 'val-offset', offset: 8n });
    assert.equal(last.registers.get(13)?.kind, 'val-expression');
    assert.equal(last.argsSize, 32n);
  });

  test('remember_state/restore_state save the CFA rule and the register rules', () => {
    const program = [0x41, 0x0e, 16, 0x86, 2, 0x0a, 0x41, 0x0e, 8, 0xc6, 0x41, 0x0b, 0x41, 0x0b];
    assert.deepEqual(at(program, 0x1002n).cfa, { kind: 'register-offset', register: 7, offset: 8n });
    const restored = at(program, 0x1003n);
    assert.deepEqual(restored.cfa, { kind: 'register-offset', register: 7, offset: 16n });
    assert.deepEqual(restored.registers.get(6), R(-16n));
    assert.throws(() => at(program, 0x1004n), /restore_state without/);
  });

  test('nop padding and rows past the last advance run to pc_end', () => {
    const rows = unwindRows(onlyFde(ehSection((b) => ehFde(b, ehCie(b), 0x1000n, 0x10, [0x44, 0x0e, 16, 0, 0, 0]))), { sectionAddress: SECTION });
    assert.deepEqual(rows.map((r) => [r.start, r.end]), [[0x1000n, 0x1004n], [0x1004n, 0x1010n]]);
  });
});

describe('DWARF expressions', () => {
  const registers = new Map([[7, 0x7000n], [6, 0x6000n]]);
  const memory = new Map([[0x7008n, 0x1234n]]);
  const context = { register: (n: number) => registers.get(n), readMemory: (a: bigint) => memory.get(a), cfa: 0x9000n };
  const run = (bytes: number[], initial: bigint[] = []) => evaluateExpression(Uint8Array.from(bytes), context, initial);

  test('constants, stack operations and arithmetic', () => {
    assert.equal(run([0x30 + 5, 0x30 + 7, 0x22]), 12n); // lit5 lit7 plus
    assert.equal(run([0x08, 200, 0x09, 0xff, 0x22]), 199n); // const1u 200 + const1s -1
    assert.equal(run([0x0a, 0x34, 0x12, 0x0b, 0xff, 0xff, 0x22]), 0x1233n);
    assert.equal(run([0x0c, 1, 0, 0, 0, 0x0d, 0xff, 0xff, 0xff, 0xff, 0x1c]), 2n); // 1 - (-1)
    assert.equal(run([0x0e, ...new Bytes().u64(7n).data, 0x0f, ...new Bytes().u64(-7n).data, 0x1e]), BigInt.asUintN(64, -49n));
    assert.equal(run([0x10, 0xe5, 0x8e, 0x26, 0x11, 0x7f, 0x22]), 624484n);
    assert.equal(run([0x31, 0x12, 0x22]), 2n); // dup
    assert.equal(run([0x31, 0x32, 0x13]), 1n); // drop
    assert.equal(run([0x31, 0x32, 0x14]), 1n); // over
    assert.equal(run([0x31, 0x32, 0x33, 0x15, 2]), 1n); // pick 2
    assert.equal(run([0x31, 0x32, 0x16]), 1n); // swap
    assert.equal(run([0x31, 0x32, 0x33, 0x17]), 2n); // rot: 1 2 3 -> 3 1 2
    assert.equal(run([0x11, 0x7b, 0x19]), 5n); // abs(-5)
    assert.equal(run([0x3c, 0x3a, 0x1a]), 8n); // 12 & 10
    assert.equal(run([0x11, 0x74, 0x33, 0x1b]), BigInt.asUintN(64, -4n)); // -12 / 3
    assert.equal(run([0x3a, 0x33, 0x1d]), 1n); // 10 % 3
    assert.equal(run([0x35, 0x1f]), BigInt.asUintN(64, -5n));
    assert.equal(run([0x30, 0x20]), 0xffffffffffffffffn);
    assert.equal(run([0x3c, 0x3a, 0x21]), 14n);
    assert.equal(run([0x31, 0x23, 0x80, 0x01]), 129n); // plus_uconst 128
    assert.equal(run([0x31, 0x34, 0x24]), 16n);
    assert.equal(run([0x11, 0x70, 0x32, 0x25]), 0x3ffffffffffffffcn); // shr
    assert.equal(run([0x11, 0x70, 0x32, 0x26]), BigInt.asUintN(64, -4n)); // shra
    assert.equal(run([0x3c, 0x3a, 0x27]), 6n);
    assert.deepEqual([0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e].map((op) => run([0x32, 0x33, op])), [0n, 0n, 0n, 1n, 1n, 1n]);
  });

  test('registers, memory, branches, the CFA and the initial stack', () => {
    assert.equal(run([0x77, 0x08]), 0x7008n); // breg7 + 8
    assert.equal(run([0x92, 7, 0x08, 0x06]), 0x1234n); // bregx 7 + 8; deref
    assert.equal(run([0x77, 0x08, 0x94, 8]), 0x1234n); // deref_size 8
    assert.equal(run([0x90, 6]), 0x6000n); // regx
    assert.equal(run([0x56]), 0x6000n); // reg6 read as a value
    assert.equal(run([0x9c]), 0x9000n); // call_frame_cfa
    assert.equal(run([0x23, 0x10], [0x100n]), 0x110n);
    assert.equal(run([0x31, 0x28, 2, 0, 0x3a, 0x96, 0x3b]), 11n); // bra taken skips lit10
    assert.equal(run([0x30, 0x28, 1, 0, 0x3a, 0x9f]), 10n); // bra not taken; stack_value
    assert.equal(run([0x2f, 1, 0, 0x3a, 0x3b]), 11n); // skip
    assert.equal(run([0x03, ...new Bytes().u64(0xabcdn).data]), 0xabcdn);
    assert.throws(() => run([0x22]), /underflow/);
    assert.throws(() => run([0x53]), /register 3 is not known/);
    assert.throws(() => run([0x30, 0x06]), /cannot read/);
    assert.throws(() => run([0x2f, 0xfd, 0xff]), /too many steps/);
    assert.throws(() => run([0x31, 0x30, 0x1b]), /division by zero/);
    assert.throws(() => run([0xe0]), /not supported/);
  });
});

describe('unwind() on synthetic frames', () => {
  // A module stand-in whose CFI is one section; `contains` says which pcs it covers.
  function fakeModule(section: CfiSection, range: [bigint, bigint]): CfiModule {
    const index = new SortedFdeIndex(section);
    const module = {
      name: 'fake',
      loadBias: 0n,
      contains: (pc: bigint) => pc >= range[0] && pc < range[1],
      find: (pc: bigint): CfiMatch | undefined => {
        const fde = index.find(pc);
        const row = fde && unwindRowAt(fde, pc, section.bases);
        return fde && row ? { section: 'eh_frame', fde, row } : undefined;
      },
    };
    return module as unknown as CfiModule;
  }
  const stack = (base: bigint, words: bigint[]) => new BlockMemory().add(base, Uint8Array.from(words.flatMap((w) => new Bytes().u64(w).data)));

  test('rules of every kind recover the caller, whose lookups use pc − 1; .cfi_undefined rip ends the stack', () => {
    const section = ehSection((b) => {
      const cie = ehCie(b);
      // 0x1000..0x1100: CFA rsp+32; rbx saved at c-16; rbp = CFA-24 (val_offset); r12 in r13; r14 saved at the
      // address CFA-32 (expression: consts -32; plus); r15 = CFA+5 (val_expression: lit5; plus); rcx undefined.
      ehFde(b, cie, 0x1000n, 0x100, [0x0e, 32, 0x83, 2, 0x14, 6, 3, 0x09, 12, 13, 0x10, 14, 3, 0x11, 0x60, 0x22, 0x16, 15, 2, 0x35, 0x22, 0x07, 2]);
      // 0x2000..0x2100: the entry point: rip undefined.
      ehFde(b, cie, 0x2000n, 0x100, [0x0e, 16, 0x07, 16]);
    });
    const module = fakeModule(section, [0x1000n, 0x3000n]);
    // Frame 0: rsp 0x8000, pc 0x1010 → CFA 0x8020: ra at 0x8018 = 0x2001 (lookup 0x2000), rbx at 0x8010.
    const memory = stack(0x8000n, [0xaaaan /* CFA-32: r14 */, 0n, 0xbbbbn /* rbx */, 0x2001n /* ra */, 0n, 0n, 0n, 0n]);
    const result = unwind({ rip: 0x1010n, rsp: 0x8000n, rbx: 1n, rbp: 2n, r12: 3n, r13: 4n, r14: 5n, r15: 6n, rcx: 7n }, memory, [module]);
    assert.equal(result.stopReason, 'outermost', result.error);
    assert.equal(result.frames.length, 2);
    const [inner, outer] = result.frames;
    assert.equal(inner.cfa, 0x8020n);
    assert.equal(inner.unwoundBy, 'first');
    assert.equal(inner.lookupPc, 0x1010n);
    assert.equal(outer.pc, 0x2001n);
    assert.equal(outer.lookupPc, 0x2000n);
    assert.equal(outer.unwoundBy, 'cfi');
    assert.equal(outer.cfa, 0x8030n);
    assert.deepEqual(outer.registers, { rsp: 0x8020n, rbx: 0xbbbbn, rbp: 0x8008n, r12: 4n, r13: 4n, r14: 0xaaaan, r15: 0x8025n, rip: 0x2001n });
  });

  test('a zero return address, a non-increasing CFA and the frame limit stop the walk', () => {
    const section = ehSection((b) => ehFde(b, ehCie(b), 0x1000n, 0x100, []));
    const module = fakeModule(section, [0x1000n, 0x2000n]);
    const zero = unwind({ rip: 0x1000n, rsp: 0x8000n }, stack(0x8000n, [0n]), [module]);
    assert.equal(zero.stopReason, 'pc-zero');
    assert.equal(zero.frames.length, 1);
    // A return address into the same function with the same stack: the caller's CFA would not be higher.
    const loopSection = ehSection((b) => ehFde(b, ehCie(b, 'zR', [0x1b], [0x0c, 7, 0, 0x90, 1]), 0x1000n, 0x100, []));
    const loop = unwind({ rip: 0x1010n, rsp: 0x8008n }, stack(0x8000n, [0x1010n, 0x1010n]), [fakeModule(loopSection, [0x1000n, 0x2000n])]);
    assert.equal(loop.stopReason, 'non-increasing-cfa');
    // Recursion deeper than the limit.
    const words = Array.from({ length: 300 }, () => 0x1011n);
    const deep = unwind({ rip: 0x1010n, rsp: 0x8000n }, stack(0x8000n, words), [module], { maxFrames: 256 });
    assert.equal(deep.stopReason, 'max-frames');
    assert.equal(deep.frames.length, 256);
  });

  test('an unreadable saved register stops with the frame kept and a reason', () => {
    const section = ehSection((b) => ehFde(b, ehCie(b), 0x1000n, 0x100, []));
    const result = unwind({ rip: 0x1000n, rsp: 0x8000n }, new BlockMemory(), [fakeModule(section, [0x1000n, 0x2000n])]);
    assert.equal(result.stopReason, 'unreadable');
    assert.equal(result.frames.length, 1);
    assert.match(result.error ?? '', /cannot read/);
  });

  test('signal frames: the next lookup uses the exact pc', () => {
    const section = ehSection((b) => {
      ehFde(b, ehCie(b, 'zRS', [0x1b]), 0x1000n, 0x100, []);
      ehFde(b, ehCie(b), 0x2000n, 0x100, [0x07, 16]);
    });
    const result = unwind({ rip: 0x1000n, rsp: 0x8000n }, stack(0x8000n, [0x2000n]), [fakeModule(section, [0x1000n, 0x3000n])]);
    assert.equal(result.frames[1].lookupPc, 0x2000n);
    assert.equal(result.stopReason, 'outermost');
  });

  test('without CFI the rbp chain is followed, and the innermost frame may be at a prologue', () => {
    // Frame 0 at "push rbp" of a function: CFA = rsp + 8.
    const code = new BlockMemory().add(0x5000n, Uint8Array.from([0x55, 0x48, 0x89, 0xe5, 0x90]));
    const frames = new BlockMemory()
      .add(0x8000n, Uint8Array.from([...new Bytes().u64(0x5004n).data])) // return address into the function body
      .add(0x9000n, Uint8Array.from([...new Bytes().u64(0x9100n).data, ...new Bytes().u64(0x5004n).data])) // rbp chain link 1
      .add(0x9100n, Uint8Array.from([...new Bytes().u64(0n).data, ...new Bytes().u64(0n).data])); // end: return address 0
    const memory = { read: (a: bigint, n: number) => code.read(a, n) ?? frames.read(a, n) };
    const result = unwind({ rip: 0x5000n, rsp: 0x8000n, rbp: 0x9000n }, memory, []);
    assert.deepEqual(result.frames.map((f) => [f.pc, f.cfa, f.unwoundBy]), [
      [0x5000n, 0x8008n, 'first'],
      [0x5004n, 0x9010n, 'frame-pointer'],
      [0x5004n, 0x9110n, 'frame-pointer'],
    ]);
    assert.equal(result.stopReason, 'pc-zero');
    const noFallback = unwind({ rip: 0x5000n, rsp: 0x8000n, rbp: 0x9000n }, memory, [], { framePointerFallback: false });
    assert.equal(noFallback.stopReason, 'no-unwind-info');
  });

  test('an injected expression evaluator is used for expression rules', () => {
    const section = ehSection((b) => ehFde(b, ehCie(b, 'zR', [0x1b], [0x0f, 1, 0x96, 0x07, 16]), 0x1000n, 0x100, []));
    let calls = 0;
    const result = unwind({ rip: 0x1000n, rsp: 0x8000n }, new BlockMemory(), [fakeModule(section, [0x1000n, 0x2000n])], {
      evaluator: () => { calls++; return 0x1234n; },
    });
    assert.equal(calls, 1);
    assert.equal(result.frames[0].cfa, 0x1234n);
  });
});

describe('.eh_frame_hdr', () => {
  test('the binary-search table finds each FDE, pcrel eh_frame_ptr and datarel|sdata4 entries', () => {
    const HDR = 0x1800n;
    let offsets: number[] = [];
    const section = ehSection((b) => {
      const cie = ehCie(b);
      offsets = [0x1000n, 0x1100n, 0x1300n].map((pc) => ehFde(b, cie, pc, 0x80, []));
    });
    const hdr = new Bytes().u8(1, 0x1b, 0x03, 0x3b).u32(Number(SECTION - (HDR + 4n))).u32(3);
    [0x1000, 0x1100, 0x1300].forEach((pc, i) => hdr.u32(pc - Number(HDR)).u32(Number(SECTION) + offsets[i] - Number(HDR)));
    const index = new EhFrameHdrIndex(hdr.build(), HDR, section);
    assert.equal(index.header.ehFramePointer, SECTION);
    assert.equal(index.header.fdeCount, 3);
    assert.equal(index.find(0x1000n)?.pcBegin, 0x1000n);
    assert.equal(index.find(0x107fn)?.pcBegin, 0x1000n);
    assert.equal(index.find(0x1080n), undefined);
    assert.equal(index.find(0x1310n)?.pcBegin, 0x1300n);
    assert.equal(index.find(0xfffn), undefined);
  });
});
