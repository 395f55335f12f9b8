// Finding the FDE that covers a pc: a sorted index over every FDE of a section (built once, on
// first use), or the binary-search table of .eh_frame_hdr when the module has one.
import { compareAddresses, countAtOrBelow, lastAtOrBelow } from '../../../native/lib/address-ranges';
import * as C from './constants';
import { CfiSection, FrameDescriptionEntry } from './entries';
import { CfiFormatError } from './errors';
import { encodedSize, readEncodedPointer } from './pointer-encoding';
import { cfiReader } from './reader';

export interface FdeLookup {
  /** The FDE with pcBegin ≤ pc < pcEnd (link-time addresses), if any. */
  find(pc: bigint): FrameDescriptionEntry | undefined;
}

/** All FDEs of a section, sorted by pcBegin. FDEs the linker discarded (pcBegin 0) are left out. */
export class SortedFdeIndex implements FdeLookup {
  private sorted: FrameDescriptionEntry[] | undefined;

  constructor(private readonly section: CfiSection) {}

  all(): readonly FrameDescriptionEntry[] {
    if (!this.sorted) {
      const fdes: FrameDescriptionEntry[] = [];
      for (const entry of this.section.entries()) {
        if (entry.kind === 'fde' && entry.fde.pcBegin !== 0n && entry.fde.pcEnd > entry.fde.pcBegin) fdes.push(entry.fde);
      }
      fdes.sort((a, b) => compareAddresses(a.pcBegin, b.pcBegin));
      this.sorted = fdes;
    }
    return this.sorted;
  }

  find(pc: bigint): FrameDescriptionEntry | undefined {
    const fdes = this.all();
    const last = lastAtOrBelow(fdes, (fde) => fde.pcBegin, pc);
    // Usually the last FDE starting at or before pc; nested/overlapping FDEs are rare but allowed.
    for (let i = last; i >= 0 && i >= last - 3; i--) {
      if (pc < fdes[i].pcEnd) return fdes[i];
    }
    return undefined;
  }
}

export interface EhFrameHeader {
  readonly version: number;
  /** Link-time address of .eh_frame. */
  readonly ehFramePointer: bigint;
  readonly fdeCount: number;
  readonly tableEncoding: number;
}

/**
 * .eh_frame_hdr (LSB): version, eh_frame_ptr, fde_count and a table of (initial location, FDE
 * address) pairs sorted by location, all relative to the header's own address (datarel).
 */
export class EhFrameHdrIndex implements FdeLookup {
  readonly header: EhFrameHeader;
  private readonly tableOffset: number;
  private readonly entrySize: number;

  constructor(private readonly bytes: Uint8Array, private readonly address: bigint, private readonly ehFrame: CfiSection) {
    const r = cfiReader(bytes, '.eh_frame_hdr');
    const version = r.u8('version');
    if (version !== 1) throw new CfiFormatError(`.eh_frame_hdr: unsupported version ${version}`);
    const pointerEncoding = r.u8('eh_frame_ptr_enc');
    const countEncoding = r.u8('fde_count_enc');
    const tableEncoding = r.u8('table_enc');
    const bases = { sectionAddress: address, data: address };
    const ehFramePointer = readEncodedPointer(r, pointerEncoding, bases, 'eh_frame_ptr');
    const fdeCount = countEncoding === C.DW_EH_PE_omit ? 0 : Number(readEncodedPointer(r, countEncoding, bases, 'fde_count'));
    this.header = { version, ehFramePointer, fdeCount, tableEncoding };
    this.tableOffset = r.pos;
    this.entrySize = tableEncoding === C.DW_EH_PE_omit ? 0 : encodedSize(tableEncoding) * 2;
    if (this.entrySize && this.tableOffset + fdeCount * this.entrySize > bytes.length) {
      throw new CfiFormatError(`.eh_frame_hdr: a table of ${fdeCount} entries runs past the end`);
    }
  }

  /** True when the table exists and has fixed-size entries (binary search is possible). */
  get searchable(): boolean {
    return this.entrySize > 0 && this.header.fdeCount > 0;
  }

  /** Table entry `i`: (initial location, FDE address). */
  entry(i: number): { location: bigint; fdeAddress: bigint } {
    const r = cfiReader(this.bytes, '.eh_frame_hdr table', this.tableOffset + i * this.entrySize);
    const bases = { sectionAddress: this.address, data: this.address };
    const location = readEncodedPointer(r, this.header.tableEncoding, bases, 'initial_location');
    const fdeAddress = readEncodedPointer(r, this.header.tableEncoding, bases, 'fde_address');
    return { location, fdeAddress };
  }

  find(pc: bigint): FrameDescriptionEntry | undefined {
    const count = countAtOrBelow(this.header.fdeCount, (index) => this.entry(index).location, pc);
    if (count === 0) return undefined;
    const { fdeAddress } = this.entry(count - 1);
    const fde = this.ehFrame.fdeAt(Number(fdeAddress - this.ehFrame.bases.sectionAddress));
    return pc >= fde.pcBegin && pc < fde.pcEnd ? fde : undefined;
  }
}
