// File layout of the core: ELF header, program headers (PT_NOTE, then one PT_LOAD per region),
// the notes, then each region's bytes at a page-aligned offset. The head is built here; region
// bytes are left to the caller so a large guest can be streamed to disk without a second copy.
import { CoreDumpInput } from './input';
import { noteSize, writeNote } from './note-encoding';
import { coreNotes } from './notes';

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const PAGE = 4096;
const PT_LOAD = 1;
const PT_NOTE = 4;
const PF_X = 1;
const PF_W = 2;
const PF_R = 4;
const MAX_SEGMENTS = 0xfffe; // PN_XNUM (0xffff) would need a section header 0; never needed here

export interface CoreSegment {
  readonly offset: number;
  readonly data: Uint8Array;
}

export interface CoreLayout {
  /** ELF header, program headers and notes. */
  readonly head: Uint8Array;
  /** Region bytes and where they go in the file. */
  readonly segments: readonly CoreSegment[];
  /** Total file size. */
  readonly size: number;
}

const pageAlign = (n: number): number => Math.ceil(n / PAGE) * PAGE;

function checkRegions(input: CoreDumpInput): void {
  if (input.regions.length + 1 > MAX_SEGMENTS) throw new RangeError(`too many memory regions for one core file: ${input.regions.length}`);
  for (const { region, data } of input.regions) {
    if (data.length !== region.size) {
      throw new RangeError(`region '${region.name}' at 0x${region.address.toString(16)}: data is ${data.length} bytes but the region is ${region.size}`);
    }
  }
  const sorted = [...input.regions].sort((a, b) => (a.region.address < b.region.address ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1].region;
    const next = sorted[i].region;
    if (prev.address + BigInt(prev.size) > next.address) {
      throw new RangeError(`regions '${prev.name}' and '${next.name}' overlap at 0x${next.address.toString(16)}`);
    }
  }
}

function writeElfHeader(view: DataView, phnum: number): void {
  [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1].forEach((b, i) => view.setUint8(i, b)); // ELF64, LE, EV_CURRENT, OSABI SYSV
  view.setUint16(16, 4, true); // e_type = ET_CORE
  view.setUint16(18, 62, true); // e_machine = EM_X86_64
  view.setUint32(20, 1, true); // e_version
  view.setBigUint64(32, BigInt(EHDR_SIZE), true); // e_phoff; e_entry, e_shoff stay 0 as in Linux cores
  view.setUint16(52, EHDR_SIZE, true);
  view.setUint16(54, PHDR_SIZE, true);
  view.setUint16(56, phnum, true);
}

function writePhdr(view: DataView, index: number, ph: { type: number; flags: number; offset: number; vaddr: bigint; filesz: number; memsz: number; align: number }): void {
  const at = EHDR_SIZE + index * PHDR_SIZE;
  view.setUint32(at, ph.type, true);
  view.setUint32(at + 4, ph.flags, true);
  view.setBigUint64(at + 8, BigInt(ph.offset), true);
  view.setBigUint64(at + 16, ph.vaddr, true);
  view.setBigUint64(at + 24, ph.vaddr, true); // p_paddr: guest memory is identity-mapped
  view.setBigUint64(at + 32, BigInt(ph.filesz), true);
  view.setBigUint64(at + 40, BigInt(ph.memsz), true);
  view.setBigUint64(at + 48, BigInt(ph.align), true);
}

export function layoutCore(input: CoreDumpInput): CoreLayout {
  checkRegions(input);
  const notes = coreNotes(input);
  const phnum = 1 + input.regions.length;
  const notesOffset = EHDR_SIZE + phnum * PHDR_SIZE;
  const notesSize = notes.reduce((sum, note) => sum + noteSize(note), 0);
  const head = new Uint8Array(notesOffset + notesSize);
  const view = new DataView(head.buffer);

  writeElfHeader(view, phnum);
  writePhdr(view, 0, { type: PT_NOTE, flags: 0, offset: notesOffset, vaddr: 0n, filesz: notesSize, memsz: 0, align: 4 });
  let at = notesOffset;
  for (const note of notes) at = writeNote(head, at, note);

  const segments: CoreSegment[] = [];
  let offset = pageAlign(head.length);
  input.regions.forEach(({ region, data }, i) => {
    const flags = (region.readable ? PF_R : 0) | (region.writable ? PF_W : 0) | (region.executable ? PF_X : 0);
    writePhdr(view, 1 + i, { type: PT_LOAD, flags, offset, vaddr: region.address, filesz: region.size, memsz: region.size, align: PAGE });
    segments.push({ offset, data });
    offset = pageAlign(offset + region.size);
  });
  const last = segments[segments.length - 1];
  const size = last ? last.offset + last.data.length : head.length;
  return { head, segments, size };
}
