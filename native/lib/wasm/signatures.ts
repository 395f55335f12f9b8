// Which exports are guest functions and with which guest ABI types (docs/wasm-guests.md,
// "Functions and types"), and which host function each import calls. A module may declare
// signatures in "microvm.functions" (the Wasm SDK's MV_GUEST_FUNCTION writes it): that is how an
// i32 parameter becomes a string. Without declarations every exported function with a valid
// name is a guest function with its Wasm types.
import type { FunctionSignature, ValueType } from '../types';
import { WasmError } from './errors';
import { formatFuncType, functionType, importedFunctions, type FuncType, type ValType, type WasmModule } from './module';

/** A guest function: the export, its guest signature and the Wasm function it calls. */
export interface GuestExport {
  readonly signature: FunctionSignature;
  readonly functionIndex: number;
  readonly wasmType: FuncType;
}

/** An imported function and the host function it calls. */
export interface HostImport {
  readonly module: string;
  readonly field: string;
  readonly functionIndex: number;
  readonly wasmType: FuncType;
  /** HostPrint takes a string in linear memory; the others pass Wasm values as they are. */
  readonly kind: 'host-print' | 'host-call';
  /** The host function's signature as the host registry sees it. */
  readonly hostSignature: FunctionSignature;
}

const DECLARATIONS = 'microvm.functions';
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const TYPES: readonly ValueType[] = ['void', 'i32', 'u32', 'i64', 'u64', 'f32', 'f64', 'bool', 'string', 'bytes'];

/** The Wasm values a guest type travels as. */
export function wasmParams(type: ValueType): ValType[] {
  switch (type) {
    case 'i32': case 'u32': case 'bool': case 'string': return ['i32'];
    case 'i64': case 'u64': return ['i64'];
    case 'f32': return ['f32'];
    case 'f64': return ['f64'];
    case 'bytes': return ['i32', 'i32'];
    case 'void': return [];
  }
}

export function wasmResults(type: ValueType): ValType[] {
  return type === 'bytes' ? ['i64'] : wasmParams(type);
}

function defaultType(type: ValType): ValueType {
  return type;
}

/** The declared signatures: a custom section, or (LLVM before 15 turns the section into data) the data segment of that name. */
function declarationText(module: WasmModule): { text: string; where: string } | undefined {
  const custom = module.customs.find((c) => c.name === DECLARATIONS);
  if (custom) return { text: new TextDecoder().decode(custom.bytes), where: `custom section "${DECLARATIONS}"` };
  for (const [index, name] of module.names.dataSegments) {
    if (name === `.custom_section.${DECLARATIONS}` || name === DECLARATIONS) {
      const segment = module.data[index];
      if (segment) return { text: new TextDecoder().decode(segment.bytes), where: `data segment ${index} ("${name}")` };
    }
  }
  return undefined;
}

/** The guest functions a module declares (none: it declares nothing), e.g. for the build to export them. */
export function declaredSignatures(module: WasmModule): FunctionSignature[] {
  const declared = declarationText(module);
  return declared ? parseDeclarations(declared.text, declared.where) : [];
}

/** Parses lines such as `PrintOutput(string) -> i32`. */
export function parseDeclarations(text: string, where: string): FunctionSignature[] {
  const signatures: FunctionSignature[] = [];
  const seen = new Set<string>();
  text.split(/[\n\0]/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)\s*->\s*([a-z0-9]+)$/.exec(line);
    const fail = (problem: string): never => {
      throw new WasmError(`${where}, line ${i + 1} ${JSON.stringify(line)}: ${problem}`);
    };
    if (!match) fail('expected a declaration such as "PrintOutput(string) -> i32"');
    const [, name, paramText, returnText] = match!;
    if (!NAME.test(name)) fail('the name must be 1-63 characters [A-Za-z_][A-Za-z0-9_]*');
    const params = paramText.trim() === '' ? [] : paramText.split(',').map((p) => p.trim());
    for (const t of [...params, returnText]) if (!TYPES.includes(t as ValueType)) fail(`unknown type ${JSON.stringify(t)} (types: ${TYPES.join(' ')})`);
    if (params.includes('void')) fail('void is only a return type');
    if (params.length > 16) fail('at most 16 parameters');
    if (seen.has(name)) fail(`${name} is declared twice`);
    seen.add(name);
    signatures.push({ name, returnType: returnText as ValueType, paramTypes: params as ValueType[] });
  });
  return signatures;
}

function sameTypes(a: readonly ValType[], b: readonly ValType[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** Parameters the native ABI passes in registers: at most 6 general and 8 XMM (docs/guest-abi.md). */
function registerProblem(signature: FunctionSignature): string | undefined {
  let gpr = 0;
  let xmm = 0;
  for (const t of signature.paramTypes) {
    if (t === 'f32' || t === 'f64') xmm++;
    else gpr += t === 'bytes' ? 2 : 1;
  }
  if (gpr > 6) return 'more than 6 integer-class parameters (bytes counts 2)';
  if (xmm > 8) return 'more than 8 f32/f64 parameters';
  return undefined;
}

export interface ExportMapping {
  readonly exports: GuestExport[];
  /** Exports left out, with why (shown by the translator's warnings). */
  readonly skipped: string[];
}

export function guestExports(module: WasmModule): ExportMapping {
  const functionExports = module.exports.filter((e) => e.kind === 'func');
  const declared = declarationText(module);
  const exports: GuestExport[] = [];
  const skipped: string[] = [];
  if (declared) {
    for (const signature of parseDeclarations(declared.text, declared.where)) {
      const exported = functionExports.find((e) => e.name === signature.name);
      if (!exported) {
        throw new WasmError(`${declared.where} declares ${signature.name}, but the module exports no function of that name (link with wasm-ld --export=${signature.name}, or --export-all)`);
      }
      const wasmType = functionType(module, exported.index);
      const expected: FuncType = { params: signature.paramTypes.flatMap(wasmParams), results: wasmResults(signature.returnType) };
      if (!sameTypes(expected.params, wasmType.params) || !sameTypes(expected.results, wasmType.results)) {
        throw new WasmError(`export ${signature.name} is declared (${signature.paramTypes.join(', ')}) -> ${signature.returnType}, which in Wasm is ${formatFuncType(expected)}, but the function's type is ${formatFuncType(wasmType)}`);
      }
      const problem = registerProblem(signature);
      if (problem) throw new WasmError(`export ${signature.name}: ${problem}`);
      exports.push({ signature, functionIndex: exported.index, wasmType });
    }
    return { exports, skipped };
  }
  for (const exported of functionExports) {
    const wasmType = functionType(module, exported.index);
    if (!NAME.test(exported.name)) {
      skipped.push(`export ${JSON.stringify(exported.name)}: not a guest function name (1-63 characters [A-Za-z_][A-Za-z0-9_]*)`);
      continue;
    }
    const signature: FunctionSignature = {
      name: exported.name,
      returnType: wasmType.results.length === 0 ? 'void' : defaultType(wasmType.results[0]),
      paramTypes: wasmType.params.map(defaultType),
    };
    const problem = registerProblem(signature);
    if (problem || signature.paramTypes.length > 16) {
      skipped.push(`export ${exported.name}: ${problem ?? 'more than 16 parameters'}`);
      continue;
    }
    exports.push({ signature, functionIndex: exported.index, wasmType });
  }
  return { exports, skipped };
}

export function hostImports(module: WasmModule): HostImport[] {
  const imports: HostImport[] = [];
  for (const imp of module.imports) {
    if (imp.desc.kind !== 'func') {
      throw new WasmError(
        `import ${imp.module}.${imp.field} is a ${imp.desc.kind}: only functions can be imported (a module defines and exports its own memory, table and globals)`,
        { section: 'import', offset: imp.offset },
      );
    }
  }
  importedFunctions(module).forEach((imp, functionIndex) => {
    const wasmType = functionType(module, functionIndex);
    if (imp.field === 'HostPrint') {
      if (!sameTypes(wasmType.params, ['i32']) || !sameTypes(wasmType.results, ['i32'])) {
        throw new WasmError(`import ${imp.module}.HostPrint has type ${formatFuncType(wasmType)}; HostPrint takes the address of a NUL-terminated string: (i32) -> i32`, { section: 'import', offset: imp.offset });
      }
      imports.push({ module: imp.module, field: imp.field, functionIndex, wasmType, kind: 'host-print', hostSignature: { name: 'HostPrint', paramTypes: ['string'], returnType: 'i32' } });
      return;
    }
    if (!NAME.test(imp.field)) {
      throw new WasmError(`import ${imp.module}.${JSON.stringify(imp.field)}: a host function name must be 1-63 characters [A-Za-z_][A-Za-z0-9_]*`, { section: 'import', offset: imp.offset });
    }
    if (wasmType.params.length > 16) throw new WasmError(`import ${imp.module}.${imp.field}: at most 16 parameters`, { section: 'import', offset: imp.offset });
    imports.push({
      module: imp.module, field: imp.field, functionIndex, wasmType, kind: 'host-call',
      hostSignature: { name: imp.field, paramTypes: wasmType.params.map(defaultType), returnType: wasmType.results.length === 0 ? 'void' : defaultType(wasmType.results[0]) },
    });
  });
  return imports;
}
