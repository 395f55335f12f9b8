// ELF notes (Elf64_Nhdr records) from an SHT_NOTE section or a PT_NOTE segment.
import { dataView } from './bytes';
import { ElfFormatError, hex } from './errors';

export interface ElfNote {
  /** Owner name without its NUL, e.g. `GNU`, `CORE`. */
  readonly name: string;
  readonly type: number;
  /** The descriptor bytes (a view into the file). */
  readonly desc: Uint8Array;
  /** File offset of the note header. */
  readonly offset: number;
  /** Where it was found: a section name or `PT_NOTE segment 3`. */
  readonly source: string;
}

const NOTE_HEADER_SIZE = 12;
const utf8 = new TextDecoder('utf-8');

function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

/**
 * Parses the notes in `area`, which starts at file offset `areaOffset`. Notes in an area aligned to
 * 8 bytes (e.g. .note.gnu.property) are padded to 8, all others to 4, as the gABI and binutils do.
 */
export function parseNotes(area: Uint8Array, areaOffset: number, align: bigint | number, source: string): ElfNote[] {
  const padding = Number(align) === 8 ? 8 : 4;
  const view = dataView(area);
  const notes: ElfNote[] = [];
  let pos = 0;
  while (pos < area.length) {
    const where = `note ${notes.length} in ${source} at offset ${hex(areaOffset + pos)}`;
    const left = area.length - pos;
    if (left < NOTE_HEADER_SIZE) {
      if (area.subarray(pos).every((b) => b === 0)) break; // trailing padding
      throw new ElfFormatError(`${where}: only ${left} bytes left, too few for a 12-byte note header`);
    }
    const namesz = view.getUint32(pos, true);
    const descsz = view.getUint32(pos + 4, true);
    const type = view.getUint32(pos + 8, true);
    const nameStart = pos + NOTE_HEADER_SIZE;
    if (namesz > area.length - nameStart) {
      throw new ElfFormatError(`${where}: n_namesz ${hex(namesz)} extends past the end of the note area (${hex(area.length - nameStart)} bytes left)`);
    }
    const descStart = alignUp(nameStart + namesz, padding);
    if (descStart > area.length || descsz > area.length - descStart) {
      throw new ElfFormatError(`${where}: n_descsz ${hex(descsz)} extends past the end of the note area (${hex(Math.max(0, area.length - descStart))} bytes left)`);
    }
    let nameEnd = nameStart + namesz;
    while (nameEnd > nameStart && area[nameEnd - 1] === 0) nameEnd--;
    notes.push({
      name: utf8.decode(area.subarray(nameStart, nameEnd)),
      type,
      desc: area.subarray(descStart, descStart + descsz),
      offset: areaOffset + pos,
      source,
    });
    pos = alignUp(descStart + descsz, padding);
  }
  return notes;
}
