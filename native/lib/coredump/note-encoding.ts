// Encoding of one ELF note record (Elf64_Nhdr + name + descriptor, each padded to 4 bytes).

export interface NoteRecord {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
}

const align4 = (n: number): number => (n + 3) & ~3;

export function noteSize(note: NoteRecord): number {
  return 12 + align4(Buffer.byteLength(note.name) + 1) + align4(note.desc.length);
}

/** Writes `note` at `offset` of `target` (which must be zero-filled there); returns the end offset. */
export function writeNote(target: Uint8Array, offset: number, note: NoteRecord): number {
  const name = Buffer.from(`${note.name}\0`, 'utf8');
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  view.setUint32(offset, name.length, true);
  view.setUint32(offset + 4, note.desc.length, true);
  view.setUint32(offset + 8, note.type, true);
  target.set(name, offset + 12);
  const descAt = offset + 12 + align4(name.length);
  target.set(note.desc, descAt);
  return descAt + align4(note.desc.length);
}
