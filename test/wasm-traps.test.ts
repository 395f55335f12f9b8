// Wasm guests in real micro-VMs: every trap kind comes back as WASM_TRAP naming the trap, the
// Wasm function and the source line (never a host crash or a raw page fault), the sandbox keeps
// working afterwards, and values cross the boundary by the documented convention (strings and
// bytes in linear memory, host functions with Wasm types, memory growth rolled back per call).
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { isMicroVmError, MicroVmError, Sandbox } from '../native/lib';
import { marks } from './support/dap';
import { needsKvm } from './support/kvm';
import { buildWasmTestGuest, wasmGuestsDir, wasmToolchainMissing } from './wasm-guests/build';

const SOURCE = path.join(wasmGuestsDir(), 'traps.c');
const mark = marks(SOURCE);
const skip = needsKvm || wasmToolchainMissing();

const HOST_ADD = { name: 'HostAdd', paramTypes: ['i32', 'i32'], returnType: 'i32', implementation: (a: unknown, b: unknown) => (a as number) + (b as number) } as const;

async function trap(sandbox: Sandbox, fn: string, ...args: (number | bigint)[]): Promise<MicroVmError> {
  try {
    await sandbox.call(fn, ...args);
  } catch (error) {
    assert.ok(isMicroVmError(error), `a MicroVmError, got ${String(error)}`);
    return error;
  }
  assert.fail(`${fn} did not trap`);
}

for (const optimize of ['0', '2'] as const) {
  describe(`Wasm traps (traps.c, clang -O${optimize})`, { skip }, () => {
    let sandbox: Sandbox;
    before(() => {
      sandbox = Sandbox.create(buildWasmTestGuest('traps', optimize), { hostFunctions: [HOST_ADD] });
    });

    // name, call, trap kind, the words in the message, the MARK of the line
    const cases: Array<[string, (number | bigint)[], string, string, string]> = [
      ['OutOfBoundsLoad', [0x7ffffff0], 'out-of-bounds-memory-access', 'out of bounds memory access', 'load'],
      ['OutOfBoundsStore', [0xfffffffc], 'out-of-bounds-memory-access', 'out of bounds memory access', 'store'],
      ['DivideS', [1, 0], 'integer-divide-by-zero', 'integer divide by zero', 'div_s'],
      ['DivideS', [-2147483648, -1], 'integer-overflow', 'integer overflow', 'div_s'],
      ['RemainderU', [5n, 0n], 'integer-divide-by-zero', 'integer divide by zero', 'rem_u'],
      ['ToInt', [NaN], 'invalid-conversion-to-integer', 'invalid conversion to integer', 'trunc'],
      ['ToInt', [1e10], 'integer-overflow', 'integer overflow', 'trunc'],
      ['Unreachable', [], 'unreachable', 'unreachable executed', 'unreachable'],
      ['IndirectMismatch', [], 'indirect-call-type-mismatch', 'indirect call type mismatch', 'indirect'],
      ['UndefinedElement', [], 'undefined-element', 'undefined element', 'undefined'],
      ['Recurse', [0], 'call-stack-exhausted', 'call stack exhausted', 'recurse'],
    ];
    for (const [fn, args, kind, words, line] of cases) {
      test(`${fn}(${args.join(', ')}): ${words}`, async () => {
        const error = await trap(sandbox, fn, ...args);
        assert.equal(error.code, 'WASM_TRAP', error.message);
        const details = error.details.wasmTrap!;
        assert.equal(details.trap, kind);
        assert.equal(details.wasmFunction, fn);
        assert.equal(details.file, SOURCE);
        // Optimised code may attribute a trap to a neighbouring line of the same statement.
        if (optimize === '0') assert.equal(details.line, mark(line));
        assert.equal(error.message,
          `guest function ${fn}: ${words} in Wasm function ${fn} at ${SOURCE}:${details.line} (function ${details.functionIndex}, module offset 0x${details.offset.toString(16)})`);
        assert.equal(error.details.functionName, fn);
        assert.equal(error.details.fault, undefined, 'a trap, not a CPU fault');
      });
    }

    test('the sandbox works after every trap; INT_MIN % -1 is 0; call_indirect of the right type works', async () => {
      assert.equal((await sandbox.call('DivideS', 7, 2)).value, 3);
      assert.equal((await sandbox.call('RemainderS', -2147483648, -1)).value, 0);
      assert.equal((await sandbox.call('IndirectOk', 42)).value, 42);
      assert.equal(sandbox.callSync('ToInt', -3.9).value, -3);
    });

    test('strings, bytes and floats cross by the convention; host functions with Wasm types', async () => {
      assert.equal((await sandbox.call('Greet', 'Wasm')).value, 'Hello, Wasm');
      assert.deepEqual((await sandbox.call('Reverse', new Uint8Array([1, 2, 3]))).value, new Uint8Array([3, 2, 1]));
      assert.equal((await sandbox.call('Scale', 1.5, 2)).value, 3);
      assert.equal((await sandbox.call('AddViaHost', 40, 2)).value, 42);
    });

    test('memory.grow: the module grows its memory, and each call starts from the snapshot', async () => {
      const first = (await sandbox.call('Grow', 1)).value as number;
      assert.ok(first > 0);
      assert.equal((await sandbox.call('Grow', 1)).value, first, 'the growth of the previous call was rolled back');
      assert.equal((await sandbox.call('Grow', 100000)).value, -1, 'beyond the maximum: -1');
    });
  });
}

describe('Wasm imports are checked when the sandbox is created', { skip }, () => {
  test('an import no host function provides is a load-time error naming it', () => {
    assert.throws(() => Sandbox.create(buildWasmTestGuest('traps')), (error: unknown) => {
      assert.ok(isMicroVmError(error));
      assert.equal(error.code, 'WASM_INVALID');
      assert.equal(error.message, 'the module imports env.HostAdd, but no host function HostAdd is registered (registered: HostPrint); it needs HostAdd(i32, i32) -> i32');
      return true;
    });
  });

  test('an import with other types than the host function is refused', () => {
    const wrong = { ...HOST_ADD, paramTypes: ['i64', 'i32'] } as const;
    assert.throws(() => Sandbox.create(buildWasmTestGuest('traps'), { hostFunctions: [wrong] }), {
      code: 'WASM_INVALID',
      message: 'the module imports env.HostAdd as HostAdd(i32, i32) -> i32, but the host function is HostAdd(i64, i32) -> i32',
    });
  });
});
