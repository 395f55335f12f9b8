// CIE and FDE records of .eh_frame (LSB) and .debug_frame (DWARF 4/5, CIE versions 1, 3 and 4),
// 32- and 64-bit DWARF formats, with the augmentations z, R, P, L, S (and the obsolete "eh").
import * as C from './constants';
import { CfiFormatError } from './errors';
import { PointerBases, readEncodedPointer, readEncodedValue } from './pointer-encoding';
import { cfiReader } from './reader';

export type CfiSectionKind = 'eh_frame' | 'debug_frame';

export interface CommonInformationEntry {
  /** Offset of the record in its section. */
  readonly offset: number;
  readonly version: number;
  readonly augmentation: string;
  readonly addressSize: number;
  readonly segmentSelectorSize: number;
  readonly codeAlignment: bigint;
  readonly dataAlignment: bigint;
  readonly returnAddressRegister: number;
  /** DW_EH_PE encoding of the FDEs' pc_begin/pc_range ('R'); absptr otherwise. */
  readonly fdeEncoding: number;
  /** DW_EH_PE encoding of the FDEs' LSDA pointer ('L'), or DW_EH_PE_omit. */
  readonly lsdaEncoding: number;
  readonly personality?: bigint;
  /** 'S': frames of this CIE are signal trampolines (their pc is not a return address). */
  readonly signalFrame: boolean;
  /** False when the augmentation is unknown and has no 'z' length: the instructions cannot be found. */
  readonly understood: boolean;
  readonly initialInstructions: Uint8Array;
  /** Section offset of the first initial instruction. */
  readonly instructionsOffset: number;
}

export interface FrameDescriptionEntry {
  readonly offset: number;
  readonly cie: CommonInformationEntry;
  /** Link-time address of the first instruction covered. */
  readonly pcBegin: bigint;
  /** One past the last. */
  readonly pcEnd: bigint;
  readonly lsda?: bigint;
  readonly instructions: Uint8Array;
  /** Section offset of the first instruction (DW_CFA_set_loc with pcrel needs it). */
  readonly instructionsOffset: number;
}

export type CfiEntry =
  | { readonly kind: 'cie'; readonly cie: CommonInformationEntry; readonly next: number }
  | { readonly kind: 'fde'; readonly fde: FrameDescriptionEntry; readonly next: number }
  | { readonly kind: 'terminator'; readonly next: number };

interface RecordHeader {
  readonly offset: number;
  readonly end: number;
  readonly is64: boolean;
  /** Offset of the CIE id / CIE pointer field. */
  readonly idOffset: number;
  readonly id: bigint;
}

/** One .eh_frame or .debug_frame section's records, parsed on demand and cached by offset. */
export class CfiSection {
  private readonly cies = new Map<number, CommonInformationEntry>();
  private readonly fdes = new Map<number, FrameDescriptionEntry>();
  readonly what: string;

  /**
   * `bases.sectionAddress` is the section's link-time address (for pcrel pointers); `text` and
   * `data` bases are optional.
   */
  constructor(readonly kind: CfiSectionKind, readonly bytes: Uint8Array, readonly bases: PointerBases) {
    this.what = `.${kind}`;
  }

  private header(offset: number): RecordHeader | undefined {
    const reader = cfiReader(this.bytes, this.what, offset);
    let length = BigInt(reader.u32('length'));
    const is64 = length === 0xffffffffn;
    if (is64) length = reader.u64('64-bit length');
    if (length === 0n) return undefined;
    const end = reader.pos + Number(length);
    if (end > this.bytes.length || length > BigInt(this.bytes.length)) {
      throw new CfiFormatError(`${this.what}: record at 0x${offset.toString(16)} has length 0x${length.toString(16)} past the end of the section`);
    }
    const idOffset = reader.pos;
    const id = is64 ? reader.u64('CIE id') : BigInt(reader.u32('CIE id'));
    return { offset, end, is64, idOffset, id };
  }

  private isCieId(header: RecordHeader): boolean {
    if (this.kind === 'eh_frame') return header.id === 0n;
    return header.id === (header.is64 ? 0xffffffffffffffffn : 0xffffffffn);
  }

  /** The record at `offset`: a CIE, an FDE, or the zero terminator of .eh_frame. */
  entryAt(offset: number): CfiEntry {
    const header = this.header(offset);
    if (!header) return { kind: 'terminator', next: offset + 4 };
    if (this.isCieId(header)) return { kind: 'cie', cie: this.cieFrom(header), next: header.end };
    return { kind: 'fde', fde: this.fdeFrom(header), next: header.end };
  }

  cieAt(offset: number): CommonInformationEntry {
    const cached = this.cies.get(offset);
    if (cached) return cached;
    const header = this.header(offset);
    if (!header || !this.isCieId(header)) throw new CfiFormatError(`${this.what}: no CIE at offset 0x${offset.toString(16)}`);
    return this.cieFrom(header);
  }

  fdeAt(offset: number): FrameDescriptionEntry {
    const cached = this.fdes.get(offset);
    if (cached) return cached;
    const header = this.header(offset);
    if (!header || this.isCieId(header)) throw new CfiFormatError(`${this.what}: no FDE at offset 0x${offset.toString(16)}`);
    return this.fdeFrom(header);
  }

  /** Every record in section order (stops at an .eh_frame terminator). */
  *entries(): Generator<CfiEntry> {
    let offset = 0;
    while (offset + 4 <= this.bytes.length) {
      const entry = this.entryAt(offset);
      yield entry;
      if (entry.kind === 'terminator' && this.kind === 'eh_frame') return;
      offset = entry.next;
    }
  }

  private cieFrom(header: RecordHeader): CommonInformationEntry {
    const cached = this.cies.get(header.offset);
    if (cached) return cached;
    const r = cfiReader(this.bytes, `${this.what} CIE at 0x${header.offset.toString(16)}`, header.idOffset + (header.is64 ? 8 : 4), header.end);
    const version = r.u8('version');
    if (version !== 1 && version !== 3 && version !== 4) throw new CfiFormatError(`${r.section}: unsupported version ${version}`);
    const augmentation = r.cstring('augmentation');
    if (augmentation.includes('eh')) r.u64('eh_ptr');
    let addressSize = 8;
    let segmentSelectorSize = 0;
    if (version >= 4) {
      addressSize = r.u8('address_size');
      segmentSelectorSize = r.u8('segment_selector_size');
    }
    const codeAlignment = r.uleb('code_alignment_factor');
    const dataAlignment = r.sleb('data_alignment_factor');
    const returnAddressRegister = version === 1 ? r.u8('return_address_register') : r.ulebNumber('return_address_register');
    let fdeEncoding = C.DW_EH_PE_absptr;
    let lsdaEncoding = C.DW_EH_PE_omit;
    let personality: bigint | undefined;
    let signalFrame = false;
    let understood = true;
    if (augmentation.startsWith('z')) {
      const dataLength = r.ulebNumber('augmentation length');
      const dataEnd = r.pos + dataLength;
      for (const letter of augmentation.slice(1)) {
        if (letter === 'L') lsdaEncoding = r.u8('LSDA encoding');
        else if (letter === 'R') fdeEncoding = r.u8('FDE encoding');
        else if (letter === 'S') signalFrame = true;
        else if (letter === 'P') {
          const encoding = r.u8('personality encoding');
          personality = readEncodedPointer(r, encoding & ~C.DW_EH_PE_indirect, this.bases, 'personality');
        } else if (letter === 'B' || letter === 'G') continue; // AArch64 BTI / MTE: no data
        else break; // unknown letter: the 'z' length lets us skip the rest
      }
      r.pos = dataEnd;
    } else if (augmentation !== '' && augmentation !== 'eh') {
      understood = false;
    }
    const cie: CommonInformationEntry = {
      offset: header.offset, version, augmentation, addressSize, segmentSelectorSize, codeAlignment, dataAlignment,
      returnAddressRegister, fdeEncoding, lsdaEncoding, personality, signalFrame, understood,
      initialInstructions: understood ? this.bytes.subarray(r.pos, header.end) : new Uint8Array(0),
      instructionsOffset: r.pos,
    };
    this.cies.set(header.offset, cie);
    return cie;
  }

  private fdeFrom(header: RecordHeader): FrameDescriptionEntry {
    const cached = this.fdes.get(header.offset);
    if (cached) return cached;
    const cieOffset = this.kind === 'eh_frame' ? header.idOffset - Number(header.id) : Number(header.id);
    if (cieOffset < 0 || cieOffset >= this.bytes.length) {
      throw new CfiFormatError(`${this.what}: FDE at 0x${header.offset.toString(16)} points at CIE offset 0x${cieOffset.toString(16)} outside the section`);
    }
    const cie = this.cieAt(cieOffset);
    const r = cfiReader(this.bytes, `${this.what} FDE at 0x${header.offset.toString(16)}`, header.idOffset + (header.is64 ? 8 : 4), header.end);
    let pcBegin: bigint;
    let pcRange: bigint;
    if (this.kind === 'eh_frame') {
      pcBegin = readEncodedPointer(r, cie.fdeEncoding, this.bases, 'pc_begin');
      pcRange = readEncodedValue(r, cie.fdeEncoding, 'pc_range');
    } else {
      if (cie.segmentSelectorSize) r.unsigned(cie.segmentSelectorSize, 'segment selector');
      pcBegin = r.unsigned(cie.addressSize, 'initial_location');
      pcRange = r.unsigned(cie.addressSize, 'address_range');
    }
    let lsda: bigint | undefined;
    if (cie.augmentation.startsWith('z')) {
      const dataLength = r.ulebNumber('augmentation length');
      const dataEnd = r.pos + dataLength;
      if (cie.lsdaEncoding !== C.DW_EH_PE_omit && dataLength > 0) {
        lsda = readEncodedPointer(r, cie.lsdaEncoding & ~C.DW_EH_PE_indirect, { ...this.bases, func: pcBegin }, 'LSDA');
      }
      r.pos = dataEnd;
    }
    const fde: FrameDescriptionEntry = {
      offset: header.offset, cie, pcBegin, pcEnd: BigInt.asUintN(64, pcBegin + pcRange), lsda,
      instructions: cie.understood ? this.bytes.subarray(r.pos, header.end) : new Uint8Array(0),
      instructionsOffset: r.pos,
    };
    this.fdes.set(header.offset, fde);
    return fde;
  }
}
