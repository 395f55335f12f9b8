// DW_EH_PE pointer encodings as .eh_frame and .eh_frame_hdr use them: a value format (absptr,
// udata/sdata 2/4/8, (s|u)leb128), what it is relative to (pc, text, data, function start) and an
// optional indirection through memory.
import * as C from './constants';
import { CfiFormatError } from './errors';
import { type ByteReader } from './reader';

/** Addresses the relative encodings are based on (all link-time addresses of the module). */
export interface PointerBases {
  /** Virtual address of the first byte of the reader's data (for pcrel). */
  readonly sectionAddress: bigint;
  /** DW_EH_PE_textrel base (the start of .text), when known. */
  readonly text?: bigint;
  /** DW_EH_PE_datarel base: the .eh_frame_hdr address in that section, the GOT elsewhere. */
  readonly data?: bigint;
  /** DW_EH_PE_funcrel base: the FDE's pc_begin, inside an FDE. */
  readonly func?: bigint;
  /** Reads a pointer for DW_EH_PE_indirect; without it such values stay unresolved (the slot address). */
  readonly deref?: (address: bigint) => bigint | undefined;
}

const ADDRESS_SIZE = 8;

/** Reads the value format of `encoding` only (no application): pc_range and the like. */
export function readEncodedValue(reader: ByteReader, encoding: number, label: string): bigint {
  switch (encoding & 0x0f) {
    case C.DW_EH_PE_absptr: return reader.u64(label);
    case C.DW_EH_PE_uleb128: return reader.uleb(label);
    case C.DW_EH_PE_udata2: return BigInt(reader.u16(label));
    case C.DW_EH_PE_udata4: return BigInt(reader.u32(label));
    case C.DW_EH_PE_udata8: return reader.u64(label);
    case C.DW_EH_PE_sleb128: return reader.sleb(label);
    case C.DW_EH_PE_sdata2: return BigInt(reader.i16(label));
    case C.DW_EH_PE_sdata4: return BigInt(reader.i32(label));
    case C.DW_EH_PE_sdata8: return reader.i64(label);
    default:
      throw new CfiFormatError(`${reader.section}: unsupported pointer encoding 0x${encoding.toString(16)} for ${label}`);
  }
}

/** Reads a pointer with `encoding` (never DW_EH_PE_omit) and applies its base and indirection. */
export function readEncodedPointer(reader: ByteReader, encoding: number, bases: PointerBases, label: string): bigint {
  if (encoding === C.DW_EH_PE_omit) throw new CfiFormatError(`${reader.section}: ${label} is omitted (DW_EH_PE_omit)`);
  const application = encoding & 0x70;
  if (application === C.DW_EH_PE_aligned) {
    const address = bases.sectionAddress + BigInt(reader.pos);
    const aligned = (address + BigInt(ADDRESS_SIZE - 1)) & ~BigInt(ADDRESS_SIZE - 1);
    reader.pos += Number(aligned - address);
  }
  const fieldAddress = bases.sectionAddress + BigInt(reader.pos);
  let value = readEncodedValue(reader, encoding, label);
  switch (application) {
    case C.DW_EH_PE_absptr:
    case C.DW_EH_PE_aligned:
      break;
    case C.DW_EH_PE_pcrel:
      value += fieldAddress;
      break;
    case C.DW_EH_PE_textrel:
      value += requireBase(bases.text, 'textrel', reader, label);
      break;
    case C.DW_EH_PE_datarel:
      value += requireBase(bases.data, 'datarel', reader, label);
      break;
    case C.DW_EH_PE_funcrel:
      value += requireBase(bases.func, 'funcrel', reader, label);
      break;
    default:
      throw new CfiFormatError(`${reader.section}: unsupported pointer application 0x${application.toString(16)} for ${label}`);
  }
  value = BigInt.asUintN(64, value);
  if (encoding & C.DW_EH_PE_indirect && bases.deref) {
    const target = bases.deref(value);
    if (target === undefined) throw new CfiFormatError(`${reader.section}: ${label}: cannot read the indirect pointer at 0x${value.toString(16)}`);
    value = target;
  }
  return value;
}

function requireBase(base: bigint | undefined, name: string, reader: ByteReader, label: string): bigint {
  if (base === undefined) throw new CfiFormatError(`${reader.section}: ${label} is ${name} but no ${name} base is known`);
  return base;
}

/** Bytes a value of this encoding's format takes (0 for the LEB128 forms, which vary). */
export function encodedSize(encoding: number): number {
  switch (encoding & 0x0f) {
    case C.DW_EH_PE_absptr: return ADDRESS_SIZE;
    case C.DW_EH_PE_udata2: case C.DW_EH_PE_sdata2: return 2;
    case C.DW_EH_PE_udata4: case C.DW_EH_PE_sdata4: return 4;
    case C.DW_EH_PE_udata8: case C.DW_EH_PE_sdata8: return 8;
    default: return 0;
  }
}
