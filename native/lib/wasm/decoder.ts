// Decodes a Wasm binary module (the MVP binary format, plus the data count section) into a
// WasmModule. Structure only: instruction sequences are checked by the validator. Every problem
// is a WasmError with the section and byte offset.
import { WasmError } from './errors';
import type {
  ConstExpr, CustomSection, DataSegment, ElementSegment, Export, FuncType, FunctionBody, Global, Import, ImportDesc, Limits, NameSection, ValType, WasmModule,
} from './module';
import { ByteReader } from './reader';

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const MAX_PAGES = 65536;
/** Locals per function: real modules have hundreds; this bounds what a forged count can allocate. */
const MAX_LOCALS = 50000;

const SECTION_NAMES: Record<number, string> = {
  0: 'custom', 1: 'type', 2: 'import', 3: 'function', 4: 'table', 5: 'memory', 6: 'global', 7: 'export', 8: 'start',
  9: 'element', 10: 'code', 11: 'data', 12: 'data count',
};
/** Where each known section may appear: the data count section sits between element and code. */
const SECTION_ORDER: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, 12: 10, 10: 11, 11: 12 };

/** True when the bytes start with the Wasm magic `\0asm`. */
export function isWasmModule(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && MAGIC.every((b, i) => bytes[i] === b);
}

export function valType(reader: ByteReader, what: string): ValType {
  const offset = reader.offset;
  const byte = reader.u8(what);
  switch (byte) {
    case 0x7f: return 'i32';
    case 0x7e: return 'i64';
    case 0x7d: return 'f32';
    case 0x7c: return 'f64';
    case 0x7b: return reader.fail(`${what}: v128 (SIMD) values are not supported`, offset);
    case 0x70:
    case 0x6f: return reader.fail(`${what}: reference-typed values are not supported (Wasm MVP only)`, offset);
    default: return reader.fail(`${what}: invalid value type 0x${byte.toString(16)}`, offset);
  }
}

function limits(reader: ByteReader, what: string, maxAllowed: number): Limits {
  const offset = reader.offset;
  const flags = reader.u8(`${what} limits`);
  if (flags > 1) reader.fail(`${what}: limits flag 0x${flags.toString(16)} (shared or 64-bit memories) is not supported`, offset);
  const min = reader.u32(`${what} minimum`);
  const max = flags === 1 ? reader.u32(`${what} maximum`) : undefined;
  if (min > maxAllowed) reader.fail(`${what}: minimum ${min} is larger than ${maxAllowed}`, offset);
  if (max !== undefined && max > maxAllowed) reader.fail(`${what}: maximum ${max} is larger than ${maxAllowed}`, offset);
  if (max !== undefined && max < min) reader.fail(`${what}: maximum ${max} is smaller than the minimum ${min}`, offset);
  return { min, max };
}

function tableType(reader: ByteReader, what: string): Limits {
  const offset = reader.offset;
  const element = reader.u8(`${what} element type`);
  if (element !== 0x70) reader.fail(`${what}: element type 0x${element.toString(16)} is not funcref`, offset);
  return limits(reader, what, 0xffffffff);
}

/** A constant expression ending in `end`. */
export function constExpr(reader: ByteReader, what: string): ConstExpr {
  const offset = reader.offset;
  const op = reader.u8(what);
  let expr: ConstExpr;
  switch (op) {
    case 0x41: expr = { kind: 'const', type: 'i32', bits: BigInt.asUintN(32, reader.sleb(32, `${what} i32.const`)) }; break;
    case 0x42: expr = { kind: 'const', type: 'i64', bits: BigInt.asUintN(64, reader.sleb(64, `${what} i64.const`)) }; break;
    case 0x43: expr = { kind: 'const', type: 'f32', bits: BigInt(reader.f32Bits()) }; break;
    case 0x44: expr = { kind: 'const', type: 'f64', bits: reader.f64Bits() }; break;
    case 0x23: expr = { kind: 'global.get', index: reader.u32(`${what} global index`) }; break;
    default: return reader.fail(`${what}: opcode 0x${op.toString(16)} is not allowed in a constant expression`, offset);
  }
  const endOffset = reader.offset;
  if (reader.u8(what) !== 0x0b) reader.fail(`${what}: a constant expression must be one instruction followed by end`, endOffset);
  return expr;
}

interface Sections {
  types: FuncType[];
  imports: Import[];
  functionTypes: number[];
  tables: Limits[];
  memories: Limits[];
  globals: Global[];
  exports: Export[];
  start?: number;
  elements: ElementSegment[];
  data: DataSegment[];
  dataCount?: number;
  bodies: FunctionBody[];
  customs: CustomSection[];
  codeSectionStart: number;
}

/** Decodes `bytes`; `file` only names the module in errors. */
export function decodeModule(bytes: Uint8Array, file?: string): WasmModule {
  try {
    return decode(bytes);
  } catch (error) {
    if (error instanceof WasmError) throw error.within({ file });
    throw error;
  }
}

function decode(bytes: Uint8Array): WasmModule {
  if (!isWasmModule(bytes)) throw new WasmError('not a WebAssembly module: it does not start with the magic \\0asm', { offset: 0 });
  const reader = new ByteReader(bytes, 4);
  const version = reader.take(4, 'version');
  if (version[0] !== 1 || version[1] !== 0 || version[2] !== 0 || version[3] !== 0) {
    throw new WasmError(`unsupported binary version ${version[0] | (version[1] << 8) | (version[2] << 16) | (version[3] << 24)} (only version 1 is)`, { offset: 4 });
  }
  const s: Sections = {
    types: [], imports: [], functionTypes: [], tables: [], memories: [], globals: [], exports: [], elements: [], data: [], bodies: [], customs: [], codeSectionStart: 0,
  };
  let lastOrder = 0;
  let sawFunctionSection = false;
  let sawCodeSection = false;
  while (!reader.atEnd) {
    const headerOffset = reader.offset;
    const id = reader.u8('section id');
    const section = SECTION_NAMES[id];
    if (section === undefined) throw new WasmError(`unknown section id ${id}`, { offset: headerOffset });
    const size = reader.u32(`${section} section size`);
    const start = reader.offset;
    if (size > reader.remaining) throw new WasmError(`the ${section} section's size ${size} runs past the end of the module (${reader.remaining} bytes left)`, { section, offset: headerOffset });
    const body = new ByteReader(bytes, start, start + size);
    if (id !== 0) {
      if (SECTION_ORDER[id] <= lastOrder) throw new WasmError(`the ${section} section is out of order or repeated`, { section, offset: headerOffset });
      lastOrder = SECTION_ORDER[id];
    }
    try {
      readSection(id, body, s);
    } catch (error) {
      if (error instanceof WasmError) throw error.within({ section: id === 0 ? 'custom' : section });
      throw error;
    }
    if (!body.atEnd) throw new WasmError(`${body.remaining} unexpected bytes at the end of the section`, { section, offset: body.offset });
    if (id === 3) sawFunctionSection = true;
    if (id === 10) sawCodeSection = true;
    reader.skip(size);
  }
  if (s.functionTypes.length !== s.bodies.length && (sawFunctionSection || sawCodeSection)) {
    throw new WasmError(`the function section declares ${s.functionTypes.length} functions but the code section has ${s.bodies.length} bodies`, { section: 'code' });
  }
  if (s.dataCount !== undefined && s.dataCount !== s.data.length) {
    throw new WasmError(`the data count section says ${s.dataCount} segments but the data section has ${s.data.length}`, { section: 'data' });
  }
  const names = readNames(s.customs);
  return { ...s, names, bytes };
}

function readSection(id: number, r: ByteReader, s: Sections): void {
  switch (id) {
    case 0: {
      const name = r.name('custom section name');
      const offset = r.offset;
      s.customs.push({ name, bytes: r.take(r.remaining), offset });
      return;
    }
    case 1:
      s.types = r.vector('type', (i) => {
        const offset = r.offset;
        const form = r.u8('type form');
        if (form !== 0x60) r.fail(`type ${i}: form 0x${form.toString(16)} is not a function type (0x60)`, offset);
        const params = r.vector('parameter', () => valType(r, `type ${i} parameter`));
        const results = r.vector('result', () => valType(r, `type ${i} result`));
        if (results.length > 1) r.fail(`type ${i}: ${results.length} results (multi-value) are not supported`, offset);
        return { params, results };
      });
      return;
    case 2:
      s.imports = r.vector('import', (i) => {
        const offset = r.offset;
        const module = r.name(`import ${i} module name`);
        const field = r.name(`import ${i} field name`);
        const kindOffset = r.offset;
        const kind = r.u8(`import ${i} kind`);
        let desc: ImportDesc;
        switch (kind) {
          case 0: {
            const typeIndex = r.u32(`import ${i} type index`);
            if (typeIndex >= s.types.length) r.fail(`import ${module}.${field}: type index ${typeIndex} out of range (${s.types.length} types)`, kindOffset);
            desc = { kind: 'func', typeIndex };
            break;
          }
          case 1: desc = { kind: 'table', limits: tableType(r, `import ${module}.${field}`) }; break;
          case 2: desc = { kind: 'memory', limits: limits(r, `import ${module}.${field}`, MAX_PAGES) }; break;
          case 3: {
            const type = valType(r, `import ${module}.${field}`);
            const mut = r.u8('global mutability');
            if (mut > 1) r.fail(`import ${module}.${field}: invalid mutability ${mut}`);
            desc = { kind: 'global', type, mutable: mut === 1 };
            break;
          }
          default: return r.fail(`import ${module}.${field}: invalid import kind ${kind}`, kindOffset);
        }
        return { module, field, desc, offset };
      });
      return;
    case 3:
      s.functionTypes = r.vector('function', (i) => {
        const offset = r.offset;
        const index = r.u32('type index');
        if (index >= s.types.length) r.fail(`function ${i}: type index ${index} out of range (${s.types.length} types)`, offset);
        return index;
      });
      return;
    case 4:
      s.tables = r.vector('table', (i) => tableType(r, `table ${i}`));
      return;
    case 5:
      s.memories = r.vector('memory', (i) => limits(r, `memory ${i}`, MAX_PAGES));
      return;
    case 6:
      s.globals = r.vector('global', (i) => {
        const type = valType(r, `global ${i}`);
        const offset = r.offset;
        const mut = r.u8('global mutability');
        if (mut > 1) r.fail(`global ${i}: invalid mutability ${mut}`, offset);
        return { type, mutable: mut === 1, init: constExpr(r, `global ${i} initialiser`) };
      });
      return;
    case 7: {
      const seen = new Set<string>();
      s.exports = r.vector('export', (i) => {
        const offset = r.offset;
        const name = r.name(`export ${i} name`);
        if (seen.has(name)) r.fail(`duplicate export name ${JSON.stringify(name)}`, offset);
        seen.add(name);
        const kind = r.u8(`export ${name} kind`);
        if (kind > 3) r.fail(`export ${name}: invalid export kind ${kind}`, offset);
        return { name, kind: (['func', 'table', 'memory', 'global'] as const)[kind], index: r.u32(`export ${name} index`) };
      });
      return;
    }
    case 8:
      s.start = r.u32('start function index');
      return;
    case 9:
      s.elements = r.vector('element segment', (i) => {
        const offsetInFile = r.offset;
        const flags = r.u32(`element segment ${i} flags`);
        if (flags !== 0 && flags !== 2) {
          r.fail(`element segment ${i}: form ${flags} (passive or declarative segments, expressions) is not supported (Wasm MVP only)`, offsetInFile);
        }
        const tableIndex = flags === 2 ? r.u32('table index') : 0;
        const offset = constExpr(r, `element segment ${i} offset`);
        if (flags === 2) {
          const kindOffset = r.offset;
          const elemKind = r.u8('element kind');
          if (elemKind !== 0) r.fail(`element segment ${i}: element kind ${elemKind} is not funcref`, kindOffset);
        }
        const functions = r.vector(`element segment ${i} function`, () => r.u32('function index'));
        return { tableIndex, offset, functions, offsetInFile };
      });
      return;
    case 10:
      s.codeSectionStart = r.offset;
      s.bodies = r.vector('function body', (i) => {
        const sizeOffset = r.offset;
        const size = r.u32(`function body ${i} size`);
        const bodyStart = r.offset;
        if (size > r.remaining) r.fail(`function body ${i}: size ${size} runs past the end of the code section`, sizeOffset);
        const body = new ByteReader(r.bytes, bodyStart, bodyStart + size);
        const locals: ValType[] = [];
        body.vector(`function body ${i} local group`, () => {
          const countOffset = body.offset;
          const count = body.u32('local count');
          const type = valType(body, `function body ${i} local`);
          if (locals.length + count > MAX_LOCALS) body.fail(`function body ${i}: more than ${MAX_LOCALS} locals`, countOffset);
          for (let k = 0; k < count; k++) locals.push(type);
        });
        r.skip(size);
        if (size === 0 || r.bytes[bodyStart + size - 1] !== 0x0b) r.fail(`function body ${i} does not end with end (0x0b)`, bodyStart);
        return { locals, bodyStart, codeStart: body.offset, end: bodyStart + size };
      });
      return;
    case 11:
      s.data = r.vector('data segment', (i) => {
        const offsetInFile = r.offset;
        const flags = r.u32(`data segment ${i} flags`);
        if (flags > 2) r.fail(`data segment ${i}: invalid flags ${flags}`, offsetInFile);
        const memoryIndex = flags === 2 ? r.u32('memory index') : 0;
        const offset = flags === 1 ? undefined : constExpr(r, `data segment ${i} offset`);
        const length = r.u32(`data segment ${i} length`);
        return { memoryIndex, offset, bytes: r.take(length, `data segment ${i}`), offsetInFile };
      });
      return;
    case 12:
      s.dataCount = r.u32('data count');
      return;
  }
}

/** The "name" custom section. A malformed one is ignored, as the spec asks of custom sections. */
function readNames(customs: readonly CustomSection[]): NameSection {
  const functions = new Map<number, string>();
  const locals = new Map<number, Map<number, string>>();
  const globals = new Map<number, string>();
  const dataSegments = new Map<number, string>();
  let module: string | undefined;
  const section = customs.find((c) => c.name === 'name');
  if (section) {
    try {
      const r = new ByteReader(section.bytes);
      const nameMap = (target: Map<number, string>, sub: ByteReader) => sub.vector('name', () => target.set(sub.u32('index'), sub.name()));
      while (!r.atEnd) {
        const id = r.u8('name subsection id');
        const size = r.u32('name subsection size');
        const sub = new ByteReader(section.bytes, r.offset, r.offset + size);
        if (size > r.remaining) break;
        if (id === 0) module = sub.name();
        else if (id === 1) nameMap(functions, sub);
        else if (id === 2) {
          sub.vector('function', () => {
            const fn = sub.u32('function index');
            const map = new Map<number, string>();
            nameMap(map, sub);
            locals.set(fn, map);
          });
        } else if (id === 7) nameMap(globals, sub);
        else if (id === 9) nameMap(dataSegments, sub);
        r.skip(size);
      }
    } catch {
      // keep what was read before the problem
    }
  }
  return { module, functions, locals, globals, dataSegments };
}
