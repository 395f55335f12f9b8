// The decoded form of a Wasm module, as the decoder produces it and the validator, the C emitter
// and the signature mapping read it. Function bodies stay bytes (with their offsets in the file):
// instructions are decoded once, by the validator.

export type ValType = 'i32' | 'i64' | 'f32' | 'f64';

export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

export interface Limits {
  readonly min: number;
  readonly max?: number;
}

export type ImportDesc =
  | { readonly kind: 'func'; readonly typeIndex: number }
  | { readonly kind: 'table'; readonly limits: Limits }
  | { readonly kind: 'memory'; readonly limits: Limits }
  | { readonly kind: 'global'; readonly type: ValType; readonly mutable: boolean };

export interface Import {
  readonly module: string;
  readonly field: string;
  readonly desc: ImportDesc;
  /** Byte offset of the import entry. */
  readonly offset: number;
}

/** A constant expression (global initialisers, segment offsets): MVP forms only. */
export type ConstExpr =
  | { readonly kind: 'const'; readonly type: ValType; readonly bits: bigint }
  | { readonly kind: 'global.get'; readonly index: number };

export interface Global {
  readonly type: ValType;
  readonly mutable: boolean;
  readonly init: ConstExpr;
}

export interface Export {
  readonly name: string;
  readonly kind: 'func' | 'table' | 'memory' | 'global';
  readonly index: number;
}

export interface ElementSegment {
  readonly tableIndex: number;
  readonly offset: ConstExpr;
  readonly functions: readonly number[];
  readonly offsetInFile: number;
}

export interface DataSegment {
  readonly memoryIndex: number;
  /** undefined: a passive segment (bulk memory), which the translator does not support. */
  readonly offset: ConstExpr | undefined;
  readonly bytes: Uint8Array;
  readonly offsetInFile: number;
}

export interface FunctionBody {
  /** Locals after the parameters, expanded (one entry per local). */
  readonly locals: readonly ValType[];
  /** Offset of the body in the file: where its size field ends (DWARF addresses count from the code section). */
  readonly bodyStart: number;
  /** Offset of the first instruction. */
  readonly codeStart: number;
  /** One past the body's final `end`. */
  readonly end: number;
}

export interface CustomSection {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Offset of the section's payload (after its name). */
  readonly offset: number;
}

/** Names from the "name" custom section (function, local and global names). */
export interface NameSection {
  readonly module?: string;
  readonly functions: ReadonlyMap<number, string>;
  readonly locals: ReadonlyMap<number, ReadonlyMap<number, string>>;
  readonly globals: ReadonlyMap<number, string>;
  readonly dataSegments: ReadonlyMap<number, string>;
}

export interface WasmModule {
  readonly types: readonly FuncType[];
  readonly imports: readonly Import[];
  /** Type index of every function the module defines (not the imported ones). */
  readonly functionTypes: readonly number[];
  readonly tables: readonly Limits[];
  readonly memories: readonly Limits[];
  readonly globals: readonly Global[];
  readonly exports: readonly Export[];
  readonly start?: number;
  readonly elements: readonly ElementSegment[];
  readonly data: readonly DataSegment[];
  readonly bodies: readonly FunctionBody[];
  readonly customs: readonly CustomSection[];
  readonly names: NameSection;
  /** Offset of the code section's payload: DWARF code addresses are relative to it. */
  readonly codeSectionStart: number;
  readonly bytes: Uint8Array;
}

/** Function index space helpers: imported functions come first. */
export function importedFunctions(module: WasmModule): Import[] {
  return module.imports.filter((i) => i.desc.kind === 'func');
}

export function functionType(module: WasmModule, functionIndex: number): FuncType {
  const imported = importedFunctions(module);
  if (functionIndex < imported.length) {
    const desc = imported[functionIndex].desc as { kind: 'func'; typeIndex: number };
    return module.types[desc.typeIndex];
  }
  return module.types[module.functionTypes[functionIndex - imported.length]];
}

export function functionCount(module: WasmModule): number {
  return importedFunctions(module).length + module.functionTypes.length;
}

export function formatFuncType(type: FuncType): string {
  return `(${type.params.join(', ')}) -> ${type.results.length === 0 ? 'nil' : type.results.join(', ')}`;
}
