// The Wasm translator without a VM: malformed, invalid and unsupported modules are worded errors
// (WASM_INVALID naming the file, section, offset and function), never a crash or a hang; a valid
// hand-assembled module translates into C with the expected functions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isMicroVmError } from '../native/lib';
import { parseDeclarations, translateModule, WasmError } from '../native/lib/wasm';
import { Bytes } from './support/bytes';

/** Unsigned LEB128. */
function leb(n: number): number[] {
  return new Bytes().uleb(n).data;
}

function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...leb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...leb(bytes.length), ...bytes];
}

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const I32 = 0x7f;

/** A module with one function of type (i32, i32) -> i32 exported as Add, with `body` as its code. */
function moduleWith(body: number[], locals: number[][] = []): Uint8Array {
  const code = [...vec(locals), ...body];
  return new Uint8Array([
    ...HEADER,
    ...section(1, vec([[0x60, ...vec([[I32], [I32]]), ...vec([[I32]])]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('Add'), 0x00, 0]])),
    ...section(10, vec([[...leb(code.length), ...code]])),
  ]);
}

function rejects(bytes: Uint8Array, message: string | RegExp): void {
  assert.throws(() => translateModule(bytes, { file: 'm.wasm' }), (error: unknown) => {
    assert.ok(error instanceof WasmError, `a WasmError, got ${String(error)}`);
    assert.ok(isMicroVmError(error) && error.code === 'WASM_INVALID');
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe('the Wasm translator', () => {
  test('a valid module: i32.add becomes a C function, the export a guest function', () => {
    const t = translateModule(moduleWith([0x20, 0, 0x20, 1, 0x6a, 0x0b]));
    assert.deepEqual(t.functions, [{ name: 'Add', returnType: 'i32', paramTypes: ['i32', 'i32'] }]);
    assert.match(t.c, /static uint32_t Add\(uint32_t p0, uint32_t p1\) \{/);
    assert.match(t.c, /operands\.i32_0 = \(uint32_t\)\(operands\.i32_0 \+ operands\.i32_1\);/);
    assert.match(t.c, /"Add", \(void \(\*\)\(void\)\)&wasm_x_export_Add\};/);
  });

  test('not a module, a wrong version, a truncated module', () => {
    rejects(new TextEncoder().encode('\x7fELF....'), 'm.wasm: offset 0x0: not a WebAssembly module: it does not start with the magic \\0asm');
    rejects(new Uint8Array([...HEADER.slice(0, 4), 2, 0, 0, 0]), 'm.wasm: offset 0x4: unsupported binary version 2 (only version 1 is)');
    const full = moduleWith([0x20, 0, 0x20, 1, 0x6a, 0x0b]);
    rejects(full.subarray(0, full.length - 3), /^m\.wasm: code section size \d+ runs past the end|the code section's size \d+ runs past the end of the module/);
  });

  test('sections out of order, unknown section ids, LEB128 too long', () => {
    const typeSection = section(1, vec([[0x60, 0, 0]]));
    rejects(new Uint8Array([...HEADER, ...section(3, vec([])), ...typeSection]), 'm.wasm: type section, offset 0xb: the type section is out of order or repeated');
    rejects(new Uint8Array([...HEADER, 0x0e, 0x00]), 'm.wasm: offset 0x8: unknown section id 14');
    rejects(new Uint8Array([...HEADER, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), 'm.wasm: offset 0x9: type section size: integer representation too long or too large');
  });

  test('a forged vector count is refused before anything is allocated', () => {
    rejects(new Uint8Array([...HEADER, ...section(1, [0xff, 0xff, 0xff, 0xff, 0x0f])]), 'm.wasm: type section, offset 0xa: type count 4294967295 is larger than the 0 bytes left');
  });

  test('ill-typed code names the function and the instruction offset', () => {
    // i64.const 1 then i32.add: i32 expected, i64 found
    rejects(moduleWith([0x20, 0, 0x42, 1, 0x6a, 0x0b]), /^m\.wasm: code section, function 0, offset 0x[0-9a-f]+: i32\.add: expected i32, found i64$/);
    rejects(moduleWith([0x0b]), /function 0, offset 0x[0-9a-f]+: end of the function: expected i32 on the stack, found none$/);
    rejects(moduleWith([0x20, 5, 0x0b]), /function 0, offset 0x[0-9a-f]+: local index 5 is out of range \(2 locals\)$/);
    rejects(moduleWith([0x0c, 3, 0x0b]), /branch depth 3 is out of range \(1 enclosing labels\)$/);
    rejects(moduleWith([0x20, 0, 0x20, 1, 0x6a]), /function body 0 does not end with end \(0x0b\)/);
  });

  test('unsupported instructions and features are named', () => {
    rejects(moduleWith([0xfd, 0x0c, 0x0b]), /function 0, offset 0x[0-9a-f]+: SIMD instructions \(0xfd\) are not supported$/);
    rejects(moduleWith([0x12, 0, 0x0b]), /tail calls are not supported$/);
    rejects(moduleWith([0xd0, 0x70, 0x0b]), /reference-type instruction 0xd0 is not supported$/);
    rejects(moduleWith([0x20, 0, 0x28, 2, 0, 0x0b]), /i32\.load needs a memory, and the module has none$/);
  });

  test('imports other than functions are refused, naming them', () => {
    const bytes = new Uint8Array([
      ...HEADER,
      ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ]);
    rejects(bytes, 'm.wasm: import section, offset 0xb: import env.memory is a memory: only functions can be imported (a module defines and exports its own memory, table and globals)');
  });

  test('declarations: parsed, and checked against the exports', () => {
    assert.deepEqual(parseDeclarations('PrintOutput(string) -> i32\nSum(bytes, u64) -> void\n', 'x'), [
      { name: 'PrintOutput', returnType: 'i32', paramTypes: ['string'] },
      { name: 'Sum', returnType: 'void', paramTypes: ['bytes', 'u64'] },
    ]);
    assert.throws(() => parseDeclarations('Bad(text) -> i32', 'custom section "microvm.functions"'), {
      message: 'custom section "microvm.functions", line 1 "Bad(text) -> i32": unknown type "text" (types: void i32 u32 i64 u64 f32 f64 bool string bytes)',
    });
  });

  test('random corruption of a valid module never throws anything but a WasmError', () => {
    const valid = moduleWith([0x20, 0, 0x20, 1, 0x6a, 0x0b]);
    let seed = 1;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(valid);
      for (let k = 0; k < 3; k++) bytes[8 + Math.floor(random() * (bytes.length - 8))] = Math.floor(random() * 256);
      try {
        translateModule(bytes);
      } catch (error) {
        assert.ok(error instanceof WasmError, `corruption ${i}: ${String(error)}`);
      }
    }
  });
});
