// Abbreviation tables (.debug_abbrev): code → tag, children flag and attribute specifications.
import { DW_FORM } from './constants';
import { DwarfFormatError } from './errors';
import { dwarfReader } from './reader';

export interface AttributeSpec {
  readonly name: number;
  readonly form: number;
  /** The value of a DW_FORM_implicit_const attribute (stored in the abbreviation). */
  readonly implicitConst?: bigint;
}

export interface Abbreviation {
  readonly code: number;
  readonly tag: number;
  readonly hasChildren: boolean;
  readonly attributes: readonly AttributeSpec[];
}

export type AbbreviationTable = ReadonlyMap<number, Abbreviation>;

/** Parses the abbreviation table at `offset` (up to its terminating 0 code). */
export function parseAbbreviations(section: Uint8Array, offset: number): Map<number, Abbreviation> {
  const reader = dwarfReader(section, '.debug_abbrev', offset);
  const table = new Map<number, Abbreviation>();
  for (;;) {
    if (reader.atEnd()) break; // tolerate a missing final 0 at the very end of the section
    const code = reader.ulebNumber('abbreviation code');
    // A code seen before means the next table started without a terminator (as binutils reads it).
    if (code === 0 || table.has(code)) break;
    const tag = reader.ulebNumber('tag');
    const children = reader.u8();
    const attributes: AttributeSpec[] = [];
    for (;;) {
      const name = reader.ulebNumber('attribute name');
      const form = reader.ulebNumber('attribute form');
      if (name === 0 && form === 0) break;
      if (form === DW_FORM.implicit_const) attributes.push({ name, form, implicitConst: reader.sleb() });
      else attributes.push({ name, form });
    }
    table.set(code, { code, tag, hasChildren: children !== 0, attributes });
  }
  return table;
}

/** Caches abbreviation tables by offset (units often share one). */
export class AbbreviationCache {
  private readonly tables = new Map<number, Map<number, Abbreviation>>();

  constructor(private readonly section: Uint8Array | undefined) {}

  get(offset: number): AbbreviationTable {
    let table = this.tables.get(offset);
    if (!table) {
      if (!this.section) throw new DwarfFormatError('.debug_abbrev is missing');
      table = parseAbbreviations(this.section, offset);
      this.tables.set(offset, table);
    }
    return table;
  }
}
