// Guest calls through the public API on real KVM: every value type, host functions, printing,
// argument checking, restore between calls, async calls and the sandbox lifecycle.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MicroVmError, Sandbox, liveSandboxCount, type GuestValue, type HostFunction } from '../native/lib';
import { buildTestGuest } from './guests/build-guests';
import { needsKvm } from './support/kvm';

const hostFunctions: HostFunction[] = [
  { name: 'HostAdd', paramTypes: ['i32', 'i32'], returnType: 'i32', implementation: (a, b) => (a as number) + (b as number) },
  { name: 'HostConcat', paramTypes: ['string'], returnType: 'string', implementation: (s) => `<${s as string}>` },
];

/** Every region's bytes as the next call starts: read in a debug call stopped at its entry, then ended. */
async function memoryAtEntry(sandbox: Sandbox): Promise<Buffer> {
  const call = sandbox.debugCall('Counter');
  const bytes = Buffer.concat(sandbox.regions.map((region) => call.readMemory(region.address, region.size)));
  await call.abort();
  return bytes;
}

function expectError(fn: () => unknown, code: string, message: RegExp | string): MicroVmError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof MicroVmError, `expected a MicroVmError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (typeof message === 'string') assert.equal(caught.message, message);
  else assert.match(caught.message, message);
  return caught;
}

describe('guest calls', { skip: needsKvm }, () => {
  let elf: string;
  let sandbox: Sandbox;

  before(() => {
    elf = buildTestGuest('types');
    sandbox = Sandbox.create(elf, { hostFunctions });
  });
  after(() => sandbox?.dispose());

  test('lists the functions of the guest from its table', () => {
    const echo = sandbox.functions.find((fn) => fn.name === 'MixedArgs');
    assert.deepEqual(echo, { name: 'MixedArgs', returnType: 'f64', paramTypes: ['i32', 'f64', 'string', 'u64', 'f32', 'bool'] });
  });

  const echoes: [string, GuestValue[]][] = [
    ['EchoI32', [-(2 ** 31), -1, 0, 2 ** 31 - 1]],
    ['EchoU32', [0, 1, 2 ** 32 - 1]],
    ['EchoI64', [-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n]],
    ['EchoU64', [0n, 2n ** 64n - 1n]],
    ['EchoF64', [0, -0, 1.5, -1e308, Number.MIN_VALUE, Infinity, -Infinity]],
    ['EchoF32', [0, 1.5, -2.25, Infinity, -Infinity]],
    ['EchoBool', [true, false]],
    ['EchoString', ['', 'hello', 'héllo wörld', '😀 non-BMP', 'x'.repeat(10000)]],
  ];
  for (const [name, values] of echoes) {
    test(`${name} returns each argument unchanged`, () => {
      for (const value of values) assert.deepEqual(sandbox.callSync(name, value).value, value, `${name}(${String(value)})`);
    });
  }

  test('f32 arguments are rounded to single precision; NaN stays NaN and -0 stays -0', () => {
    assert.equal(sandbox.callSync('EchoF32', 0.1).value, Math.fround(0.1));
    assert.ok(Number.isNaN(sandbox.callSync('EchoF32', NaN).value as number));
    assert.ok(Object.is(sandbox.callSync('EchoF32', -0).value, -0));
    assert.ok(Number.isNaN(sandbox.callSync('EchoF64', NaN).value as number));
  });

  test('64-bit parameters accept safe-integer numbers and return bigints', () => {
    assert.equal(sandbox.callSync('EchoU64', 42).value, 42n);
  });

  test('bytes travel both ways, including an empty array', () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
    assert.deepEqual(sandbox.callSync('EchoBytes', data).value, data);
    assert.deepEqual(sandbox.callSync('EchoBytes', new Uint8Array(0)).value, new Uint8Array(0));
    assert.equal(sandbox.callSync('SumBytes', Uint8Array.from([1, 2, 3, 250])).value, 256n);
  });

  test('void functions return undefined', () => {
    assert.equal(sandbox.callSync('ReturnVoid').value, undefined);
  });

  test('mixed integer and floating-point registers are assigned as the System V ABI says', () => {
    assert.equal(sandbox.callSync('MixedArgs', 1, 2.5, 'abc', 10n, 0.5, true).value, 18);
    assert.equal(sandbox.callSync('AllRegisters', 1, Uint8Array.from([1, 2]), 3n, 4, 1, 1, 1, 1, 1, 1, 1, 1).value, 4367);
    assert.equal(sandbox.callSync('StringLength', 'héllo').value, 6);
  });

  test('every call starts from the snapshot: a global counter is 1 each time', async () => {
    for (let i = 0; i < 3; i++) assert.equal(sandbox.callSync('Counter').value, 1);
    for (let i = 0; i < 3; i++) assert.equal((await sandbox.call('Counter')).value, 1);
  });

  test('the heap works and is reset between calls', () => {
    assert.equal(sandbox.callSync('Heap', 0).value, 0n);
    assert.equal(sandbox.callSync('Heap', 10).value, 168873n);
    assert.equal(sandbox.callSync('Heap', 1000).value, 63913516n);
    assert.equal(sandbox.callSync('Heap', 1000).value, 63913516n);
  });

  test('host functions are called with typed arguments and traced', () => {
    const result = sandbox.callSync('CallHostAdd', 2, 3);
    assert.equal(result.value, 5);
    assert.equal(result.hostCalls.length, 1);
    assert.equal(result.hostCalls[0].function, 'HostAdd');
    assert.deepEqual(result.hostCalls[0].args, [2, 3]);
    assert.equal(result.hostCalls[0].result, 5);
    assert.ok(result.hostCalls[0].durationUs >= 0);
    assert.equal(sandbox.callSync('CallHostConcat', 'abc').value, '<abc>');
    assert.equal(sandbox.callSync('CallHostConcatTwice', 'abc').value, '<<abc>>');
  });

  test('HostPrint output is collected in order and streamed to onPrint', () => {
    const chunks: string[] = [];
    const printing = Sandbox.create(elf, { onPrint: (text) => chunks.push(text) });
    try {
      const result = printing.callSync('PrintMany', 3);
      assert.equal(result.value, 3);
      assert.equal(result.output, 'line 0 of 3\nline 1 of 3\nline 2 of 3\n');
      assert.deepEqual(chunks, ['line 0 of 3\n', 'line 1 of 3\n', 'line 2 of 3\n']);
      assert.equal(result.hostCalls.filter((call) => call.function === 'HostPrint').length, 3);
      const formats = printing.callSync('PrintFormats');
      assert.equal(formats.output,
        '[-42|7|4000000000|beef|BEEF|   42|42   |00042|-9000000000|18446744073709551615|12345|Z|hello|abc|   right|left    |0x1000|3.14|-0.500000|%]\n');
      assert.equal(printing.callSync('PrintUtf8', 300).output, '😀'.repeat(300));
    } finally {
      printing.dispose();
    }
  });

  test('HostPrint, answered by the engine itself, traces each call with its byte count, sync and async', async () => {
    const chunks: string[] = [];
    const printing = Sandbox.create(elf, { onPrint: (text) => chunks.push(text) });
    try {
      for (const result of [printing.callSync('PrintUtf8', 2), await printing.call('PrintUtf8', 2)]) {
        assert.equal(result.value, 8);
        assert.deepEqual(result.hostCalls.map((call) => [call.function, call.args, call.result]), [['HostPrint', ['😀😀'], 8]]);
        assert.ok(result.hostCalls[0].durationUs >= 0);
      }
      assert.deepEqual(chunks, ['😀😀', '😀😀']);
      // Prints and a JS host function interleave in the order the guest made them.
      const mixed = Sandbox.create(elf, { hostFunctions });
      try {
        const result = mixed.callSync('CallHostConcatTwice', 'x');
        assert.equal(result.value, '<<x>>');
        assert.deepEqual(result.hostCalls.map((call) => call.function), ['HostConcat', 'HostConcat']);
      } finally {
        mixed.dispose();
      }
    } finally {
      printing.dispose();
    }
  });

  test('an onPrint that throws fails the call as a throwing HostPrint, sync and async', async () => {
    const failing = Sandbox.create(elf, { onPrint: () => { throw new Error('terminal closed'); } });
    try {
      const error = expectError(() => failing.callSync('PrintMany', 2), 'HOST_FUNCTION_ERROR', 'host function HostPrint threw: terminal closed');
      assert.deepEqual((error.details.hostCalls as { error?: string }[]).map((call) => call.error), ['terminal closed']);
      await assert.rejects(failing.call('PrintMany', 2), { code: 'HOST_FUNCTION_ERROR', message: 'host function HostPrint threw: terminal closed' });
    } finally {
      failing.dispose();
    }
  });

  test('the engine accepts exactly the UTF-8 that the checked path accepts (2,000 byte strings vs TextDecoder)', () => {
    // Byte strings built from UTF-8 edge cases: overlongs, surrogates, code points past U+10FFFF,
    // truncated and stray continuation bytes, mixed with valid characters of every length.
    const pieces = [
      [0x41], [0x7f], [0xc2, 0x80], [0xdf, 0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0xa0, 0x80], [0xe0, 0x9f, 0xbf],
      [0xed, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xef, 0xbf, 0xbf], [0xf0, 0x90, 0x80, 0x80], [0xf0, 0x8f, 0xbf, 0xbf],
      [0xf4, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xff], [0x80], [0xbf], [0xe2, 0x82],
      [0xf0, 0x9f, 0x98], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0xce, 0xbb],
    ];
    const strict = new TextDecoder('utf-8', { fatal: true });
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    let valid = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from(Array.from({ length: 1 + random(4) }, () => pieces[random(pieces.length)]).flat());
      let expected: string | undefined;
      try {
        expected = strict.decode(bytes);
      } catch {
        expected = undefined;
      }
      if (expected === undefined) {
        expectError(() => sandbox.callSync('PrintRaw', bytes), 'BAD_HOST_CALL', /argument 1 of host call HostPrint is not valid UTF-8$/);
      } else {
        valid++;
        const result = sandbox.callSync('PrintRaw', bytes);
        assert.equal(result.output, expected, `bytes ${Buffer.from(bytes).toString('hex')}`);
        assert.equal(result.value, bytes.length);
      }
    }
    assert.ok(valid > 200 && valid < 1800, `a useful mix of valid (${valid}) and invalid strings`);
  });

  test('a host function that throws fails the call with its message, and the sandbox goes on', () => {
    const failing = Sandbox.create(elf, {
      hostFunctions: [
        { name: 'HostAdd', paramTypes: ['i32', 'i32'], returnType: 'i32', implementation: () => { throw new Error('database is down'); } },
        { name: 'HostConcat', paramTypes: ['string'], returnType: 'string', implementation: () => 42 },
      ],
    });
    try {
      const error = expectError(() => failing.callSync('CallHostAdd', 1, 2), 'HOST_FUNCTION_ERROR', 'host function HostAdd threw: database is down');
      assert.equal(error.details.hostCalls?.[0].error, 'database is down');
      expectError(() => failing.callSync('CallHostConcat', 'x'), 'HOST_FUNCTION_ERROR',
        'host function HostConcat threw: returned a bad value: expected string, got number 42');
      assert.equal(failing.callSync('EchoI32', 7).value, 7);
    } finally {
      failing.dispose();
    }
  });

  test('a guest calling an unknown host function gets a clear error', () => {
    expectError(() => sandbox.callSync('CallHostMissing'), 'BAD_HOST_CALL',
      'guest function CallHostMissing called unknown host function NoSuchHostFunction; registered: HostPrint, HostAdd, HostConcat');
  });

  test('async host functions work with call() and are refused by callSync()', async () => {
    const asyncHost = Sandbox.create(elf, {
      hostFunctions: [
        { name: 'HostAdd', paramTypes: ['i32', 'i32'], returnType: 'i32', implementation: async (a, b) => (a as number) * (b as number) },
        { name: 'HostConcat', paramTypes: ['string'], returnType: 'string', implementation: async (s) => { throw new Error(`no ${s as string}`); } },
      ],
    });
    try {
      assert.equal((await asyncHost.call('CallHostAdd', 6, 7)).value, 42);
      await assert.rejects(asyncHost.call('CallHostConcat', 'way'), { code: 'HOST_FUNCTION_ERROR', message: 'host function HostConcat threw: no way' });
      expectError(() => asyncHost.callSync('CallHostAdd', 1, 2), 'HOST_FUNCTION_ERROR',
        /^host function HostAdd threw: returned a Promise, which only the async call\(\) can wait for/);
      assert.equal(asyncHost.callSync('EchoI32', 1).value, 1);
    } finally {
      asyncHost.dispose();
    }
  });

  test('unknown functions, wrong argument counts and types are refused before the guest runs', () => {
    expectError(() => sandbox.callSync('NoSuchFunction'), 'UNKNOWN_FUNCTION', /^the guest has no function "NoSuchFunction"; it exports: EchoI32, EchoU32, /);
    expectError(() => sandbox.callSync('EchoI32'), 'BAD_ARGUMENTS', 'EchoI32 takes 1 argument(s), got 0: EchoI32(i32) -> i32');
    expectError(() => sandbox.callSync('EchoI32', 1, 2), 'BAD_ARGUMENTS', 'EchoI32 takes 1 argument(s), got 2: EchoI32(i32) -> i32');
    expectError(() => sandbox.callSync('EchoI32', 'x'), 'BAD_ARGUMENTS', 'argument 1 of EchoI32: expected i32, got string "x"; signature EchoI32(i32) -> i32');
    expectError(() => sandbox.callSync('EchoI32', 2 ** 31), 'BAD_ARGUMENTS', /argument 1 of EchoI32: expected i32, got number 2147483648 \(out of range/);
    expectError(() => sandbox.callSync('EchoU32', -1), 'BAD_ARGUMENTS', /expected u32, got number -1 \(out of range/);
    expectError(() => sandbox.callSync('EchoI32', 1.5), 'BAD_ARGUMENTS', /expected i32, got number 1.5 \(not an integer\)/);
    expectError(() => sandbox.callSync('EchoU64', 2 ** 60), 'BAD_ARGUMENTS', /beyond 2\^53: pass a bigint/);
    expectError(() => sandbox.callSync('EchoBool', 1), 'BAD_ARGUMENTS', /expected bool, got number 1/);
    expectError(() => sandbox.callSync('EchoBytes', 'text'), 'BAD_ARGUMENTS', /expected bytes, got string "text"/);
    expectError(() => sandbox.callSync('MixedArgs', 1, 2, 3, 4n, 5, true), 'BAD_ARGUMENTS', /^argument 3 of MixedArgs: expected string, got number 3/);
    assert.equal(sandbox.callSync('Counter').value, 1);
  });

  test('arguments larger than the input buffer are refused with the sizes', () => {
    expectError(() => sandbox.callSync('EchoString', 'x'.repeat(70000)), 'BAD_ARGUMENTS',
      /^the arguments of EchoString need 70\d{3} bytes but the input buffer holds 65536 \(argument 1 alone is 70000 bytes\); raise inputBufferSize$/);
    const big = Sandbox.create(elf, { inputBufferSize: 2 * 1024 * 1024, memorySize: 8 * 1024 * 1024 });
    try {
      const megabyte = new Uint8Array(1024 * 1024).fill(1);
      assert.equal(big.callSync('SumBytes', megabyte).value, 1048576n);
    } finally {
      big.dispose();
    }
  });

  test('a result larger than the output buffer aborts the call with the sizes, then the sandbox goes on', () => {
    assert.equal((sandbox.callSync('ReturnBigString', 65503).value as string).length, 65503);
    expectError(() => sandbox.callSync('ReturnBigString', 70000), 'GUEST_ABORT', /ReturnBigString.*70000.*65536/);
    expectError(() => sandbox.callSync('ReturnBigBytes', 65505), 'GUEST_ABORT', /ReturnBigBytes/);
    assert.equal(sandbox.callSync('EchoI32', 3).value, 3);
  });
});

describe('sandbox lifecycle', { skip: needsKvm }, () => {
  test('async calls on different sandboxes interleave and agree', async () => {
    const elf = buildTestGuest('types');
    const sandboxes = [Sandbox.create(elf), Sandbox.create(elf)];
    try {
      const runSeries = async (s: Sandbox) => {
        const values: GuestValue[] = [];
        for (const n of [1, 2, 3]) values.push((await s.call('Heap', 100 * n)).value);
        return values;
      };
      const [a, b] = await Promise.all(sandboxes.map(runSeries));
      assert.equal(a.length, 3);
      assert.deepEqual(a, b);
    } finally {
      for (const s of sandboxes) s.dispose();
    }
  });

  test('an async call longer than its inline slice goes on on the vCPU thread and leaves the event loop free', async () => {
    const spinning = Sandbox.create(buildTestGuest('faults'), { timeoutMs: 300 });
    try {
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 5);
      try {
        await assert.rejects(spinning.call('SpinForever'), { code: 'TIMEOUT' });
      } finally {
        clearInterval(ticker);
      }
      // 300 ms of guest time. A blocked event loop could not tick before the rejection is seen;
      // a free one ticks about 60 times (fewer on a loaded machine, hence the low bar).
      assert.ok(ticks >= 2, `the event loop ticked ${ticks} times while the guest spun`);
      await assert.rejects(spinning.call('Abort'), { code: 'GUEST_ABORT' }); // and the sandbox goes on
    } finally {
      spinning.dispose();
    }
  });

  test('output printed before an inline slice runs out is kept, in order, wherever the slice ends', async () => {
    for (const inlineSliceUs of [1, 20, 100, 400]) {
      const chunks: string[] = [];
      const sliced = Sandbox.create(buildTestGuest('types'), { inlineSliceUs, onPrint: (text) => chunks.push(text) });
      try {
        for (const spins of [0, 1000, 100000]) {
          const result = await sliced.call('PrintSpinPrint', spins);
          assert.equal(result.value, spins);
          assert.equal(result.output, 'ab', `inlineSliceUs ${inlineSliceUs}, ${spins} spins`);
          assert.deepEqual(result.hostCalls.map((call) => call.args[0]), ['a', 'b']);
        }
        assert.deepEqual(chunks, ['a', 'b', 'a', 'b', 'a', 'b']);
      } finally {
        sliced.dispose();
      }
    }
  });

  test('inlineSliceUs: 0 runs every async call on the vCPU thread, with the same results', async () => {
    const elf = buildTestGuest('types');
    const threaded = Sandbox.create(elf, { inlineSliceUs: 0, hostFunctions });
    try {
      assert.equal((await threaded.call('CallHostAdd', 2, 3)).value, 5);
      assert.equal((await threaded.call('PrintMany', 2)).output, 'line 0 of 2\nline 1 of 2\n');
      assert.equal(threaded.callSync('Counter').value, 1);
      assert.equal((await threaded.call('Counter')).value, 1);
    } finally {
      threaded.dispose();
    }
    for (const bad of [-1, 1.5, 2_000_000, '10']) {
      expectError(() => Sandbox.create(elf, { inlineSliceUs: bad as number }), 'INVALID_OPTIONS',
        `inlineSliceUs must be an integer from 0 to 1000000 microseconds, got ${String(bad)}`);
    }
  });

  test('after every call guest memory equals the snapshot byte for byte, however many pages it changed', async () => {
    const MIB = 1024 * 1024;
    const restored = Sandbox.create(buildTestGuest('types'), { memorySize: 4 * MIB, inputBufferSize: MIB + 4096 });
    try {
      const memory = (): Promise<Buffer> => memoryAtEntry(restored);
      const snapshot = await memory();
      const big = new Uint8Array(MIB).map((_, i) => (i * 7) & 0xff);
      const calls: [string, () => unknown][] = [
        ['Counter', () => restored.callSync('Counter')],
        ['SumBytes of 1 MiB (256 pages the host wrote: dropped, not copied)', () => restored.callSync('SumBytes', big)],
        ['ReturnBigString (output and heap pages)', () => restored.callSync('ReturnBigString', 65503)],
        ['Heap', () => restored.callSync('Heap', 3000)],
        ['async PrintMany', () => restored.call('PrintMany', 50)],
        ['a refused call', () => assert.throws(() => restored.callSync('ReturnBigString', 70000))],
        ['Counter again', () => restored.callSync('Counter')],
      ];
      for (const [what, call] of calls) {
        await call();
        assert.ok((await memory()).equals(snapshot), `guest memory differs from the snapshot after ${what}`);
      }
      assert.equal(restored.callSync('Counter').value, 1);
    } finally {
      restored.dispose();
    }
  });

  test('restore finds changed pages the same way through the whole-page-map read of kernels before 6.7', () => {
    // A child process, because the choice is made once per process.
    const script = `
      const assert = require('node:assert/strict');
      const { Sandbox } = require(${JSON.stringify(path.join(__dirname, '..', 'native', 'lib'))});
      const s = Sandbox.create(process.argv[1], { inputBufferSize: 1024 * 1024 + 4096, memorySize: 4 * 1024 * 1024 });
      const memory = async () => {
        const call = s.debugCall('Counter');
        const bytes = Buffer.concat(s.regions.map((r) => call.readMemory(r.address, r.size)));
        await call.abort();
        return bytes;
      };
      (async () => {
        const snapshot = await memory();
        for (const call of [() => s.callSync('Counter'), () => s.callSync('SumBytes', new Uint8Array(1024 * 1024).fill(3)),
                            () => s.callSync('ReturnBigString', 65503), () => s.callSync('Counter')]) {
          call();
          assert.ok((await memory()).equals(snapshot));
        }
        assert.equal(s.callSync('Counter').value, 1);
        s.dispose();
        console.log('restored');
      })().catch((error) => { console.error(error); process.exit(1); });`;
    const child = spawnSync(process.execPath, ['-e', script, buildTestGuest('types')], {
      env: { ...process.env, MICROVM_FORCE_PAGEMAP_READ: '1' }, encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'restored');
  });

  test('segment selectors a call loads are put back before the next call', async () => {
    const sandbox = Sandbox.create(buildTestGuest('types'));
    try {
      const names = ['ds', 'es', 'fs', 'gs'] as const;
      // As the next call starts: seen from a debug call stopped at its entry.
      const selectors = async () => {
        const call = sandbox.debugCall('Counter');
        const registers = call.registers();
        await call.abort();
        return names.map((name) => registers[name].selector);
      };
      const snapshot = await selectors();
      assert.deepEqual(snapshot, [0x1b, 0x1b, 0x1b, 0x1b]);
      for (const selector of [0x23, 0]) {
        assert.equal(sandbox.callSync('LoadSelectors', selector).value, selector);
        assert.deepEqual(await selectors(), snapshot, `after loading ${selector}`);
        assert.equal(sandbox.callSync('Counter').value, 1);
      }
    } finally {
      sandbox.dispose();
    }
  });

  test('a second call while one is running is refused as busy', async () => {
    const sandbox = Sandbox.create(buildTestGuest('types'));
    try {
      const first = sandbox.call('Heap', 1000);
      expectError(() => sandbox.callSync('Counter'), 'SANDBOX_BUSY', 'cannot call Counter: a call is already running on this sandbox');
      await assert.rejects(sandbox.call('Counter'), { code: 'SANDBOX_BUSY' });
      assert.equal((await first).value, 63913516n);
      assert.equal(sandbox.callSync('Counter').value, 1);
    } finally {
      sandbox.dispose();
    }
  });

  test('dispose destroys the VM; a disposed sandbox refuses calls', async () => {
    const before = liveSandboxCount();
    const sandbox = Sandbox.create(buildTestGuest('types'));
    assert.equal(liveSandboxCount(), before + 1);
    sandbox.dispose();
    sandbox.dispose();
    assert.equal(liveSandboxCount(), before);
    assert.equal(sandbox.disposed, true);
    expectError(() => sandbox.callSync('Counter'), 'SANDBOX_DISPOSED', 'this sandbox has been disposed; create a new one');
    await assert.rejects(sandbox.call('Counter'), { code: 'SANDBOX_DISPOSED' });
  });

  test('dispose during an async call ends it with SANDBOX_DISPOSED and leaves no VM, vCPU thread or descriptor behind', async () => {
    // The short form of the soak's dispose-during-call cycles (npm run bench -- --soak).
    const elf = buildTestGuest('faults');
    const threads = (): number => fs.readdirSync('/proc/self/task').length;
    const fds = (): number => fs.readdirSync('/proc/self/fd').length;
    const primed = Sandbox.create(elf, { inlineSliceUs: 0 }); // what a process keeps once it used the engine
    await assert.rejects(primed.call('Abort'), { code: 'GUEST_ABORT' });
    primed.dispose();
    const before = { live: liveSandboxCount(), threads: threads(), fds: fds() };
    for (let i = 0; i < 10; i++) {
      // On the vCPU thread from the start, or inline for 1 ms first.
      const sandbox = Sandbox.create(elf, { inlineSliceUs: i % 2 === 0 ? 0 : 1000, timeoutMs: 10_000 });
      const call = sandbox.call('SpinForever');
      await new Promise((resolve) => setTimeout(resolve, 5));
      sandbox.dispose();
      await assert.rejects(call, (error: MicroVmError) => {
        assert.equal(error.code, 'SANDBOX_DISPOSED', error.message);
        assert.equal(error.message, 'the sandbox was disposed while SpinForever was running');
        return true;
      });
    }
    assert.deepEqual({ live: liveSandboxCount(), threads: threads(), fds: fds() }, before);
  });

  test('host function registrations are validated', () => {
    const elf = buildTestGuest('types');
    expectError(() => Sandbox.create(elf, { hostFunctions: [{ name: 'HostPrint', paramTypes: ['string'], returnType: 'i32', implementation: () => 0 }] }),
      'INVALID_OPTIONS', 'host function "HostPrint": is registered twice (HostPrint is built in)');
    expectError(() => Sandbox.create(elf, { hostFunctions: [{ name: 'bad name', paramTypes: [], returnType: 'i32', implementation: () => 0 }] }),
      'INVALID_OPTIONS', 'host function "bad name": the name must be an identifier of at most 63 characters');
    expectError(() => Sandbox.create(elf, { hostFunctions: [{ name: 'X', paramTypes: ['void'], returnType: 'i32', implementation: () => 0 }] }),
      'INVALID_OPTIONS', 'host function "X": parameter 1 has type void, which is not a parameter type');
  });
});
