// One loaded ELF image as the unwinder sees it: where it is in memory (its PT_LOAD segments moved by
// the load bias) and its CFI: .eh_frame (through .eh_frame_hdr when present) and .debug_frame.
import { ElfFile, elfConstants } from '../../../native/lib/elf';
import { unwindRowAt } from './cfa-program';
import { CfiSection, CfiSectionKind, FrameDescriptionEntry } from './entries';
import { EhFrameHdrIndex, FdeLookup, SortedFdeIndex } from './fde-index';
import { PointerBases } from './pointer-encoding';
import { UnwindRow } from './rules';

export interface CfiModuleOptions {
  /** Shown in frames; defaults to 'module'. */
  readonly name?: string;
  /** Runtime address minus link-time address (0 for ET_EXEC or a PIE loaded at its link address). */
  readonly loadBias?: bigint;
  /** Ignore .eh_frame_hdr and index .eh_frame by scanning it (tests compare both). */
  readonly ignoreEhFrameHdr?: boolean;
}

/** An FDE that covers a pc, with its row for that pc. */
export interface CfiMatch {
  readonly section: CfiSectionKind;
  readonly fde: FrameDescriptionEntry;
  readonly row: UnwindRow;
}

interface Source {
  readonly section: CfiSection;
  readonly lookup: FdeLookup;
}

interface Range {
  readonly start: bigint;
  readonly end: bigint;
}

export class CfiModule {
  readonly name: string;
  readonly loadBias: bigint;
  readonly ehFrameHdr?: EhFrameHdrIndex;
  private readonly sources: Source[] = [];
  private readonly ranges: Range[];

  constructor(readonly elf: ElfFile, options: CfiModuleOptions = {}) {
    this.name = options.name ?? 'module';
    this.loadBias = options.loadBias ?? 0n;
    this.ranges = elf.programHeaders
      .filter((ph) => ph.type === elfConstants.PT_LOAD && ph.memsz !== 0n)
      .map((ph) => ({ start: ph.vaddr + this.loadBias, end: ph.vaddr + ph.memsz + this.loadBias }));
    const text = elf.section('.text')?.addr;
    const got = elf.section('.got')?.addr;
    const deref = (address: bigint) => {
      const bytes = elf.bytesAt(address, 8);
      return bytes ? new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true) : undefined;
    };

    const eh = this.findEhFrame(options.ignoreEhFrameHdr === true, { text, data: got, deref });
    if (eh) {
      this.ehFrameHdr = eh.hdr;
      this.sources.push({ section: eh.section, lookup: eh.hdr?.searchable ? eh.hdr : new SortedFdeIndex(eh.section) });
    }
    const debugFrame = elf.section('.debug_frame');
    const debugBytes = debugFrame ? elf.sectionData(debugFrame) : undefined;
    if (debugFrame && debugBytes && debugBytes.length > 0) {
      const section = new CfiSection('debug_frame', debugBytes, { sectionAddress: 0n, text, deref });
      this.sources.push({ section, lookup: new SortedFdeIndex(section) });
    }
  }

  static fromFile(path: string, options: CfiModuleOptions = {}): CfiModule {
    return new CfiModule(ElfFile.fromFile(path), options);
  }

  private findEhFrame(ignoreHdr: boolean, bases: Omit<PointerBases, 'sectionAddress'>): { section: CfiSection; hdr?: EhFrameHdrIndex } | undefined {
    const ehSection = this.elf.section('.eh_frame');
    const hdrSection = this.elf.section('.eh_frame_hdr');
    if (ehSection) {
      const bytes = this.elf.sectionData(ehSection);
      if (!bytes || bytes.length === 0) return undefined;
      const section = new CfiSection('eh_frame', bytes, { ...bases, sectionAddress: ehSection.addr });
      const hdrBytes = hdrSection && !ignoreHdr ? this.elf.sectionData(hdrSection) : undefined;
      const hdr = hdrSection && hdrBytes && hdrBytes.length > 0 ? new EhFrameHdrIndex(hdrBytes, hdrSection.addr, section) : undefined;
      return { section, hdr };
    }
    // No section headers (a stripped image): PT_GNU_EH_FRAME points at .eh_frame_hdr, which points at .eh_frame.
    const segment = this.elf.programHeaders.find((ph) => ph.type === elfConstants.PT_GNU_EH_FRAME);
    if (!segment || segment.filesz === 0n) return undefined;
    const hdrBytes = this.elf.segmentData(segment);
    const probe = new EhFrameHdrIndex(hdrBytes, segment.vaddr, new CfiSection('eh_frame', new Uint8Array(0), { sectionAddress: 0n }));
    const ehAddress = probe.header.ehFramePointer;
    const where = this.elf.locate(ehAddress);
    if (!where) return undefined;
    const ehBytes = this.elf.bytes.subarray(Number(where.offset), Number(where.offset + where.available));
    const section = new CfiSection('eh_frame', ehBytes, { ...bases, sectionAddress: ehAddress });
    return { section, hdr: ignoreHdr ? undefined : new EhFrameHdrIndex(hdrBytes, segment.vaddr, section) };
  }

  /** True when `address` (runtime) lies in one of the module's segments. */
  contains(address: bigint): boolean {
    return this.ranges.some((r) => address >= r.start && address < r.end);
  }

  /** The CFI sections found, in lookup order (.eh_frame first). */
  get cfiSections(): readonly CfiSection[] {
    return this.sources.map((s) => s.section);
  }

  /** The FDE covering the runtime address `pc` and its row, preferring .eh_frame over .debug_frame. */
  find(pc: bigint): CfiMatch | undefined {
    const linkPc = pc - this.loadBias;
    for (const { section, lookup } of this.sources) {
      const fde = lookup.find(linkPc);
      if (!fde) continue;
      const row = unwindRowAt(fde, linkPc, section.bases);
      if (row) return { section: section.kind, fde, row };
    }
    return undefined;
  }
}

/** The load bias of an image whose entry point is at `entry` at run time (e.g. AT_ENTRY of a core). */
export function loadBiasFromEntry(elf: ElfFile, entry: bigint): bigint {
  return entry - elf.header.entry;
}
