// Emits the C translation of a validated module: one C function per Wasm function (named after
// it, its locals named after the module's locals), one C statement per instruction on a line of
// its own, preceded by `#line N "orig.c"` wherever the module's DWARF gives the instruction's
// source line, so the guest ELF's line table (and the debugger) point into the module's sources.
// Operands live in one struct per function (`operands`, one field per stack depth and type);
// traps are explicit checks that call wasm_rt_trap with the function index and the byte offset.
import type { ValueType } from '../types';
import { CNamespace } from './c-names';
import type { LineTable } from './dwarf-lines';
import type { BranchTarget, Instr } from './instructions';
import { functionCount, functionType, type FuncType, type ValType, type WasmModule } from './module';
import type { GuestExport, HostImport } from './signatures';
import type { ValidatedFunction } from './validator';

export interface FunctionNames {
  /** Display name of every function (imports first): the name section's, else DWARF's, else func[N]. */
  readonly display: readonly string[];
  /** Names of parameters and locals, by function index and local index. */
  readonly locals: ReadonlyMap<number, ReadonlyMap<number, string>>;
  readonly globals: ReadonlyMap<number, string>;
}

export interface EmitInput {
  readonly module: WasmModule;
  readonly functions: readonly ValidatedFunction[];
  readonly exports: readonly GuestExport[];
  readonly imports: readonly HostImport[];
  readonly names: FunctionNames;
  readonly lines: LineTable | undefined;
  /** The C file's own name: lines without DWARF point there. */
  readonly cFileName: string;
  /** The first comment line (where the module came from). */
  readonly banner: string;
}

const C_TYPE: Record<ValType, string> = { i32: 'uint32_t', i64: 'uint64_t', f32: 'float', f64: 'double' };
const GUEST_C_TYPE: Record<ValueType, string> = {
  void: 'void', i32: 'int32_t', u32: 'uint32_t', i64: 'int64_t', u64: 'uint64_t', f32: 'float', f64: 'double', bool: '_Bool', string: 'const char *', bytes: 'wasm_rt_bytes',
};
const TAG: Record<ValueType, number> = { void: 0, i32: 1, u32: 2, i64: 3, u64: 4, f32: 5, f64: 6, bool: 7, string: 8, bytes: 9 };
const WASM_TAG: Record<ValType, number> = { i32: 1, i64: 3, f32: 5, f64: 6 };

function cString(text: string): string {
  return `"${[...new TextEncoder().encode(text)].map((b) => (b === 0x22 || b === 0x5c ? `\\${String.fromCharCode(b)}` : b >= 0x20 && b < 0x7f && b !== 0x3f ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`)).join('')}"`;
}

function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

function constant(type: ValType, bits: bigint): string {
  switch (type) {
    case 'i32': return `${hex(bits)}u`;
    case 'i64': return `${hex(bits)}ull`;
    case 'f32': return `WASM_RT_BITS_F32(${hex(bits)}u)`;
    case 'f64': return `WASM_RT_BITS_F64(${hex(bits)}ull)`;
  }
}

function signatureOf(type: FuncType, params: readonly string[]): string {
  const ret = type.results.length === 0 ? 'void' : C_TYPE[type.results[0]];
  const list = type.params.length === 0 ? 'void' : type.params.map((t, i) => `${C_TYPE[t]} ${params[i]}`).join(', ');
  return `${ret} %NAME%(${list})`;
}

function pointerType(type: FuncType): string {
  const ret = type.results.length === 0 ? 'void' : C_TYPE[type.results[0]];
  return `${ret} (*)(${type.params.length === 0 ? 'void' : type.params.map((t) => C_TYPE[t]).join(', ')})`;
}

/** Writes lines of C, keeping `#line` directives in step with what gcc will count. */
class Writer {
  readonly lines: string[] = [];
  /** The file and the line gcc assigns to the next line written. */
  private file: string;
  private next = 1;

  constructor(private readonly cFileName: string) {
    this.file = cFileName;
  }

  /** A line attributed to `at` (a source line), or to this C file when undefined. */
  line(text: string, at?: { file: string; line: number }): void {
    const file = at?.file ?? this.cFileName;
    const want = at ? at.line : this.lines.length + 1;
    if (file !== this.file || want !== this.next) {
      // The directive itself takes a line: this file's next line is one further down.
      const number = at ? at.line : this.lines.length + 2;
      this.lines.push(`#line ${number} ${cString(file)}`);
      this.file = file;
      this.next = number;
    }
    this.lines.push(text);
    this.next++;
  }

  /** Back to this C file's own line numbers (code without source lines follows). */
  own(): void {
    if (this.file !== this.cFileName || this.next !== this.lines.length + 1) {
      const number = this.lines.length + 2;
      this.lines.push(`#line ${number} ${cString(this.cFileName)}`);
      this.file = this.cFileName;
      this.next = number;
    }
  }
}

export function emitC(input: EmitInput): string {
  const { module } = input;
  const w = new Writer(input.cFileName);
  const top = new CNamespace();
  const total = functionCount(module);
  const fnIds = Array.from({ length: total }, (_, i) => top.claim(input.names.display[i], `func_${i}`));
  const globalCount = module.globals.length;
  const globalIds = Array.from({ length: globalCount }, (_, i) => top.claim(input.names.globals.get(i) ?? `global_${i}`));
  const types = module.types;
  const canonical = types.map((t) => types.findIndex((u) => u.params.join() === t.params.join() && u.results.join() === t.results.join()));
  const tableSize = module.tables[0]?.min ?? 0;
  const lines = input.lines;
  const sourceAt = (offset: number) => {
    const range = lines?.at(offset - module.codeSectionStart);
    return range ? { file: range.file, line: range.line } : undefined;
  };

  w.line(`/* ${input.banner} */`);
  w.line('/* Generated by Micro-VM Studio\'s Wasm translator (native/lib/wasm/); see docs/wasm-guests.md. */');
  w.line('#include "wasm_rt.h"');
  w.line('');

  // Names for traps and the host's messages.
  w.line(`const uint32_t wasm_rt_function_count = ${total}u;`);
  w.line(`const char *const wasm_rt_function_names[${Math.max(total, 1)}] = {`);
  input.names.display.forEach((name) => w.line(`  ${cString(name)},`));
  w.line('};');
  w.line('');

  // Globals.
  module.globals.forEach((g, i) => {
    if (g.init.kind !== 'const') throw new Error(`global ${i}: initialisers other than constants are not supported`);
    w.line(`static ${C_TYPE[g.type]} ${globalIds[i]} = ${constant(g.type, g.init.bits)};`);
  });
  if (tableSize > 0) w.line(`static wasm_rt_table_entry wasm_x_table[${tableSize}];`);
  w.line('');

  // Prototypes.
  const paramNames = (index: number): string[] => {
    const type = functionType(module, index);
    const names = input.names.locals.get(index);
    const ns = new CNamespace(top);
    return type.params.map((_, i) => ns.claim(names?.get(i) ?? `p${i}`));
  };
  for (let i = 0; i < total; i++) {
    w.line(`static ${signatureOf(functionType(module, i), paramNames(i)).replace('%NAME%', fnIds[i])};`);
  }
  w.line('');

  // Imports: host functions.
  for (const imp of input.imports) {
    const i = imp.functionIndex;
    const params = paramNames(i);
    w.line(`/* import ${imp.module}.${imp.field} */`);
    w.line(`static ${signatureOf(imp.wasmType, params).replace('%NAME%', fnIds[i])} {`);
    if (imp.kind === 'host-print') {
      w.line(`  return wasm_rt_host_print(${params[0]}, ${i}u, 0u);`);
    } else {
      const n = imp.wasmType.params.length;
      if (n > 0) {
        w.line(`  static const uint8_t tags[${n}] = {${imp.wasmType.params.map((t) => WASM_TAG[t]).join(', ')}};`);
        w.line(`  const uint64_t bits[${n}] = {${imp.wasmType.params.map((t, k) => (t === 'f32' ? `WASM_RT_F32_BITS(${params[k]})` : t === 'f64' ? `WASM_RT_F64_BITS(${params[k]})` : `(uint64_t)${params[k]}`)).join(', ')}};`);
      }
      const result = imp.wasmType.results[0];
      const call = `wasm_rt_host_call(${cString(imp.field)}, ${result ? WASM_TAG[result] : 0}, ${n > 0 ? 'tags' : 'NULL'}, ${n > 0 ? 'bits' : 'NULL'}, ${n}u)`;
      if (!result) w.line(`  ${call};`);
      else if (result === 'f32') w.line(`  return WASM_RT_BITS_F32((uint32_t)${call});`);
      else if (result === 'f64') w.line(`  return WASM_RT_BITS_F64(${call});`);
      else w.line(`  return (${C_TYPE[result]})${call};`);
    }
    w.line('}');
    w.line('');
  }

  // Defined functions.
  for (const fn of input.functions) emitFunction(w, input, fn, fnIds, globalIds, canonical, tableSize, top, sourceAt);
  w.own();

  // Exports: the guest ABI's entry points and the function table.
  for (const ex of input.exports) emitExport(w, ex, fnIds);

  // Instantiation: before the snapshot, as a constructor of the C SDK's start-up.
  w.line('__attribute__((constructor)) static void wasm_x_init(void) {');
  w.line('  wasm_rt_init();');
  const memory = module.memories[0];
  if (memory) w.line(`  wasm_rt_init_memory(${memory.min}u, ${memory.max ?? 65536}u);`);
  module.data.forEach((segment, i) => {
    if (segment.offset === undefined) return; // passive: only memory.init could use it
    if (segment.offset.kind !== 'const') throw new Error(`data segment ${i}: offsets other than constants are not supported`);
    const bytes = [...segment.bytes];
    w.line(`  static const uint8_t data_${i}[${Math.max(bytes.length, 1)}] = {`);
    for (let k = 0; k < bytes.length; k += 24) w.line(`    ${bytes.slice(k, k + 24).map((b) => `${b}`).join(',')},`);
    w.line('  };');
    w.line(`  wasm_rt_init_data(${i}u, ${hex(segment.offset.bits)}u, data_${i}, ${bytes.length}u);`);
  });
  module.elements.forEach((segment, i) => {
    if (segment.offset.kind !== 'const') throw new Error(`element segment ${i}: offsets other than constants are not supported`);
    const offset = Number(segment.offset.bits);
    w.line(`  wasm_rt_check_elements(${i}u, ${offset}u, ${segment.functions.length}u, ${tableSize}u);`);
    segment.functions.forEach((f, k) => {
      const typeIndex = canonical[module.types.indexOf(functionType(module, f))];
      w.line(`  wasm_x_table[${offset + k}] = (wasm_rt_table_entry){(void (*)(void))&${fnIds[f]}, ${typeIndex}u};`);
    });
  });
  if (module.start !== undefined) w.line(`  ${fnIds[module.start]}();`);
  w.line('}');
  return `${w.lines.join('\n')}\n`;
}

function emitExport(w: Writer, ex: GuestExport, fnIds: readonly string[]): void {
  const s = ex.signature;
  const id = `wasm_x_export_${s.name}`;
  const params = s.paramTypes.map((t, i) => `${GUEST_C_TYPE[t]} a${i}`);
  const args = s.paramTypes.flatMap((t, i): string[] => {
    switch (t) {
      case 'string': return [`wasm_rt_string_in(a${i})`];
      case 'bytes': return [`wasm_rt_bytes_in(a${i}.data, a${i}.len)`, `(uint32_t)a${i}.len`];
      case 'f32': case 'f64': return [`a${i}`];
      case 'i64': case 'u64': return [`(uint64_t)a${i}`];
      default: return [`(uint32_t)a${i}`];
    }
  });
  const call = `${fnIds[ex.functionIndex]}(${args.join(', ')})`;
  w.line(`/* export ${s.name}: (${s.paramTypes.join(', ')}) -> ${s.returnType} */`);
  w.line(`static ${GUEST_C_TYPE[s.returnType]} ${id}(${params.length === 0 ? 'void' : params.join(', ')}) {`);
  switch (s.returnType) {
    case 'void': w.line(`  ${call};`); break;
    case 'string': w.line(`  return wasm_rt_string_out(${call}, ${ex.functionIndex}u);`); break;
    case 'bytes': w.line(`  return wasm_rt_bytes_out(${call}, ${ex.functionIndex}u);`); break;
    case 'bool': w.line(`  return ${call} != 0;`); break;
    default: w.line(`  return (${GUEST_C_TYPE[s.returnType]})${call};`);
  }
  w.line('}');
  const tags = s.paramTypes.map((t) => TAG[t]);
  w.line(`static const wasm_rt_function_entry wasm_x_entry_${s.name} WASM_RT_ENTRY_ATTRS = {`);
  w.line(`  WASM_RT_FUNCTION_MAGIC, 1, ${TAG[s.returnType]}, ${tags.length}, 0, {${tags.join(', ') || '0'}}, ${cString(s.name)}, (void (*)(void))&${id}};`);
  w.line('');
}

interface OpenFrame {
  readonly id: number;
  readonly kind: 'block' | 'loop' | 'if';
  readonly live: boolean;
}

function emitFunction(
  w: Writer,
  input: EmitInput,
  fn: ValidatedFunction,
  fnIds: readonly string[],
  globalIds: readonly string[],
  canonical: readonly number[],
  tableSize: number,
  top: CNamespace,
  sourceAt: (offset: number) => { file: string; line: number } | undefined,
): void {
  const { module } = input;
  const ns = new CNamespace(top);
  const operandsId = ns.claim('operands');
  const localNames = input.names.locals.get(fn.index);
  const locals = fn.locals.map((_, i) => ns.claim(localNames?.get(i) ?? (i < fn.type.params.length ? `p${i}` : `l${i}`)));
  const used = new Map<string, ValType>();
  const S = (depth: number, type: ValType): string => {
    const field = `${type}_${depth}`;
    used.set(field, type);
    return `${operandsId}.${field}`;
  };
  const body: Array<{ text: string; at?: { file: string; line: number } }> = [];
  const first = fn.instructions[0];
  const headerAt = first ? sourceAt(first.offset) : undefined;
  const site = (instr: Instr) => `${fn.index}u, ${hex(instr.offset)}u`;
  const frames: OpenFrame[] = [];
  const labelOf = (target: BranchTarget) => (target.kind === 'loop' ? `L${target.frame}_loop` : `L${target.frame}`);

  const emit = (text: string, at: { file: string; line: number } | undefined) => body.push({ text, at });
  /** Copies the values a branch carries to the target's slots, then jumps. */
  const branch = (target: BranchTarget, valuesTop: number): string[] => {
    const out: string[] = [];
    const n = target.values.length;
    if (target.kind === 'function') {
      out.push(n === 0 ? 'return;' : `return ${S(valuesTop - 1, target.values[0])};`);
      return out;
    }
    target.values.forEach((t, k) => {
      const from = valuesTop - n + k;
      const to = target.height + k;
      if (from !== to) out.push(`${S(to, t)} = ${S(from, t)};`);
    });
    out.push(`goto ${labelOf(target)};`);
    return out;
  };

  for (const instr of fn.instructions) {
    const at = sourceAt(instr.offset) ?? headerAt;
    const h = instr.height;
    // Structure first: it is tracked even through dead code.
    if (instr.op === 'block' || instr.op === 'loop' || instr.op === 'if') {
      const live = !instr.dead;
      frames.push({ id: instr.frame, kind: instr.op, live });
      if (!live) continue;
      if (instr.op === 'loop') emit(`L${instr.frame}_loop:;`, at);
      if (instr.op === 'if') emit(`if (${S(h - 1, 'i32')}) {`, at);
      continue;
    }
    if (instr.op === 'else') {
      if (frames[frames.length - 1]?.live) emit('} else {', at);
      continue;
    }
    if (instr.op === 'end') {
      if (instr.kind === 'function') {
        if (!instr.dead) emit(instr.results.length === 0 ? 'return;' : `return ${S(0, instr.results[0])};`, at);
        continue;
      }
      const frame = frames.pop()!;
      if (!frame.live) continue;
      if (frame.kind === 'if') emit('}', at);
      if (frame.kind !== 'loop') emit(`L${frame.id}:;`, at);
      continue;
    }
    if (instr.dead) continue;
    const stmt = (text: string) => emit(text, at);
    switch (instr.op) {
      case 'nop': break;
      case 'drop': break;
      case 'unreachable': stmt(`wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE, ${site(instr)});`); break;
      case 'return': {
        const results = fn.type.results;
        stmt(results.length === 0 ? 'return;' : `return ${S(h - 1, results[0])};`);
        break;
      }
      case 'br': stmt(branch(instr.target, h).join(' ')); break;
      case 'br_if': stmt(`if (${S(h - 1, 'i32')}) { ${branch(instr.target, h - 1).join(' ')} }`); break;
      case 'br_table': {
        const cases = instr.targets.map((t, k) => `case ${k}u: ${branch(t, h - 1).join(' ')}`);
        stmt(`switch (${S(h - 1, 'i32')}) { ${cases.join(' ')} default: ${branch(instr.fallback, h - 1).join(' ')} }`);
        break;
      }
      case 'call': {
        const type = functionType(module, instr.func);
        const n = type.params.length;
        const args = type.params.map((t, k) => S(h - n + k, t)).join(', ');
        const call = `${fnIds[instr.func]}(${args})`;
        stmt(type.results.length === 0 ? `${call};` : `${S(h - n, type.results[0])} = ${call};`);
        break;
      }
      case 'call_indirect': {
        const type = module.types[instr.typeIndex];
        const n = type.params.length;
        const args = type.params.map((t, k) => S(h - 1 - n + k, t)).join(', ');
        const target = `((${pointerType(type)})WASM_RT_INDIRECT(wasm_x_table, ${tableSize}u, ${S(h - 1, 'i32')}, ${canonical[instr.typeIndex]}u, ${site(instr)}))`;
        const call = tableSize > 0 ? `${target}(${args})` : `(wasm_rt_trap(WASM_RT_TRAP_UNDEFINED_ELEMENT, ${site(instr)}), ${type.results.length ? constant(type.results[0], 0n) : '(void)0'})`;
        stmt(type.results.length === 0 ? `${call};` : `${S(h - 1 - n, type.results[0])} = ${call};`);
        break;
      }
      case 'select': stmt(`${S(h - 3, instr.type)} = ${S(h - 1, 'i32')} ? ${S(h - 3, instr.type)} : ${S(h - 2, instr.type)};`); break;
      case 'local.get': stmt(`${S(h, fn.locals[instr.local])} = ${locals[instr.local]};`); break;
      case 'local.set': stmt(`${locals[instr.local]} = ${S(h - 1, fn.locals[instr.local])};`); break;
      case 'local.tee': stmt(`${locals[instr.local]} = ${S(h - 1, fn.locals[instr.local])};`); break;
      case 'global.get': stmt(`${S(h, globalType(module, instr.global))} = ${globalIds[instr.global]};`); break;
      case 'global.set': stmt(`${globalIds[instr.global]} = ${S(h - 1, globalType(module, instr.global))};`); break;
      case 'const': stmt(`${S(h, instr.type)} = ${constant(instr.type, instr.bits)};`); break;
      case 'memory.size': stmt(`${S(h, 'i32')} = wasm_rt_pages;`); break;
      case 'memory.grow': stmt(`${S(h - 1, 'i32')} = wasm_rt_memory_grow(${S(h - 1, 'i32')});`); break;
      case 'memory.copy': stmt(`wasm_rt_memory_copy(${S(h - 3, 'i32')}, ${S(h - 2, 'i32')}, ${S(h - 1, 'i32')}, ${site(instr)});`); break;
      case 'memory.fill': stmt(`wasm_rt_memory_fill(${S(h - 3, 'i32')}, ${S(h - 2, 'i32')}, ${S(h - 1, 'i32')}, ${site(instr)});`); break;
      case 'load': {
        const m = instr.memory;
        const addr = S(h - 1, 'i32');
        const ctype = loadCType(m.name);
        const value = `WASM_RT_LOAD(${ctype}, ${addr}, ${instr.memOffset}u, ${site(instr)})`;
        stmt(`${S(h - 1, m.type)} = (${C_TYPE[m.type]})${signExtend(m.name, m.type)}${value};`);
        break;
      }
      case 'store': {
        const m = instr.memory;
        const ctype = m.type === 'f32' || m.type === 'f64' ? C_TYPE[m.type] : `uint${m.bytes * 8}_t`;
        stmt(`WASM_RT_STORE(${ctype}, ${S(h - 2, 'i32')}, ${instr.memOffset}u, ${S(h - 1, m.type)}, ${site(instr)});`);
        break;
      }
      case 'numeric': {
        const op = instr.numeric;
        const n = op.params.length;
        const args = op.params.map((t, k) => S(h - n + k, t));
        stmt(`${S(h - n, op.result)} = ${numericExpr(op.name, args, site(instr))};`);
        break;
      }
    }
  }

  // The frame the stack check accounts for: every local and operand slot, and call spills.
  const frameBytes = 16 * (locals.length + used.size) + 256;
  const params = fn.type.params.map((t, i) => `${C_TYPE[t]} ${locals[i]}`);
  const ret = fn.type.results.length === 0 ? 'void' : C_TYPE[fn.type.results[0]];
  w.line(`/* func ${fn.index}: ${input.names.display[fn.index]} */`, undefined);
  w.line(`static ${ret} ${fnIds[fn.index]}(${params.length === 0 ? 'void' : params.join(', ')}) {`, headerAt);
  for (let i = fn.type.params.length; i < fn.locals.length; i++) w.line(`  ${C_TYPE[fn.locals[i]]} ${locals[i]} = 0;`, headerAt);
  if (used.size > 0) {
    w.line(`  struct { ${[...used].map(([field, t]) => `${C_TYPE[t]} ${field};`).join(' ')} } ${operandsId};`, headerAt);
  }
  w.line(`  WASM_RT_ENTER(${frameBytes}u, ${fn.index}u, ${hex(first?.offset ?? 0)}u);`, headerAt);
  for (const line of body) w.line(`  ${line.text}`, line.at);
  w.line('}', undefined);
  w.own();
  w.line('');
}

function globalType(module: WasmModule, index: number): ValType {
  return module.globals[index].type;
}

function loadCType(name: string): string {
  const [type, op] = name.split('.');
  if (op === 'load') return C_TYPE[type as ValType];
  const match = /^load(8|16|32)_([su])$/.exec(op)!;
  return `${match[2] === 's' ? 'int' : 'uint'}${match[1]}_t`;
}

/** A signed narrow load widens through the signed type of the result's width. */
function signExtend(name: string, type: ValType): string {
  return /_s$/.test(name) ? `(${type === 'i64' ? 'int64_t' : 'int32_t'})` : '';
}

/** The C expression of a numeric instruction over its operand expressions. */
export function numericExpr(name: string, a: readonly string[], site: string): string {
  const [x, y] = a;
  const [type, op] = name.split('.') as [ValType, string];
  const bits = type === 'i64' ? 64 : 32;
  const s = `int${bits}_t`;
  const u = `uint${bits}_t`;
  const bin: Record<string, string> = { add: '+', sub: '-', mul: '*', and: '&', or: '|', xor: '^', div: '/' };
  const cmp: Record<string, string> = { eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=' };
  if (type === 'i32' || type === 'i64') {
    if (op in bin && op !== 'div') return `(${u})(${x} ${bin[op]} ${y})`;
    if (op === 'eqz') return `(uint32_t)(${x} == 0)`;
    const compare = /^(eq|ne|lt|gt|le|ge)(_([su]))?$/.exec(op);
    if (compare) return compare[3] === 's' ? `(uint32_t)((${s})${x} ${cmp[compare[1]]} (${s})${y})` : `(uint32_t)(${x} ${cmp[compare[1]]} ${y})`;
    switch (op) {
      case 'clz': return `WASM_RT_CLZ${bits}(${x})`;
      case 'ctz': return `WASM_RT_CTZ${bits}(${x})`;
      case 'popcnt': return `wasm_rt_popcnt${bits}(${x})`;
      case 'div_s': return `WASM_RT_DIV_S(${bits}, ${x}, ${y}, ${site})`;
      case 'div_u': return `WASM_RT_DIV_U(${x}, ${y}, ${site})`;
      case 'rem_s': return `WASM_RT_REM_S(${bits}, ${x}, ${y}, ${site})`;
      case 'rem_u': return `WASM_RT_REM_U(${x}, ${y}, ${site})`;
      case 'shl': return `(${u})(${x} << (${y} & ${bits - 1}))`;
      case 'shr_s': return `(${u})((${s})${x} >> (${y} & ${bits - 1}))`;
      case 'shr_u': return `(${u})(${x} >> (${y} & ${bits - 1}))`;
      case 'rotl': return `WASM_RT_ROTL${bits}(${x}, ${y})`;
      case 'rotr': return `WASM_RT_ROTR${bits}(${x}, ${y})`;
      case 'wrap_i64': return `(uint32_t)${x}`;
      case 'extend_i32_s': return `(uint64_t)(int64_t)(int32_t)${x}`;
      case 'extend_i32_u': return `(uint64_t)${x}`;
      case 'extend8_s': return `(${u})(${s})(int8_t)${x}`;
      case 'extend16_s': return `(${u})(${s})(int16_t)${x}`;
      case 'extend32_s': return `(${u})(${s})(int32_t)${x}`;
      case 'reinterpret_f32': return `WASM_RT_F32_BITS(${x})`;
      case 'reinterpret_f64': return `WASM_RT_F64_BITS(${x})`;
    }
    const trunc = /^trunc_(sat_)?(f32|f64)_([su])$/.exec(op);
    if (trunc) return trunc[1] ? `wasm_rt_${type}_trunc_sat_${trunc[2]}_${trunc[3]}(${x})` : `wasm_rt_${type}_trunc_${trunc[2]}_${trunc[3]}(${x}, ${site})`;
  } else {
    const F = type.toUpperCase();
    const ct = C_TYPE[type];
    if (op in bin) return `(${ct})(${x} ${bin[op]} ${y})`;
    if (op in cmp) return `(uint32_t)(${x} ${cmp[op]} ${y})`;
    switch (op) {
      case 'abs': return `WASM_RT_${F}_ABS(${x})`;
      case 'neg': return `WASM_RT_${F}_NEG(${x})`;
      case 'sqrt': return `WASM_RT_${F}_SQRT(${x})`;
      case 'copysign': return `WASM_RT_${F}_COPYSIGN(${x}, ${y})`;
      case 'ceil': case 'floor': case 'trunc': case 'nearest': return `wasm_rt_${type}_${op}(${x})`;
      case 'min': case 'max': return `wasm_rt_${type}_${op}(${x}, ${y})`;
      case 'demote_f64': return `(float)${x}`;
      case 'promote_f32': return `(double)${x}`;
      case 'convert_i32_s': return `(${ct})(int32_t)${x}`;
      case 'convert_i32_u': return `(${ct})(uint32_t)${x}`;
      case 'convert_i64_s': return `(${ct})(int64_t)${x}`;
      case 'convert_i64_u': return `(${ct})(uint64_t)${x}`;
      case 'reinterpret_i32': return `WASM_RT_BITS_F32(${x})`;
      case 'reinterpret_i64': return `WASM_RT_BITS_F64(${x})`;
    }
  }
  throw new Error(`no C for ${name}`);
}
