// Wasm module → C source for a native guest: decode, validate every function, map exports and
// imports to the guest ABI, read the DWARF line table, emit C. Pure (no files, no compiler): the
// cache (wasm-cache.ts) compiles the result.
import type { FunctionSignature } from '../types';
import { emitC, type FunctionNames } from './c-emitter';
import { decodeModule } from './decoder';
import { readDebugNames, type DebugNames } from './dwarf-names';
import { readLineTable, type LineTable } from './dwarf-lines';
import { WasmError } from './errors';
import { functionCount, importedFunctions, type WasmModule } from './module';
import { guestExports, hostImports, type HostImport } from './signatures';
import { validateFunction, validationContext, type ValidatedFunction } from './validator';

export interface Translation {
  readonly c: string;
  /** The guest functions, as the guest ELF's function table will list them. */
  readonly functions: readonly FunctionSignature[];
  /** The host functions the module imports. */
  readonly imports: readonly HostImport[];
  /** Display name of every Wasm function, by index (imports first). */
  readonly functionNames: readonly string[];
  /** The module's line table (code-section offsets → source lines), empty without DWARF. */
  readonly lines: LineTable | undefined;
  readonly codeSectionStart: number;
  /** Initial linear memory in 64 KiB pages (0 without a memory). */
  readonly initialPages: number;
  /** Things left out, in words (exports that cannot be guest functions, unreadable DWARF). */
  readonly warnings: readonly string[];
}

export interface TranslateOptions {
  /** The module's file, for messages. */
  readonly file?: string;
  /** The name the C file will have (its own lines point there). Default module.c. */
  readonly cFileName?: string;
}

export function translateModule(bytes: Uint8Array, options: TranslateOptions = {}): Translation {
  const file = options.file;
  const module = decodeModule(bytes, file);
  const warnings: string[] = [];
  try {
    return translateDecoded(module, options, warnings);
  } catch (error) {
    if (error instanceof WasmError) throw error.within({ file });
    throw error;
  }
}

function translateDecoded(module: WasmModule, options: TranslateOptions, warnings: string[]): Translation {
  const total = functionCount(module);
  if (module.start !== undefined && module.start >= total) {
    throw new WasmError(`the start function ${module.start} does not exist (${total} functions)`, { section: 'start' });
  }
  for (const e of module.exports) {
    const limit = e.kind === 'func' ? total : e.kind === 'global' ? module.globals.length : e.kind === 'memory' ? module.memories.length : module.tables.length;
    if (e.index >= limit) throw new WasmError(`export ${JSON.stringify(e.name)} refers to ${e.kind} ${e.index}, which does not exist`, { section: 'export' });
  }
  if (module.memories.length > 1) throw new WasmError(`${module.memories.length} memories: only one is supported`, { section: 'memory' });
  if (module.tables.length > 1) throw new WasmError(`${module.tables.length} tables: only one is supported`, { section: 'table' });
  module.elements.forEach((segment, i) => {
    if (segment.tableIndex !== 0 || module.tables.length === 0) throw new WasmError(`element segment ${i} refers to table ${segment.tableIndex}, which does not exist`, { section: 'element', offset: segment.offsetInFile });
    const bad = segment.functions.find((f) => f >= total);
    if (bad !== undefined) throw new WasmError(`element segment ${i} refers to function ${bad}, which does not exist`, { section: 'element', offset: segment.offsetInFile });
    if (segment.offset.kind !== 'const' || segment.offset.type !== 'i32') throw new WasmError(`element segment ${i}: the offset must be an i32.const`, { section: 'element', offset: segment.offsetInFile });
  });
  module.data.forEach((segment, i) => {
    if (segment.offset !== undefined && (segment.offset.kind !== 'const' || segment.offset.type !== 'i32')) {
      throw new WasmError(`data segment ${i}: the offset must be an i32.const`, { section: 'data', offset: segment.offsetInFile });
    }
    if (segment.offset !== undefined && module.memories.length === 0) throw new WasmError(`data segment ${i} initialises a memory the module does not have`, { section: 'data', offset: segment.offsetInFile });
  });
  module.globals.forEach((g, i) => {
    if (g.init.kind !== 'const') throw new WasmError(`global ${i}: initialisers that read other globals are not supported`, { section: 'global' });
    if (g.init.type !== g.type) throw new WasmError(`global ${i} is ${g.type} but its initialiser is ${g.init.type}`, { section: 'global' });
  });

  const imports = hostImports(module);
  const { exports, skipped } = guestExports(module);
  warnings.push(...skipped);

  const context = validationContext(module);
  const imported = importedFunctions(module).length;
  const functions: ValidatedFunction[] = module.bodies.map((_, i) => {
    try {
      return validateFunction(context, i);
    } catch (error) {
      if (error instanceof WasmError) {
        const index = imported + i;
        const name = module.names.functions.get(index);
        throw error.within({ section: 'code', function: `function ${index}${name ? ` (${name})` : ''}` });
      }
      throw error;
    }
  });

  const sections = Object.fromEntries(module.customs.filter((c) => c.name.startsWith('.debug_')).map((c) => [c.name, c.bytes]));
  let debug: DebugNames | undefined;
  let lines: LineTable | undefined;
  try {
    debug = readDebugNames(sections, module, functions);
    lines = readLineTable({ line: sections['.debug_line'], lineStr: sections['.debug_line_str'], str: sections['.debug_str'] }, debug.compDirs);
  } catch (error) {
    if (!(error instanceof WasmError)) throw error;
    warnings.push(`the module's DWARF cannot be read, so the guest has no source lines: ${error.problem}`);
    debug = undefined;
    lines = undefined;
  }
  const names = functionNames(module, debug);
  const c = emitC({
    module, functions, exports, imports, names, lines,
    cFileName: options.cFileName ?? 'module.c',
    banner: `Translated from ${options.file ?? 'a WebAssembly module'}`,
  });
  return {
    c,
    functions: exports.map((e) => e.signature),
    imports,
    functionNames: names.display,
    lines,
    codeSectionStart: module.codeSectionStart,
    initialPages: module.memories[0]?.min ?? 0,
    warnings,
  };
}

function functionNames(module: WasmModule, debug: DebugNames | undefined): FunctionNames {
  const total = functionCount(module);
  const imports = importedFunctions(module);
  const display: string[] = [];
  for (let i = 0; i < total; i++) {
    const exported = module.exports.find((e) => e.kind === 'func' && e.index === i)?.name;
    display.push(module.names.functions.get(i) ?? debug?.functions.get(i) ?? (i < imports.length ? imports[i].field : exported) ?? `func[${i}]`);
  }
  const locals = new Map<number, Map<number, string>>();
  for (let i = 0; i < total; i++) {
    const merged = new Map<number, string>(debug?.locals.get(i) ?? []);
    for (const [k, v] of module.names.locals.get(i) ?? []) merged.set(k, v);
    if (merged.size > 0) locals.set(i, merged);
  }
  return { display, locals, globals: module.names.globals };
}
