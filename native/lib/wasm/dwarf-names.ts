// Names from the module's DWARF (.debug_info): each function's name, and the names of the Wasm
// locals its parameters and variables live in, for the C emitter to name the C locals after. A
// parameter is matched to a Wasm parameter by position (clang passes C parameters in order);
// a variable whose location is a Wasm local (DW_OP_WASM_location 0 N) names that local when it
// is the only one that does. Also each unit's compilation directory, for the line table.
import { WasmError } from './errors';
import { cString, sectionString } from './dwarf-lines';
import { importedFunctions, type WasmModule } from './module';
import { ByteReader } from './reader';
import type { ValidatedFunction } from './validator';

export interface DebugNames {
  /** stmt_list offset → DW_AT_comp_dir of its unit. */
  readonly compDirs: ReadonlyMap<number, string>;
  /** Function index → DW_AT_name. */
  readonly functions: ReadonlyMap<number, string>;
  /** Function index → local index → name. */
  readonly locals: ReadonlyMap<number, ReadonlyMap<number, string>>;
}

const TAG = { compileUnit: 0x11, subprogram: 0x2e, formalParameter: 0x05, variable: 0x34, inlined: 0x1d } as const;
const AT = { location: 0x02, name: 0x03, stmtList: 0x10, lowPc: 0x11, compDir: 0x1b } as const;
const DW_OP_WASM_location = 0xed;

interface AbbrevAttr {
  readonly name: number;
  readonly form: number;
  readonly implicit?: bigint;
}
interface Abbrev {
  readonly tag: number;
  readonly children: boolean;
  readonly attrs: readonly AbbrevAttr[];
}

type Value = number | bigint | string | Uint8Array | undefined;

interface Die {
  readonly tag: number;
  readonly depth: number;
  readonly attrs: Map<number, Value>;
}

function readAbbrevs(section: Uint8Array, offset: number): Map<number, Abbrev> {
  const r = new ByteReader(section, offset);
  const table = new Map<number, Abbrev>();
  for (;;) {
    const code = r.u32('abbreviation code');
    if (code === 0) return table;
    const tag = r.u32('tag');
    const children = r.u8('children flag') !== 0;
    const attrs: AbbrevAttr[] = [];
    for (;;) {
      const name = r.u32('attribute');
      const form = r.u32('form');
      if (name === 0 && form === 0) break;
      attrs.push(form === 0x21 ? { name, form, implicit: r.sleb(64, 'implicit constant') } : { name, form });
    }
    table.set(code, { tag, children, attrs });
  }
}

export function readDebugNames(sections: Record<string, Uint8Array>, module: WasmModule, functions: readonly ValidatedFunction[]): DebugNames {
  const info = sections['.debug_info'];
  const abbrev = sections['.debug_abbrev'];
  const compDirs = new Map<number, string>();
  const names = new Map<number, string>();
  const locals = new Map<number, Map<number, string>>();
  if (!info || !abbrev) return { compDirs, functions: names, locals };

  const imported = importedFunctions(module).length;
  const byLowPc = new Map<number, number>();
  module.bodies.forEach((body, i) => byLowPc.set(body.bodyStart - module.codeSectionStart, imported + i));
  const paramCount = (index: number) => functions[index - imported]?.type.params.length ?? 0;
  const localCount = (index: number) => functions[index - imported]?.locals.length ?? 0;

  const reader = new ByteReader(info);
  while (!reader.atEnd) {
    const unitStart = reader.offset;
    try {
      readUnit(reader, sections, abbrev, (dies) => {
        const cu = dies[0];
        if (cu?.tag === TAG.compileUnit) {
          const stmt = cu.attrs.get(AT.stmtList);
          const dir = cu.attrs.get(AT.compDir);
          if (typeof stmt === 'number' && typeof dir === 'string') compDirs.set(stmt, dir);
        }
        collectFunctions(dies, byLowPc, paramCount, localCount, names, locals);
      });
    } catch (error) {
      if (error instanceof WasmError) throw new WasmError(`.debug_info unit at 0x${unitStart.toString(16)}: ${error.problem}`);
      throw error;
    }
  }
  return { compDirs, functions: names, locals };
}

function readUnit(reader: ByteReader, sections: Record<string, Uint8Array>, abbrevSection: Uint8Array, visit: (dies: Die[]) => void): void {
  const u16 = (r: ByteReader) => r.u8() | (r.u8() << 8);
  const u32 = (r: ByteReader) => (r.u8() | (r.u8() << 8) | (r.u8() << 16) | (r.u8() << 24)) >>> 0;
  const length = u32(reader);
  if (length === 0xffffffff) throw new WasmError('64-bit DWARF is not supported');
  const end = reader.offset + length;
  if (end > reader.end) throw new WasmError('the unit runs past the end of .debug_info');
  const r = new ByteReader(reader.bytes, reader.offset, end);
  reader.skip(length);
  const version = u16(r);
  if (version < 2 || version > 5) throw new WasmError(`DWARF version ${version} is not supported`);
  let addressSize: number;
  let abbrevOffset: number;
  if (version >= 5) {
    const unitType = r.u8();
    addressSize = r.u8();
    abbrevOffset = u32(r);
    if (unitType !== 1) return; // only full compile units name functions
  } else {
    abbrevOffset = u32(r);
    addressSize = r.u8();
  }
  const abbrevs = readAbbrevs(abbrevSection, abbrevOffset);
  const dies: Die[] = [];
  let depth = 0;
  while (!r.atEnd) {
    const code = r.u32('abbreviation code');
    if (code === 0) {
      depth--;
      if (depth <= 0) break;
      continue;
    }
    const abbrev = abbrevs.get(code);
    if (!abbrev) throw new WasmError(`unknown abbreviation code ${code} at 0x${r.offset.toString(16)}`);
    const attrs = new Map<number, Value>();
    for (const attr of abbrev.attrs) attrs.set(attr.name, readValue(r, attr.form, attr.implicit, addressSize, version, sections));
    dies.push({ tag: abbrev.tag, depth, attrs });
    if (abbrev.children) depth++;
    else if (depth === 0) break;
  }
  visit(dies);
}

function readValue(r: ByteReader, form: number, implicit: bigint | undefined, addressSize: number, version: number, sections: Record<string, Uint8Array>): Value {
  const fixed = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) v += r.u8('attribute') * 2 ** (8 * i);
    return v;
  };
  switch (form) {
    case 0x01: return fixed(addressSize);
    case 0x03: return r.take(fixed(2));
    case 0x04: return r.take(fixed(4));
    case 0x05: return fixed(2);
    case 0x06: return fixed(4);
    case 0x07: return fixed(8);
    case 0x08: return cString(r, 'string attribute');
    case 0x09: return r.take(r.u32('block length'));
    case 0x0a: return r.take(r.u8());
    case 0x0b: return r.u8();
    case 0x0c: return r.u8();
    case 0x0d: return r.sleb(64);
    case 0x0e: return sectionString(sections['.debug_str'], fixed(4), 'DW_FORM_strp');
    case 0x0f: return r.u32('udata', 64);
    case 0x10: return fixed(version <= 2 ? addressSize : 4);
    case 0x11: return fixed(1);
    case 0x12: return fixed(2);
    case 0x13: return fixed(4);
    case 0x14: return fixed(8);
    case 0x15: return r.u32('ref_udata', 64);
    case 0x16: return readValue(r, r.u32('indirect form'), undefined, addressSize, version, sections);
    case 0x17: return fixed(4);
    case 0x18: return r.take(r.u32('exprloc length'));
    case 0x19: return 1;
    case 0x1a: r.u32('strx'); return undefined;
    case 0x1b: r.u32('addrx'); return undefined;
    case 0x1c: return fixed(4);
    case 0x1d: fixed(4); return undefined;
    case 0x1e: r.skip(16); return undefined;
    case 0x1f: return sectionString(sections['.debug_line_str'], fixed(4), 'DW_FORM_line_strp');
    case 0x20: r.skip(8); return undefined;
    case 0x21: return implicit;
    case 0x22: case 0x23: r.u32('list index'); return undefined;
    case 0x24: r.skip(8); return undefined;
    case 0x25: case 0x29: r.skip(1); return undefined;
    case 0x26: case 0x2a: r.skip(2); return undefined;
    case 0x27: case 0x2b: r.skip(3); return undefined;
    case 0x28: case 0x2c: r.skip(4); return undefined;
    default: throw new WasmError(`DW_FORM 0x${form.toString(16)} is not supported`);
  }
}

/** The Wasm local a location expression names: DW_OP_WASM_location 0 N [DW_OP_stack_value]. */
function wasmLocal(location: Value): number | undefined {
  if (!(location instanceof Uint8Array) || location[0] !== DW_OP_WASM_location || location[1] !== 0) return undefined;
  const r = new ByteReader(location, 2);
  try {
    const index = r.u32('local index');
    return r.atEnd || (r.remaining === 1 && location[r.offset] === 0x9f) ? index : undefined;
  } catch {
    return undefined;
  }
}

function collectFunctions(
  dies: readonly Die[],
  byLowPc: ReadonlyMap<number, number>,
  paramCount: (index: number) => number,
  localCount: (index: number) => number,
  names: Map<number, string>,
  locals: Map<number, Map<number, string>>,
): void {
  for (let i = 0; i < dies.length; i++) {
    const die = dies[i];
    if (die.tag !== TAG.subprogram) continue;
    const low = die.attrs.get(AT.lowPc);
    const index = typeof low === 'number' ? byLowPc.get(low) : undefined;
    if (index === undefined) continue;
    const name = die.attrs.get(AT.name);
    if (typeof name === 'string') names.set(index, name);
    const params: string[] = [];
    const byLocal = new Map<number, Set<string>>();
    let skipDepth: number | undefined;
    for (let k = i + 1; k < dies.length && dies[k].depth > die.depth; k++) {
      const child = dies[k];
      if (skipDepth !== undefined) {
        if (child.depth > skipDepth) continue;
        skipDepth = undefined;
      }
      if (child.tag === TAG.inlined || child.tag === TAG.subprogram) {
        skipDepth = child.depth;
        continue;
      }
      const childName = child.attrs.get(AT.name);
      if (typeof childName !== 'string') continue;
      if (child.tag === TAG.formalParameter && child.depth === die.depth + 1) params.push(childName);
      if (child.tag === TAG.formalParameter || child.tag === TAG.variable) {
        const local = wasmLocal(child.attrs.get(AT.location));
        if (local !== undefined && local < localCount(index)) {
          if (!byLocal.has(local)) byLocal.set(local, new Set());
          byLocal.get(local)!.add(childName);
        }
      }
    }
    const map = new Map<number, string>();
    if (params.length === paramCount(index)) params.forEach((p, k) => map.set(k, p));
    for (const [local, set] of byLocal) if (set.size === 1 && !map.has(local)) map.set(local, [...set][0]);
    if (map.size > 0) locals.set(index, map);
  }
}
