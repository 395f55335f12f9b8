// The record codec's fast paths (numbers instead of BigInts, ASCII strings written directly, the
// cached function name, the validating decoder for every string) against the layout of
// docs/guest-abi.md and against the BigInt paths they fall back to. No VM and no timing here.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MicroVmError } from '../native/lib';
import { MAGIC, OutputRecord, decodeAbort, decodeHostCall, decodeResult, encodeCall } from '../native/lib/records';
import { readScalar, writeScalarSlot } from '../native/lib/values';
import type { FunctionSignature, GuestValue, ValueType } from '../native/lib/types';

const INPUT = 0x110000n;
const OUTPUT = 0x120000n;

/** The 16-byte slot the ABI defines: tag byte, zeros, u32 length, u64 payload. */
function slotBytes(tag: number, length: number, payload: bigint): number[] {
  const view = new DataView(new ArrayBuffer(16));
  view.setUint8(0, tag);
  view.setUint32(4, length, true);
  view.setBigUint64(8, BigInt.asUintN(64, payload), true);
  return [...new Uint8Array(view.buffer)];
}

const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const padTo8 = (bytes: number[]): number[] => [...bytes, ...new Array((8 - (bytes.length % 8)) % 8).fill(0)];

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof MicroVmError, String(error));
    return `${error.code}: ${error.message}`;
  }
  assert.fail('expected a MicroVmError');
}

describe('encodeCall', () => {
  test('Add(i32, i32): header, two scalar slots, the NUL-terminated name', () => {
    const add: FunctionSignature = { name: 'Add', paramTypes: ['i32', 'i32'], returnType: 'i32' };
    const expected = [
      ...le32(MAGIC.call), ...le32(64), ...le32(56), ...le32(3), ...le32(2), ...le32(0),
      ...slotBytes(1, 0, -7n), ...slotBytes(1, 0, 2n ** 31n - 1n),
      ...padTo8([...Buffer.from('Add'), 0]),
    ];
    assert.deepEqual([...encodeCall(add, [-7, 2 ** 31 - 1], INPUT, 65536)], expected);
    // The second call uses the cached name; an equal signature object encodes the same.
    assert.deepEqual([...encodeCall(add, [-7, 2 ** 31 - 1], INPUT, 65536)], expected);
    assert.deepEqual([...encodeCall({ ...add }, [-7, 2 ** 31 - 1], INPUT, 65536)], expected);
  });

  test('string and bytes payloads: ASCII, non-ASCII, lone surrogates, empty; addresses below and above 2^53', () => {
    const sig: FunctionSignature = { name: 'Mix', paramTypes: ['string', 'u64', 'bytes', 'string', 'string', 'string'], returnType: 'void' };
    const strings = ['Hello, World! I am executing inside of a VM :)\n', 'héllo 😀', 'a\ud800b', ''];
    const bytes = Uint8Array.from([1, 2, 3, 0, 255]);
    const args: GuestValue[] = [strings[0], 2n ** 64n - 1n, bytes, strings[1], strings[2], strings[3]];
    for (const base of [INPUT, 2n ** 53n - 8n, 2n ** 64n - 64n]) {
      const payloads = [Buffer.from(strings[0]), undefined, bytes, Buffer.from(strings[1]), new TextEncoder().encode(strings[2]), Buffer.alloc(0)];
      let at = 24 + 16 * 6 + 8; // header, slots, "Mix\0" padded
      const slots: number[] = [];
      const data: number[] = [];
      payloads.forEach((payload, index) => {
        if (!payload) return slots.push(...slotBytes(4, 0, 2n ** 64n - 1n));
        slots.push(...slotBytes(sig.paramTypes[index] === 'bytes' ? 9 : 8, payload.length, base + BigInt(at)));
        const padded = padTo8([...payload, 0]);
        data.push(...padded);
        at += padded.length;
      });
      const expected = [...le32(MAGIC.call), ...le32(at), ...le32(120), ...le32(3), ...le32(6), ...le32(0),
        ...slots, ...padTo8([...Buffer.from('Mix'), 0]), ...data];
      assert.deepEqual([...encodeCall(sig, args, base, 65536)], expected, `input buffer at ${base}`);
    }
  });

  test('arguments that do not fit name the largest one', () => {
    const sig: FunctionSignature = { name: 'Two', paramTypes: ['i32', 'string', 'bytes'], returnType: 'void' };
    assert.equal(rejection(() => encodeCall(sig, [1, 'é'.repeat(40), new Uint8Array(70)], INPUT, 128)),
      'BAD_ARGUMENTS: the arguments of Two need 240 bytes but the input buffer holds 128 (argument 2 alone is 80 bytes); raise inputBufferSize');
    assert.equal(rejection(() => encodeCall({ name: 'N', paramTypes: ['i32'], returnType: 'void' }, [1], INPUT, 16)),
      'BAD_ARGUMENTS: the arguments of N need 48 bytes but the input buffer holds 16');
  });
});

describe('scalar slots', () => {
  test('integers are written as 64-bit two\'s complement and read back, numbers or bigints alike', () => {
    const cases: [ValueType, GuestValue][] = [
      ['i32', -1], ['i32', -(2 ** 31)], ['u32', 2 ** 32 - 1], ['i64', -(2 ** 53 - 1)], ['i64', 2 ** 53 - 1], ['i64', -0],
      ['u64', 2 ** 53 - 1], ['i64', -(2n ** 63n)], ['u64', 2n ** 64n - 1n], ['i64', 2 ** 60],
    ];
    for (const [type, value] of cases) {
      const view = new DataView(new ArrayBuffer(16));
      writeScalarSlot(view, 0, type, value);
      const expected = new DataView(new ArrayBuffer(8));
      expected.setBigUint64(0, BigInt.asUintN(64, BigInt(value as number | bigint)), true);
      assert.deepEqual(new Uint8Array(view.buffer, 8), new Uint8Array(expected.buffer), `${type} ${String(value)}`);
      assert.equal(BigInt(readScalar(view, 0, type) as number | bigint), BigInt(value as number | bigint), `${type} ${String(value)} read back`);
    }
  });

  test('i32, u32 and bool read the low bits of the payload', () => {
    const view = new DataView(new ArrayBuffer(16));
    view.setBigUint64(8, 0x12345678_9abcdef0n, true);
    assert.equal(readScalar(view, 0, 'i32'), 0x9abcdef0 | 0);
    assert.equal(readScalar(view, 0, 'u32'), 0x9abcdef0);
    assert.equal(readScalar(view, 0, 'bool'), true);
    view.setBigUint64(8, 0xffffff00n, true);
    assert.equal(readScalar(view, 0, 'bool'), false);
  });
});

/** An MVR1 record whose string or bytes return value of `length` bytes is at `offset` (bytes at 32). */
function resultRecord(type: 'string' | 'bytes', payload: Uint8Array, length: number, address: bigint): Uint8Array {
  const bytes = new Uint8Array(32 + payload.length + 8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC.result, true);
  view.setUint32(8, bytes.length, true);
  view.setUint8(16, type === 'string' ? 8 : 9);
  view.setUint32(20, length, true);
  view.setBigUint64(24, address, true);
  bytes.set(payload, 32);
  return bytes;
}

describe('decoding', () => {
  const echo: FunctionSignature = { name: 'Echo', paramTypes: [], returnType: 'string' };
  const blob: FunctionSignature = { name: 'Blob', paramTypes: [], returnType: 'bytes' };
  const decode = (bytes: Uint8Array, base: bigint, sig: FunctionSignature) => decodeResult(new OutputRecord(bytes, base, `return record of ${sig.name}`), sig);

  test('string and bytes results, with the output buffer below or above 2^53', () => {
    for (const base of [OUTPUT, 2n ** 53n - 40n, 2n ** 64n - 128n]) {
      for (const text of ['Hello, World!\n', 'héllo 😀', '']) {
        const utf8 = Buffer.from(`${text}\0`);
        assert.deepEqual(decode(resultRecord('string', utf8, utf8.length - 1, base + 32n), base, echo), { ok: true, value: text });
      }
      const value = decode(resultRecord('bytes', Uint8Array.from([0, 1, 255]), 3, base + 32n), base, blob);
      assert.deepEqual(value, { ok: true, value: Uint8Array.from([0, 1, 255]) });
      assert.equal(Object.getPrototypeOf((value as { value: Uint8Array }).value), Uint8Array.prototype);
    }
    // A Buffer prefix (what the addon hands back) still yields a plain Uint8Array copy.
    const record = Buffer.from(resultRecord('bytes', Uint8Array.from([7, 8]), 2, OUTPUT + 32n));
    const value = (decode(record, OUTPUT, blob) as { value: Uint8Array }).value;
    assert.equal(Object.getPrototypeOf(value), Uint8Array.prototype);
    record[32] = 0;
    assert.deepEqual(value, Uint8Array.from([7, 8]));
  });

  test('bad addresses, missing NULs and bad UTF-8 are reported exactly as before', () => {
    const hello = Buffer.from('hello\0');
    const cases: [Uint8Array, bigint, string][] = [
      [resultRecord('string', hello, 5, OUTPUT + 41n), OUTPUT,
        'return value of Echo, with its NUL, points at 0x120029 (+6 bytes), outside the record, which occupies 0x120000-0x12002e of the output buffer'],
      [resultRecord('string', hello, 5, OUTPUT - 1n), OUTPUT,
        'return value of Echo, with its NUL, points at 0x11ffff (+6 bytes), outside the record, which occupies 0x120000-0x12002e of the output buffer'],
      [resultRecord('string', hello, 5, 2n ** 64n - 1n), OUTPUT,
        'return value of Echo, with its NUL, points at 0xffffffffffffffff (+6 bytes), outside the record, which occupies 0x120000-0x12002e of the output buffer'],
      [resultRecord('string', hello, 4, 2n ** 64n - 96n + 32n), 2n ** 64n - 96n,
        'return value of Echo at 0xffffffffffffffc0 is not NUL-terminated after its 4 bytes'],
      [resultRecord('string', Buffer.from('\xff\0', 'latin1'), 1, OUTPUT + 32n), OUTPUT, 'return value of Echo is not valid UTF-8'],
    ];
    for (const [bytes, base, message] of cases) {
      assert.equal(rejection(() => decode(bytes, base, echo)), `BAD_HOST_CALL: return record of Echo: ${message}`);
    }
  });

  test('a host-call record: name and arguments; a name outside the record', () => {
    const bytes = new Uint8Array(24 + 32 + 16 + 16);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, MAGIC.hostCall, true);
    view.setUint32(4, bytes.length, true);
    view.setUint32(8, 56, true);
    view.setUint32(12, 9, true);
    view.setUint32(16, 2, true);
    view.setUint32(20, 1, true);
    bytes.set(slotBytes(8, 3, OUTPUT + 72n), 24);
    bytes.set(slotBytes(1, 0, -5n), 40);
    bytes.set(Buffer.from('HostPrint\0'), 56);
    bytes.set(Buffer.from('hé\0'), 72);
    const what = 'host-call record from guest function G';
    assert.deepEqual(decodeHostCall(new OutputRecord(bytes, OUTPUT, what)),
      { name: 'HostPrint', args: ['hé', -5], argTypes: ['string', 'i32'], expectedReturn: 'i32' });
    view.setUint32(8, 80, true);
    assert.equal(rejection(() => decodeHostCall(new OutputRecord(bytes, OUTPUT, what))),
      `BAD_HOST_CALL: ${what}: host function name (offset 80, length 9), with its NUL, points at 0x120050 (+10 bytes), outside the record, which occupies 0x120000-0x120058 of the output buffer`);
  });

  test('an abort record', () => {
    const bytes = new Uint8Array(16 + 8);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, MAGIC.abort, true);
    view.setInt32(4, -3, true);
    view.setUint32(8, 7, true);
    bytes.set(Buffer.from('oops é'), 16);
    assert.deepEqual(decodeAbort(new OutputRecord(bytes.subarray(0, 23), OUTPUT, 'abort record')), { code: -3, message: 'oops é' });
  });
});
