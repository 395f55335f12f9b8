// Validates one function body (the spec's validation algorithm: an operand stack of types and a
// stack of control frames) and returns its instructions annotated for the C emitter. Decoding and
// validation are one pass: a malformed or ill-typed body stops at its first problem, with the
// byte offset of the instruction.
import { WasmError } from './errors';
import { valType } from './decoder';
import type { BranchTarget, Instr } from './instructions';
import { functionCount, functionType, importedFunctions, type FuncType, type ValType, type WasmModule } from './module';
import { MEMORY_OPS, PREFIXED_OPS, SIMPLE_OPS } from './opcodes';
import { ByteReader } from './reader';

type Operand = ValType | 'unknown';

interface Frame {
  readonly id: number;
  readonly kind: BranchTarget['kind'];
  readonly results: readonly ValType[];
  readonly height: number;
  unreachable: boolean;
  sawElse: boolean;
}

/** What validation needs of the module besides the body. */
export interface ValidationContext {
  readonly module: WasmModule;
  /** Types of the globals, imported ones first. */
  readonly globals: readonly { type: ValType; mutable: boolean }[];
  readonly hasMemory: boolean;
  readonly tableCount: number;
}

export function validationContext(module: WasmModule): ValidationContext {
  const globals = [
    ...module.imports.flatMap((i) => (i.desc.kind === 'global' ? [{ type: i.desc.type, mutable: i.desc.mutable }] : [])),
    ...module.globals.map((g) => ({ type: g.type, mutable: g.mutable })),
  ];
  const hasMemory = module.memories.length + module.imports.filter((i) => i.desc.kind === 'memory').length > 0;
  const tableCount = module.tables.length + module.imports.filter((i) => i.desc.kind === 'table').length;
  return { module, globals, hasMemory, tableCount };
}

export interface ValidatedFunction {
  readonly index: number;
  readonly type: FuncType;
  /** Parameters then declared locals. */
  readonly locals: readonly ValType[];
  readonly instructions: readonly Instr[];
  /** The deepest operand stack, for the C emitter's frame size estimate. */
  readonly maxHeight: number;
}

/** Validates the body of defined function `definedIndex` (0 = the first non-imported function). */
export function validateFunction(context: ValidationContext, definedIndex: number): ValidatedFunction {
  const { module } = context;
  const index = importedFunctions(module).length + definedIndex;
  const body = module.bodies[definedIndex];
  const type = functionType(module, index);
  const locals = [...type.params, ...body.locals];
  const reader = new ByteReader(module.bytes, body.codeStart, body.end);
  const stack: Operand[] = [];
  const frames: Frame[] = [];
  const out: Instr[] = [];
  let nextFrame = 0;
  let maxHeight = 0;
  let instrOffset = body.codeStart;

  const fail = (problem: string): never => {
    throw new WasmError(problem, { offset: instrOffset });
  };
  const top = (): Frame => frames[frames.length - 1];
  const push = (t: Operand): void => {
    stack.push(t);
    if (stack.length > maxHeight) maxHeight = stack.length;
  };
  const pop = (expected: ValType | undefined, what: string): Operand => {
    const frame = top();
    if (stack.length === frame.height) {
      if (frame.unreachable) return expected ?? 'unknown';
      return fail(`${what}: expected ${expected ?? 'a value'} on the stack, found none`);
    }
    const actual = stack.pop()!;
    if (expected !== undefined && actual !== 'unknown' && actual !== expected) fail(`${what}: expected ${expected}, found ${actual}`);
    return actual;
  };
  const popAll = (types: readonly ValType[], what: string): void => {
    for (let i = types.length - 1; i >= 0; i--) pop(types[i], what);
  };
  const labelTypes = (frame: Frame): readonly ValType[] => (frame.kind === 'loop' ? [] : frame.results);
  const target = (depth: number): BranchTarget => {
    if (depth >= frames.length) fail(`branch depth ${depth} is out of range (${frames.length} enclosing labels)`);
    const frame = frames[frames.length - 1 - depth];
    return { frame: frame.id, kind: frame.kind, height: frame.height, values: labelTypes(frame) };
  };
  const markUnreachable = (): void => {
    const frame = top();
    stack.length = frame.height;
    frame.unreachable = true;
  };
  const blockType = (): readonly ValType[] => {
    const at = reader.offset;
    const byte = reader.u8('block type');
    if (byte === 0x40) return [];
    if (byte === 0x7f || byte === 0x7e || byte === 0x7d || byte === 0x7c) {
      return [valType(new ByteReader(module.bytes, at, at + 1), 'block type')];
    }
    return fail(`block type 0x${byte.toString(16)}: block types with parameters or several results (multi-value) are not supported`);
  };
  const localIndex = (): number => {
    const i = reader.u32('local index');
    if (i >= locals.length) fail(`local index ${i} is out of range (${locals.length} locals)`);
    return i;
  };
  const globalIndex = (): number => {
    const i = reader.u32('global index');
    if (i >= context.globals.length) fail(`global index ${i} is out of range (${context.globals.length} globals)`);
    return i;
  };
  const needMemory = (what: string): void => {
    if (!context.hasMemory) fail(`${what} needs a memory, and the module has none`);
  };

  frames.push({ id: nextFrame++, kind: 'function', results: type.results, height: 0, unreachable: false, sawElse: false });

  try {
    while (frames.length > 0) {
      if (reader.atEnd) fail('the body ends before its final end');
      instrOffset = reader.offset;
      const height = stack.length;
      const dead = top().unreachable;
      const base = { offset: instrOffset, height, dead };
      const opcode = reader.u8('opcode');
      switch (opcode) {
        case 0x00: out.push({ ...base, op: 'unreachable' }); markUnreachable(); break;
        case 0x01: out.push({ ...base, op: 'nop' }); break;
        case 0x02:
        case 0x03: {
          const results = blockType();
          const id = nextFrame++;
          frames.push({ id, kind: opcode === 0x02 ? 'block' : 'loop', results, height: stack.length, unreachable: false, sawElse: false });
          // A block inside dead code is dead as a whole.
          if (dead) top().unreachable = true;
          out.push({ ...base, op: opcode === 0x02 ? 'block' : 'loop', frame: id, results });
          break;
        }
        case 0x04: {
          const results = blockType();
          pop('i32', 'if condition');
          const id = nextFrame++;
          frames.push({ id, kind: 'if', results, height: stack.length, unreachable: false, sawElse: false });
          if (dead) top().unreachable = true;
          out.push({ ...base, op: 'if', frame: id, results });
          break;
        }
        case 0x05: {
          const frame = top();
          if (frame.kind !== 'if' || frame.sawElse) fail('else without a matching if');
          popAll(frame.results, 'end of the if branch');
          if (stack.length !== frame.height) fail(`the if branch leaves ${stack.length - frame.height} extra value(s) on the stack`);
          out.push({ ...base, op: 'else', frame: frame.id });
          frame.sawElse = true;
          // The else branch is live unless the whole if is dead.
          frame.unreachable = isDeadIf(out, frame.id);
          break;
        }
        case 0x0b: {
          const frame = top();
          popAll(frame.results, `end of ${frame.kind === 'function' ? 'the function' : `the ${frame.kind}`}`);
          if (stack.length !== frame.height) fail(`the ${frame.kind === 'function' ? 'function' : frame.kind} leaves ${stack.length - frame.height} extra value(s) on the stack`);
          if (frame.kind === 'if' && !frame.sawElse && frame.results.length > 0) fail('an if without else cannot produce a result');
          frames.pop();
          out.push({ ...base, op: 'end', frame: frame.id, kind: frame.kind, results: frame.results, frameHeight: frame.height });
          for (const t of frame.results) push(t);
          break;
        }
        case 0x0c: {
          const t = target(reader.u32('branch depth'));
          popAll(t.values, 'br');
          out.push({ ...base, op: 'br', target: t });
          markUnreachable();
          break;
        }
        case 0x0d: {
          const t = target(reader.u32('branch depth'));
          pop('i32', 'br_if condition');
          popAll(t.values, 'br_if');
          out.push({ ...base, op: 'br_if', target: t });
          for (const v of t.values) push(v);
          break;
        }
        case 0x0e: {
          const depths = reader.vector('br_table target', () => reader.u32('branch depth'));
          const fallback = target(reader.u32('branch depth'));
          const targets = depths.map(target);
          for (const t of targets) {
            if (t.values.length !== fallback.values.length || t.values.some((v, i) => v !== fallback.values[i])) {
              fail(`br_table targets carry different types: [${t.values.join(', ')}] and [${fallback.values.join(', ')}]`);
            }
          }
          pop('i32', 'br_table index');
          popAll(fallback.values, 'br_table');
          out.push({ ...base, op: 'br_table', targets, fallback });
          markUnreachable();
          break;
        }
        case 0x0f:
          popAll(type.results, 'return');
          out.push({ ...base, op: 'return' });
          markUnreachable();
          break;
        case 0x10: {
          const func = reader.u32('function index');
          if (func >= functionCount(module)) fail(`call of function ${func}, which does not exist (${functionCount(module)} functions)`);
          const callee = functionType(module, func);
          popAll(callee.params, `call of function ${func}`);
          out.push({ ...base, op: 'call', func });
          for (const t of callee.results) push(t);
          break;
        }
        case 0x11: {
          const typeIndex = reader.u32('type index');
          const tableIndex = reader.u8('table index');
          if (typeIndex >= module.types.length) fail(`call_indirect type index ${typeIndex} is out of range (${module.types.length} types)`);
          if (tableIndex !== 0) fail(`call_indirect of table ${tableIndex}: only table 0 is supported`);
          if (context.tableCount === 0) fail('call_indirect needs a table, and the module has none');
          const callee = module.types[typeIndex];
          pop('i32', 'call_indirect table index');
          popAll(callee.params, 'call_indirect');
          out.push({ ...base, op: 'call_indirect', typeIndex });
          for (const t of callee.results) push(t);
          break;
        }
        case 0x1a: pop(undefined, 'drop'); out.push({ ...base, op: 'drop' }); break;
        case 0x1b:
        case 0x1c: {
          let declared: ValType | undefined;
          if (opcode === 0x1c) {
            const types = reader.vector('select type', () => valType(reader, 'select type'));
            if (types.length !== 1) fail('typed select needs exactly one type');
            declared = types[0];
          }
          pop('i32', 'select condition');
          const second = pop(declared, 'select');
          const first = pop(declared ?? (second === 'unknown' ? undefined : second), 'select');
          const chosen: Operand = declared ?? (first !== 'unknown' ? first : second);
          out.push({ ...base, op: 'select', type: chosen === 'unknown' ? 'i32' : chosen });
          push(chosen);
          break;
        }
        case 0x20: { const local = localIndex(); out.push({ ...base, op: 'local.get', local }); push(locals[local]); break; }
        case 0x21: { const local = localIndex(); pop(locals[local], 'local.set'); out.push({ ...base, op: 'local.set', local }); break; }
        case 0x22: { const local = localIndex(); pop(locals[local], 'local.tee'); out.push({ ...base, op: 'local.tee', local }); push(locals[local]); break; }
        case 0x23: { const global = globalIndex(); out.push({ ...base, op: 'global.get', global }); push(context.globals[global].type); break; }
        case 0x24: {
          const global = globalIndex();
          if (!context.globals[global].mutable) fail(`global.set of immutable global ${global}`);
          pop(context.globals[global].type, 'global.set');
          out.push({ ...base, op: 'global.set', global });
          break;
        }
        case 0x3f:
        case 0x40: {
          const name = opcode === 0x3f ? 'memory.size' : 'memory.grow';
          if (reader.u8('memory index') !== 0) fail(`${name}: only memory 0 exists`);
          needMemory(name);
          if (opcode === 0x40) pop('i32', name);
          out.push({ ...base, op: name });
          push('i32');
          break;
        }
        case 0x41: out.push({ ...base, op: 'const', type: 'i32', bits: BigInt.asUintN(32, reader.sleb(32, 'i32.const')) }); push('i32'); break;
        case 0x42: out.push({ ...base, op: 'const', type: 'i64', bits: BigInt.asUintN(64, reader.sleb(64, 'i64.const')) }); push('i64'); break;
        case 0x43: out.push({ ...base, op: 'const', type: 'f32', bits: BigInt(reader.f32Bits()) }); push('f32'); break;
        case 0x44: out.push({ ...base, op: 'const', type: 'f64', bits: reader.f64Bits() }); push('f64'); break;
        case 0xfc: {
          const sub = reader.u32('0xfc sub-opcode');
          const numeric = PREFIXED_OPS.get(sub);
          if (numeric) {
            popAll(numeric.params, numeric.name);
            out.push({ ...base, op: 'numeric', numeric });
            push(numeric.result);
          } else if (sub === 10 || sub === 11) {
            const name = sub === 10 ? 'memory.copy' : 'memory.fill';
            if (reader.u8('memory index') !== 0 || (sub === 10 && reader.u8('memory index') !== 0)) fail(`${name}: only memory 0 exists`);
            needMemory(name);
            popAll(['i32', 'i32', 'i32'], name);
            out.push({ ...base, op: name });
          } else {
            fail(`instruction 0xfc ${sub} (bulk memory or table operations) is not supported`);
          }
          break;
        }
        default: {
          const memory = MEMORY_OPS.get(opcode);
          if (memory) {
            const align = reader.u32('alignment');
            const memOffset = reader.u32('memory offset');
            needMemory(memory.name);
            if (2 ** align > memory.bytes) fail(`${memory.name}: alignment 2^${align} is larger than the ${memory.bytes}-byte access`);
            if (memory.store) {
              pop(memory.type, memory.name);
              pop('i32', `${memory.name} address`);
              out.push({ ...base, op: 'store', memory, memOffset });
            } else {
              pop('i32', `${memory.name} address`);
              out.push({ ...base, op: 'load', memory, memOffset });
              push(memory.type);
            }
            break;
          }
          const numeric = SIMPLE_OPS.get(opcode);
          if (!numeric) {
            fail(opcode === 0xfd ? 'SIMD instructions (0xfd) are not supported'
              : opcode >= 0xd0 && opcode <= 0xd2 ? `reference-type instruction 0x${opcode.toString(16)} is not supported`
              : opcode === 0x06 || opcode === 0x07 || opcode === 0x08 || opcode === 0x09 || opcode === 0x18 || opcode === 0x19 ? `exception-handling instruction 0x${opcode.toString(16)} is not supported`
              : opcode === 0x12 || opcode === 0x13 ? 'tail calls are not supported'
              : `unknown opcode 0x${opcode.toString(16)}`);
          }
          popAll(numeric!.params, numeric!.name);
          out.push({ ...base, op: 'numeric', numeric: numeric! });
          push(numeric!.result);
        }
      }
    }
    if (!reader.atEnd) {
      instrOffset = reader.offset;
      fail(`${reader.remaining} byte(s) after the function's final end`);
    }
  } catch (error) {
    if (error instanceof WasmError && error.location.offset === undefined) throw new WasmError(error.problem, { offset: instrOffset });
    throw error;
  }
  return { index, type, locals, instructions: out, maxHeight };
}

/** True when the `if` opening `frame` was itself in dead code. */
function isDeadIf(out: readonly Instr[], frame: number): boolean {
  for (let i = out.length - 1; i >= 0; i--) {
    const instr = out[i];
    if (instr.op === 'if' && instr.frame === frame) return instr.dead;
  }
  return false;
}
