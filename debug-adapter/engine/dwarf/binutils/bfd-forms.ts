// How binutils classifies attribute forms (is_int_form, is_str_form, ...) and which languages
// make DW_AT_name a linkage name (mangle_style 0).
import { DW_FORM } from '../constants';
import type { Attribute } from '../die';

/** Languages for which binutils takes DW_AT_name as the linkage name (mangle_style 0). */
export const PLAIN_NAME_LANGUAGES = new Set([0x1, 0x2, 0x5, 0x6, 0x7, 0x9, 0xf, 0xc, 0x12, 0x1d, 0x8001, 0x8765, 0x8004, 0x8006, 0x8007]);

export const STRX = new Set<number>([DW_FORM.strx, DW_FORM.strx1, DW_FORM.strx2, DW_FORM.strx3, DW_FORM.strx4]);
export const ADDRX = new Set<number>([DW_FORM.addrx, DW_FORM.addrx1, DW_FORM.addrx2, DW_FORM.addrx3, DW_FORM.addrx4]);
const INT_FORMS = new Set<number>([
  DW_FORM.addr, DW_FORM.data2, DW_FORM.data4, DW_FORM.data8, DW_FORM.data1, DW_FORM.flag, DW_FORM.sdata, DW_FORM.udata,
  DW_FORM.ref_addr, DW_FORM.ref1, DW_FORM.ref2, DW_FORM.ref4, DW_FORM.ref8, DW_FORM.ref_udata, DW_FORM.sec_offset,
  DW_FORM.flag_present, DW_FORM.ref_sig8, DW_FORM.implicit_const, DW_FORM.GNU_ref_alt, ...ADDRX,
]);
const STR_FORMS = new Set<number>([DW_FORM.string, DW_FORM.strp, DW_FORM.line_strp, DW_FORM.GNU_strp_alt, ...STRX]);

export const BLOCK_FORMS = new Set<number>([DW_FORM.block, DW_FORM.block1, DW_FORM.block2, DW_FORM.block4, DW_FORM.exprloc]);

export const isInt = (a: Attribute): boolean => INT_FORMS.has(a.form);
export const isStr = (a: Attribute): boolean => STR_FORMS.has(a.form);

export function cString(bytes: Uint8Array, offset: number): string {
  let end = bytes.indexOf(0, offset);
  if (end < 0) end = bytes.length; // binutils NUL-terminates its copy of the section
  return new TextDecoder().decode(bytes.subarray(offset, end));
}

