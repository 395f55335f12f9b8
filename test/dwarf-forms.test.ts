// Every attribute form, on hand-built DWARF 5 sections (compilers emit only some of them):
// strx1-4, addrx1-4, data16, implicit_const, indirect, ref1/2/4/8/udata, ref_addr, ref_sig8 to a
// type unit, flag/flag_present, sdata/udata, block forms, string/strp/line_strp, rnglistx and
// loclistx through their offset tables, DWARF 4 .debug_ranges/.debug_loc, and malformed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { ElfFile } from '../native/lib/elf';
import { DebugInfo, DwarfFile, DwarfFormatError, loadDebugSections, readLocationList, type DebugSections, dwarfConstants as K } from '../debug-adapter/engine/dwarf';
import { buildFixture, CORE_BUILDS } from './fixtures/dwarf/builds';
import { Bytes } from './support/bytes';

const { DW_TAG, DW_AT, DW_FORM } = K;

/** A DWARF 5 .debug_info unit around `body` (DIEs), with abbreviations at `abbrevOffset`. */
function unit(body: Bytes, abbrevOffset: number, unitType = 0x01, extra?: (b: Bytes) => void): Bytes {
  const header = new Bytes().u16(5).u8(unitType, 8).u32(abbrevOffset);
  extra?.(header);
  return new Bytes().u32(header.length + body.length).u8(...header.data, ...body.data);
}

function sections(): { sections: DebugSections; offsets: Record<string, number> } {
  const str = new Bytes().str('').str('from strp').str('idx0').str('idx1');
  const lineStr = new Bytes().str('from line_strp');
  const strOffsets = new Bytes().u32(12).u16(5).u16(0).u32(11).u32(16); // header, then offsets of idx0, idx1
  const addr = new Bytes().u32(4 + 3 * 8).u16(5).u8(8, 0).u64(0x1000n).u64(0x2000n).u64(0x3000n);
  const rnglists = new Bytes().u32(0).u16(5).u8(8, 0).u32(1); // length patched below; one offset
  const rnglistsBase = rnglists.length;
  rnglists.u32(4); // list 0 at base + 4
  rnglists.u8(0x03).uleb(1).uleb(0x10); // startx_length addr[1]=0x2000, len 0x10
  rnglists.u8(0x04).uleb(0x20).uleb(0x30); // offset_pair from base (unit low_pc 0x1000)
  rnglists.u8(0x00);
  rnglists.data.splice(0, 4, ...new Bytes().u32(rnglists.length - 4).data);
  const loclists = new Bytes().u32(0).u16(5).u8(8, 0).u32(1);
  const loclistsBase = loclists.length;
  loclists.u32(4);
  loclists.u8(0x09).uleb(0).uleb(1); // GNU view pair (skipped)
  loclists.u8(0x08).u64(0x1000n).uleb(0x10).uleb(1).u8(0x50); // start_length [0x1000,0x1010): reg0
  loclists.u8(0x05).uleb(1).u8(0x51); // default location: reg1
  loclists.u8(0x00);
  loclists.data.splice(0, 4, ...new Bytes().u32(loclists.length - 4).data);

  const abbrev = new Bytes();
  // 1: compile_unit with bases, children
  abbrev.uleb(1).uleb(DW_TAG.compile_unit).u8(1);
  for (const [a, f] of [
    [DW_AT.str_offsets_base, DW_FORM.sec_offset], [DW_AT.addr_base, DW_FORM.sec_offset], [DW_AT.rnglists_base, DW_FORM.sec_offset],
    [DW_AT.loclists_base, DW_FORM.sec_offset], [DW_AT.low_pc, DW_FORM.addrx1], [DW_AT.name, DW_FORM.strx1],
  ]) abbrev.uleb(a).uleb(f);
  abbrev.uleb(0).uleb(0);
  // 2: variable with many forms, no children
  abbrev.uleb(2).uleb(DW_TAG.variable).u8(0);
  const varForms: Array<[number, number, bigint?]> = [
    [DW_AT.name, DW_FORM.strx2], [DW_AT.description, DW_FORM.strx3], [DW_AT.linkage_name, DW_FORM.strx4],
    [DW_AT.low_pc, DW_FORM.addrx2], [DW_AT.high_pc, DW_FORM.addrx3], [DW_AT.entry_pc, DW_FORM.addrx4],
    [DW_AT.const_value, DW_FORM.data16], [DW_AT.decl_line, DW_FORM.implicit_const, 77n], [DW_AT.decl_column, DW_FORM.indirect],
    [DW_AT.external, DW_FORM.flag_present], [DW_AT.declaration, DW_FORM.flag], [DW_AT.bit_size, DW_FORM.sdata],
    [DW_AT.byte_size, DW_FORM.udata], [DW_AT.location, DW_FORM.block2], [DW_AT.producer, DW_FORM.string],
    [DW_AT.comp_dir, DW_FORM.strp], [DW_AT.decl_file, DW_FORM.line_strp], [DW_AT.type, DW_FORM.ref_udata],
    [DW_AT.sibling, DW_FORM.ref1], [DW_AT.specification, DW_FORM.ref2], [DW_AT.abstract_origin, DW_FORM.ref8],
    [DW_AT.containing_type, DW_FORM.ref_addr], [DW_AT.signature, DW_FORM.ref_sig8], [DW_AT.ranges, DW_FORM.rnglistx],
    [DW_AT.frame_base, DW_FORM.loclistx], [DW_AT.string_length, DW_FORM.block4], [DW_AT.count, DW_FORM.block1],
  ];
  for (const [a, f, c] of varForms) {
    abbrev.uleb(a).uleb(f);
    if (f === DW_FORM.implicit_const) abbrev.sleb(c as bigint);
  }
  abbrev.uleb(0).uleb(0);
  // 3: base_type, no children
  abbrev.uleb(3).uleb(DW_TAG.base_type).u8(0).uleb(DW_AT.name).uleb(DW_FORM.string).uleb(0).uleb(0);
  // 4: type_unit root with children
  abbrev.uleb(4).uleb(DW_TAG.type_unit).u8(1).uleb(0).uleb(0);
  // 5: structure_type in the type unit
  abbrev.uleb(5).uleb(DW_TAG.structure_type).u8(0).uleb(DW_AT.name).uleb(DW_FORM.string).uleb(DW_AT.byte_size).uleb(DW_FORM.data1).uleb(0).uleb(0);
  abbrev.uleb(0);

  // Type unit first (signature 0x1122334455667788, type DIE right after the root).
  const typeBody = new Bytes().uleb(4).uleb(5).str('remote').u8(24).u8(0);
  const headerSize = 4 + 2 + 1 + 1 + 4 + 8 + 4;
  const typeUnit = unit(typeBody, 0, 0x02, (h) => h.u64(0x1122334455667788n).u32(headerSize + 1));
  const cuStart = typeUnit.length;
  const cuHeaderSize = 4 + 2 + 1 + 1 + 4;
  const body = new Bytes();
  body.uleb(1).u32(8).u32(8).u32(rnglistsBase).u32(loclistsBase).u8(0).u8(0); // low_pc addrx1 0, name strx1 0
  const varOffset = cuHeaderSize + body.length;
  body.uleb(2).u16(1).u24(0).u32(1).u16(1).u24(2).u32(0);
  body.u8(...Array.from({ length: 16 }, (_, i) => i)); // data16
  body.uleb(DW_FORM.udata).uleb(300); // indirect → udata
  body.u8(1).sleb(-5).uleb(624485); // flag, sdata, udata
  body.u16(2).u8(0x91, 0x10); // block2: fbreg 16
  body.str('inline string').u32(1).u32(0); // string, strp → "from strp", line_strp
  const refUdataAt = body.length;
  body.u8(0x80, 0x00); // ref_udata: a two-byte (padded) ULEB128, patched below
  body.u8(0).u16(0).u64(0n); // ref1, ref2, ref8 (unit-relative 0: the unit header, unused)
  body.u32(0); // ref_addr, patched
  const refAddrAt = body.length - 4;
  body.u64(0x1122334455667788n); // ref_sig8
  body.uleb(0).uleb(0); // rnglistx 0, loclistx 0
  body.u32(3).u8(1, 2, 3).u8(2, 0x30, 0x9f); // block4, block1
  const baseOffset = cuHeaderSize + body.length;
  body.uleb(3).str('int');
  body.u8(0); // end of the unit's children
  body.data.splice(refUdataAt, 2, 0x80 | (baseOffset & 0x7f), baseOffset >> 7);
  const absoluteBase = cuStart + baseOffset;
  body.data.splice(refAddrAt, 4, ...new Bytes().u32(absoluteBase).data);
  const cu = unit(body, 0);
  const info = new Bytes().u8(...typeUnit.data, ...cu.data);
  return {
    sections: {
      info: info.build(), abbrev: abbrev.build(), str: str.build(), lineStr: lineStr.build(), strOffsets: strOffsets.build(),
      addr: addr.build(), rnglists: rnglists.build(), loclists: loclists.build(),
    },
    offsets: { variable: cuStart + varOffset, base: absoluteBase },
  };
}

test('every form decodes and interprets with the unit context', () => {
  const { sections: s, offsets } = sections();
  const file = new DwarfFile(s);
  assert.equal(file.units.length, 2);
  const [typeUnit, cu] = file.units;
  assert.equal(typeUnit.isTypeUnit, true);
  assert.equal(cu.name, 'idx0');
  assert.equal(cu.baseAddress, 0x1000n);
  const v = file.dieAt(offsets.variable);
  assert.ok(v);
  const attr = (name: number) => v.attr(name);
  assert.equal(cu.string(attr(DW_AT.name)), 'idx1');
  assert.equal(cu.string(attr(DW_AT.description)), 'idx0');
  assert.equal(cu.string(attr(DW_AT.linkage_name)), 'idx1');
  assert.equal(cu.address(attr(DW_AT.low_pc)), 0x2000n);
  assert.equal(cu.address(attr(DW_AT.high_pc)), 0x3000n);
  assert.equal(cu.address(attr(DW_AT.entry_pc)), 0x1000n);
  assert.deepEqual([...(attr(DW_AT.const_value)?.bytes ?? [])], Array.from({ length: 16 }, (_, i) => i));
  assert.equal(cu.constant(attr(DW_AT.decl_line)), 77n);
  assert.equal(cu.constant(attr(DW_AT.decl_column)), 300n);
  assert.equal(attr(DW_AT.decl_column)?.form, DW_FORM.udata);
  assert.equal(cu.flag(attr(DW_AT.external)), true);
  assert.equal(cu.flag(attr(DW_AT.declaration)), true);
  assert.equal(cu.constant(attr(DW_AT.bit_size)), -5n);
  assert.equal(cu.constant(attr(DW_AT.byte_size)), 624485n);
  assert.deepEqual([...(attr(DW_AT.location)?.bytes ?? [])], [0x91, 0x10]);
  assert.equal(cu.string(attr(DW_AT.producer)), 'inline string');
  assert.equal(cu.string(attr(DW_AT.comp_dir)), 'from strp');
  assert.equal(cu.string(attr(DW_AT.decl_file)), 'from line_strp');
  assert.equal(cu.reference(attr(DW_AT.type))?.offset, offsets.base);
  assert.equal(cu.reference(attr(DW_AT.containing_type))?.offset, offsets.base);
  const remote = cu.reference(attr(DW_AT.signature));
  assert.equal(remote?.tag, DW_TAG.structure_type);
  assert.equal(typeUnit.string(remote?.attr(DW_AT.name)), 'remote');
  assert.deepEqual(cu.pcRanges(v), [{ low: 0x2000n, high: 0x2010n }, { low: 0x1020n, high: 0x1030n }]);
  const locations = readLocationList(cu, attr(DW_AT.frame_base) as NonNullable<ReturnType<typeof attr>>);
  assert.deepEqual(locations.map((l) => [l.range, [...l.expression]]), [[{ low: 0x1000n, high: 0x1010n }, [0x50]], [undefined, [0x51]]]);
  assert.deepEqual([...(attr(DW_AT.string_length)?.bytes ?? [])], [1, 2, 3]);
  assert.deepEqual([...(attr(DW_AT.count)?.bytes ?? [])], [0x30, 0x9f]);
  assert.equal(v.parent?.tag, DW_TAG.compile_unit);
  assert.equal(cu.root?.children.length, 2);
});

test('DWARF 4 .debug_ranges and .debug_loc with base address selection entries', () => {
  const abbrev = new Bytes()
    .uleb(1).uleb(DW_TAG.compile_unit).u8(1).uleb(DW_AT.low_pc).uleb(DW_FORM.addr).uleb(0).uleb(0)
    .uleb(2).uleb(DW_TAG.lexical_block).u8(0).uleb(DW_AT.ranges).uleb(DW_FORM.sec_offset).uleb(DW_AT.location).uleb(DW_FORM.sec_offset).uleb(0).uleb(0)
    .uleb(0);
  const body = new Bytes().uleb(1).u64(0x400000n).uleb(2).u32(0).u32(0).u8(0);
  const header = new Bytes().u16(4).u32(0).u8(8);
  const info = new Bytes().u32(header.length + body.length).u8(...header.data, ...body.data);
  const ranges = new Bytes().u64(0x10n).u64(0x20n).u64(0xffffffffffffffffn).u64(0x500000n).u64(0x1n).u64(0x2n).u64(0n).u64(0n);
  const loc = new Bytes().u64(0x0n).u64(0x8n).u16(1).u8(0x50).u64(0xffffffffffffffffn).u64(0x600000n).u64(0x4n).u64(0x6n).u16(2).u8(0x91, 0x00).u64(0n).u64(0n);
  const file = new DwarfFile({ info: info.build(), abbrev: abbrev.build(), ranges: ranges.build(), loc: loc.build() });
  const cu = file.units[0];
  const block = cu.root?.children[0];
  assert.ok(block);
  assert.deepEqual(cu.pcRanges(block), [{ low: 0x400010n, high: 0x400020n }, { low: 0x500001n, high: 0x500002n }]);
  const entries = readLocationList(cu, block.attr(DW_AT.location) as NonNullable<ReturnType<typeof block.attr>>);
  assert.deepEqual(entries.map((e) => e.range), [{ low: 0x400000n, high: 0x400008n }, { low: 0x600004n, high: 0x600006n }]);
});

test('malformed debug information fails with DwarfFormatError naming the section and offset', () => {
  const { sections: s } = sections();
  // A truncated last unit: the units before it stay usable, the problem is reported.
  const truncated = new DwarfFile({ ...s, info: s.info?.subarray(0, s.info.length - 20) });
  assert.equal(truncated.units.length, 1);
  assert.equal(truncated.units[0].isTypeUnit, true);
  assert.equal(truncated.problems.length, 1);
  assert.match(truncated.problems[0].message, /\.debug_info: unit at 0x[0-9a-f]+ has length 0x[0-9a-f]+ past the section end/);
  const badVersion = Uint8Array.from(s.info ?? []);
  badVersion[4] = 9;
  const versioned = new DwarfFile({ ...s, info: badVersion });
  assert.equal(versioned.units.length, 0);
  assert.match(versioned.problems[0].message, /unit at 0x0 has unsupported version 9/);
  assert.ok(versioned.problems[0] instanceof DwarfFormatError);
  const file = new DwarfFile({ ...s, abbrev: new Uint8Array([0]) });
  assert.throws(() => file.units[1].root, (e: unknown) => e instanceof DwarfFormatError && /undefined abbreviation code 1/.test((e as Error).message) && /0x/.test((e as Error).message));
});

test('a unit with malformed DIEs is reported and the others still answer', () => {
  const path = buildFixture(CORE_BUILDS.find((b) => b.name === 'linux-gcc-O0') as (typeof CORE_BUILDS)[number]);
  const bytes = Uint8Array.from(fs.readFileSync(path));
  const elf = new ElfFile(bytes);
  const info = elf.section('.debug_info');
  assert.ok(info);
  const dwarf = new DwarfFile(loadDebugSections(elf));
  // Break the first child DIE of the unit for numeric.c: an abbreviation code no table defines.
  const victim = dwarf.units.find((u) => u.name?.endsWith('numeric.c'));
  assert.ok(victim);
  const child = victim.root?.children[0];
  assert.ok(child);
  bytes[Number(info.offset) + child.offset] = 0x7e;
  const broken = new DebugInfo(new ElfFile(bytes));
  const fn = (name: string): bigint => (elf.symbols().find((s) => s.name === name)?.value ?? 0n) + 4n;
  assert.equal(broken.functionAt(fn('shape_score'))[0]?.name, 'shape_score');
  assert.deepEqual(broken.functionAt(fn('factorial')), []);
  assert.equal(broken.problems.length, 1);
  assert.match(broken.problems[0].message, /\.debug_info: DIE at 0x[0-9a-f]+ uses undefined abbreviation code 126/);
});
