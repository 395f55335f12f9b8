// A hostile guest hand-writes malformed records (test/guests/hostile.c). The host must end the call
// with an error naming the defect, never resume the guest, never run the host function, and stay
// usable.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MicroVmError, Sandbox } from '../native/lib';
import { buildTestGuest } from './guests/build-guests';
import { needsKvm } from './support/kvm';

const RECORD = 'host-call record from guest function';
const cases: [string, RegExp][] = [
  ['HostCallBadMagic', /: magic is 0x4b4c4f4b, expected 0x3148564d \("MVH1"\)$/],
  ['HostCallNameLengthPastBuffer', /: host function name \(offset 40, length 65536\), with its NUL, points at 0x[0-9a-f]+ \(\+65537 bytes\), outside the record/],
  ['HostCallNameOffsetOutOfRange', /: host function name \(offset 65600, length 9\), with its NUL, points at 0x[0-9a-f]+ \(\+10 bytes\), outside the record/],
  ['HostCallNameNotTerminated', /: host function name \(offset 40, length 9\) at 0x[0-9a-f]+ is not NUL-terminated after its 9 bytes$/],
  ['HostCallArgCount1000', /: argument count 1000 exceeds 16$/],
  ['HostCallInvalidTypeTag', /: argument 1 of host call HostPrint has type tag 42, which is not a type$/],
  ['HostCallStringOutsideBuffer', /: argument 1 of host call HostPrint, with its NUL, points at 0x[0-9a-f]+ \(\+\d+ bytes\), outside the record/],
  ['HostCallStringLengthPastEnd', /: argument 1 of host call HostPrint, with its NUL, points at 0x[0-9a-f]+ \(\+65537 bytes\), outside the record/],
  ['HostCallStringNotTerminated', /: argument 1 of host call HostPrint at 0x[0-9a-f]+ is not NUL-terminated after its 2 bytes$/],
  ['HostCallBytesHugeLength', /: argument 1 of host call HostPrint points at 0x[0-9a-f]+ \(\+4294967295 bytes\), outside the record/],
  ['HostCallTotalTooLarge', /: total size 65537 is outside 24\.\.65536 \(the output buffer size\)$/],
  ['HostCallInvalidUtf8', /: argument 1 of host call HostPrint is not valid UTF-8$/],
  ['HostCallReturnTypeMismatch', /^guest function HostCallReturnTypeMismatch expects HostPrint to return f64, but the host function is HostPrint\(string\) -> i32$/],
  ['HostCallArgumentTypeMismatch', /^guest function HostCallArgumentTypeMismatch called HostPrint\(i32\), but the host function is HostPrint\(string\) -> i32$/],
  ['HostCallArgumentCountMismatch', /^guest function HostCallArgumentCountMismatch called HostPrint\(\), but the host function is HostPrint\(string\) -> i32$/],
  ['ReturnBadMagic', /^return record of ReturnBadMagic: magic is 0x4b4c4f4b, expected 0x3152564d \("MVR1"\)$/],
  ['ReturnStringOutsideBuffer', /^return record of ReturnStringOutsideBuffer: return value of ReturnStringOutsideBuffer, with its NUL, points at 0x[0-9a-f]+ .*outside the record/],
  ['ReturnStringLengthPastEnd', /^return record of ReturnStringLengthPastEnd: return value of ReturnStringLengthPastEnd, with its NUL, points at 0x[0-9a-f]+ \(\+65537 bytes\), outside the record/],
  ['ReturnTagMismatch', /^return record of ReturnTagMismatch: return value of ReturnTagMismatch is f64, expected i32$/],
  ['ReturnBadStatus', /^return record of ReturnBadStatus: status 7 is not 0 \(ok\), 1 \(unknown function\) or 2 \(bad arguments\)$/],
  ['AbortMessagePastBuffer', /^abort record of guest function AbortMessagePastBuffer: abort message \(length 65536\) points at 0x[0-9a-f]+ \(\+65536 bytes\), outside the record/],
];

describe('hostile guest records', { skip: needsKvm }, () => {
  let sandbox: Sandbox;
  const printed: string[] = [];
  before(() => {
    sandbox = Sandbox.create(buildTestGuest('hostile'), { onPrint: (text) => printed.push(text) });
  });
  after(() => sandbox?.dispose());

  test('the control record is accepted', () => {
    const result = sandbox.callSync('HostCallWellFormed');
    assert.equal(result.value, 2);
    assert.equal(result.output, 'hi');
    printed.length = 0;
  });

  for (const [name, message] of cases) {
    test(`${name} is refused with a precise error`, () => {
      let caught: unknown;
      try {
        sandbox.callSync(name);
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof MicroVmError, `${name} did not fail: ${String(caught)}`);
      assert.equal(caught.code, 'BAD_HOST_CALL', caught.message);
      if (name.startsWith('HostCall') && !/Mismatch$/.test(name)) assert.ok(caught.message.startsWith(`${RECORD} ${name}: `), caught.message);
      assert.match(caught.message, message);
      assert.deepEqual(printed, [], 'HostPrint must not run for a malformed record');
      assert.equal(sandbox.callSync('HostCallWellFormed').output, 'hi', 'the sandbox still works');
      printed.length = 0;
    });
  }

  test('every hostile function of the guest is covered here', () => {
    const covered = new Set([...cases.map(([name]) => name), 'HostCallWellFormed']);
    assert.deepEqual(sandbox.functions.map((fn) => fn.name).filter((name) => !covered.has(name)), []);
  });
});
