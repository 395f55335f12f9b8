// Debugging information entries: attribute values as encoded (form + raw payload) and the DIE tree
// of one unit. Interpreting a value (strings through .debug_str_offsets, addresses through
// .debug_addr, references) needs the unit's context and lives in unit.ts.
import type { AbbreviationTable, AttributeSpec } from './abbrev';
import { DW_FORM, formName } from './constants';
import { DwarfFormatError, hex } from './errors';
import { dwarfReader, type ByteReader } from './reader';
import type { UnitHeader } from './unit-header';

/**
 * One attribute as stored. `raw` is the numeric payload: the value of constant, flag and address
 * forms, the section offset of strp/line_strp/sec_offset/ref_addr, the unit-relative offset of
 * ref1..ref_udata, the index of strx/addrx/loclistx/rnglistx forms, the signature of ref_sig8 and
 * the stored constant of implicit_const (sdata and implicit_const are sign-extended). Blocks,
 * exprloc and data16 carry `bytes`; DW_FORM_string carries `text`.
 */
export interface Attribute {
  readonly name: number;
  readonly form: number;
  readonly raw: bigint;
  readonly bytes?: Uint8Array;
  readonly text?: string;
  /** DW_FORM_string: the string's bytes (without the NUL), undecoded. */
  readonly textBytes?: Uint8Array;
}

export function readAttribute(reader: ByteReader, spec: AttributeSpec, header: UnitHeader): Attribute {
  let form = spec.form;
  while (form === DW_FORM.indirect) form = reader.ulebNumber('indirect form');
  const name = spec.name;
  const value = (raw: bigint): Attribute => ({ name, form, raw });
  const block = (length: number): Attribute => ({ name, form, raw: BigInt(length), bytes: reader.bytesOf(length) });
  switch (form) {
    case DW_FORM.addr:
      return value(reader.address(header.addressSize));
    case DW_FORM.block1:
      return block(reader.u8());
    case DW_FORM.block2:
      return block(reader.u16());
    case DW_FORM.block4:
      return block(reader.u32());
    case DW_FORM.block:
    case DW_FORM.exprloc:
      return block(reader.ulebNumber('block length'));
    case DW_FORM.data16:
      return block(16);
    case DW_FORM.data1:
    case DW_FORM.ref1:
    case DW_FORM.flag:
    case DW_FORM.strx1:
    case DW_FORM.addrx1:
      return value(BigInt(reader.u8()));
    case DW_FORM.data2:
    case DW_FORM.ref2:
    case DW_FORM.strx2:
    case DW_FORM.addrx2:
      return value(BigInt(reader.u16()));
    case DW_FORM.strx3:
    case DW_FORM.addrx3:
      return value(BigInt(reader.u24()));
    case DW_FORM.data4:
    case DW_FORM.ref4:
    case DW_FORM.strx4:
    case DW_FORM.addrx4:
    case DW_FORM.ref_sup4:
      return value(BigInt(reader.u32()));
    case DW_FORM.data8:
    case DW_FORM.ref8:
    case DW_FORM.ref_sig8:
    case DW_FORM.ref_sup8:
      return value(reader.u64());
    case DW_FORM.sdata:
      return value(reader.sleb());
    case DW_FORM.udata:
    case DW_FORM.ref_udata:
    case DW_FORM.strx:
    case DW_FORM.addrx:
    case DW_FORM.loclistx:
    case DW_FORM.rnglistx:
    case DW_FORM.GNU_addr_index:
    case DW_FORM.GNU_str_index:
      return value(reader.uleb());
    case DW_FORM.string: {
      const start = reader.pos;
      const text = reader.cstring();
      return { name, form, raw: 0n, text, textBytes: reader.bytes.subarray(start, reader.pos - 1) };
    }
    case DW_FORM.strp:
    case DW_FORM.line_strp:
    case DW_FORM.sec_offset:
    case DW_FORM.strp_sup:
    case DW_FORM.GNU_strp_alt:
    case DW_FORM.GNU_ref_alt:
      return value(reader.offset(header.offsetSize));
    case DW_FORM.ref_addr:
      return value(header.version <= 2 ? reader.address(header.addressSize) : reader.offset(header.offsetSize));
    case DW_FORM.flag_present:
      return value(1n);
    case DW_FORM.implicit_const:
      return value(spec.implicitConst ?? 0n);
    default:
      throw new DwarfFormatError(`${reader.section}: unknown attribute form ${formName(form)} at offset ${hex(reader.pos)}`);
  }
}

export class Die {
  readonly children: Die[] = [];

  constructor(
    /** Offset of the DIE in its section (.debug_info or .debug_types). */
    readonly offset: number,
    readonly tag: number,
    readonly attributes: readonly Attribute[],
    readonly parent: Die | undefined,
    /** Whether the abbreviation says the DIE owns children (even if the list is empty). */
    readonly hasChildren: boolean,
  ) {}

  attr(name: number): Attribute | undefined {
    for (const a of this.attributes) if (a.name === name) return a;
    return undefined;
  }

  has(name: number): boolean {
    return this.attr(name) !== undefined;
  }
}

/**
 * Parses every DIE of a unit into a tree and returns the unit DIE (with all descendants) and an
 * offset → DIE index.
 */
export function parseDieTree(
  section: Uint8Array,
  sectionName: string,
  header: UnitHeader,
  abbreviations: AbbreviationTable,
): { root: Die | undefined; byOffset: Map<number, Die> } {
  const reader = dwarfReader(section, sectionName, header.dieOffset, header.end);
  const byOffset = new Map<number, Die>();
  let root: Die | undefined;
  const stack: Die[] = [];
  while (!reader.atEnd()) {
    const offset = reader.pos;
    const code = reader.ulebNumber('abbreviation code');
    if (code === 0) {
      if (stack.length === 0) continue; // padding after the unit DIE
      stack.pop();
      if (stack.length === 0) break;
      continue;
    }
    const abbrev = abbreviations.get(code);
    if (!abbrev) throw new DwarfFormatError(`${sectionName}: DIE at ${hex(offset)} uses undefined abbreviation code ${code}`);
    const attributes = abbrev.attributes.map((spec) => readAttribute(reader, spec, header));
    const parent = stack[stack.length - 1];
    const die = new Die(offset, abbrev.tag, attributes, parent, abbrev.hasChildren);
    byOffset.set(offset, die);
    if (parent) parent.children.push(die);
    else if (!root) root = die;
    else break; // a second top-level DIE: the unit has only one
    if (abbrev.hasChildren) stack.push(die);
    else if (stack.length === 0) break; // childless unit DIE
  }
  return { root, byOffset };
}
