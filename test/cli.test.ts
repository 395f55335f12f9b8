// The microvm CLI: pure argument/format helpers in-process, then end-to-end through `node bin/microvm.js`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseArgs, UsageError, type CommandSpec } from '../bin/cli/args';
import {
  ArgumentError, convertArgument, convertArguments, describeFault, errorToJson, faultToJson, formatDuration, formatError, formatF32,
  formatSignature, formatValue, resultToJson, splitArguments, toJsonValue,
} from '../native/lib/presentation';
import { computeArguments, pickComputeFunction } from '../bin/cli/commands/demo';
import { buildTestGuest } from './guests/build-guests';
import { runTool } from './support/oracles';
import { parseMemorySize, parsePositiveInteger, parseSize, parseTimeoutMs } from '../bin/cli/options';
import { MicroVmError } from '../native/lib/errors';
import type { FunctionSignature, GuestFault } from '../native/lib/types';
import { explain, runCli, type ChildRun } from './support/child';

const ROOT = path.resolve(__dirname, '..', '..');
const KVM_SKIP = fs.existsSync('/dev/kvm') ? false : '/dev/kvm does not exist on this machine';

const ADD: FunctionSignature = { name: 'Add', returnType: 'i32', paramTypes: ['i32', 'i32'] };

// The fault JSON of docs/crash-dump.md for a page fault in a known function (every field present).
const FAULT_JSON_KEYS = [
  'vector', 'mnemonic', 'exceptionName', 'errorCode', 'faultAddress', 'access', 'rip', 'backtrace', 'functionName',
  'stackOverflow', 'nullDereference', 'description',
];

describe('parseArgs', () => {
  const spec: CommandSpec = {
    name: 'run',
    summary: 'test',
    positionals: [{ name: 'guest.elf' }, { name: 'function' }, { name: 'args', variadic: true }],
    flags: [
      { name: 'timeout-ms', value: 'N', description: '' },
      { name: 'json', description: '' },
      { name: 'optimize', short: 'O', value: 'L', description: '' },
    ],
  };

  test('long, inline and short flags', () => {
    const args = parseArgs(spec, ['g.elf', '--timeout-ms', '50', 'Add', '--json', '-O2', '--optimize=s', '1']);
    assert.deepEqual(args.positionals, ['g.elf', 'Add', '1']);
    assert.equal(args.flags.get('timeout-ms'), '50');
    assert.equal(args.flags.get('json'), true);
    assert.equal(args.flags.get('optimize'), 's'); // last wins
    assert.equal(args.help, false);
  });

  test('negative numbers and everything after -- are positionals', () => {
    const args = parseArgs(spec, ['g.elf', 'Add', '-5', '-0x10', '-.5', '-inf', '--', '--json']);
    assert.deepEqual(args.positionals, ['g.elf', 'Add', '-5', '-0x10', '-.5', '-inf', '--json']);
    assert.equal(args.flags.has('json'), false);
  });

  test('unknown flags are named', () => {
    assert.throws(() => parseArgs(spec, ['g.elf', 'Add', '--bogus']), (e: unknown) => e instanceof UsageError && e.message === 'unknown flag --bogus');
    assert.throws(() => parseArgs(spec, ['g.elf', 'Add', '--bogus=1']), /unknown flag --bogus$/);
    assert.throws(() => parseArgs(spec, ['g.elf', 'Add', '-x']), /unknown flag -x$/);
  });

  test('flag values are checked', () => {
    assert.throws(() => parseArgs(spec, ['g.elf', 'Add', '--timeout-ms']), /--timeout-ms needs a value \(N\)/);
    assert.throws(() => parseArgs(spec, ['g.elf', 'Add', '--json=yes']), /--json does not take a value/);
  });

  test('positional counts are checked, except with --help', () => {
    assert.throws(() => parseArgs(spec, ['g.elf']), /missing <function>/);
    const fixed: CommandSpec = { ...spec, positionals: [{ name: 'dir' }] };
    assert.throws(() => parseArgs(fixed, ['a', 'b']), /unexpected argument "b"/);
    assert.equal(parseArgs(spec, ['--help']).help, true);
    assert.equal(parseArgs(spec, ['-h']).help, true);
  });
});

describe('convertArgument', () => {
  test('integers: decimal, hex, binary, underscores, ranges', () => {
    assert.equal(convertArgument('42', 'i32', 1, 'F'), 42);
    assert.equal(convertArgument('-0x10', 'i32', 1, 'F'), -16);
    assert.equal(convertArgument('0b101', 'u32', 1, 'F'), 5);
    assert.equal(convertArgument('1_000', 'i32', 1, 'F'), 1000);
    assert.equal(convertArgument('2147483647', 'i32', 1, 'F'), 2147483647);
    assert.equal(convertArgument('-2147483648', 'i32', 1, 'F'), -2147483648);
    assert.equal(convertArgument('4294967295', 'u32', 1, 'F'), 4294967295);
    assert.throws(() => convertArgument('2147483648', 'i32', 1, 'F'), /argument 1 of F: 2147483648 is out of range for i32 \(-2147483648\.\.2147483647\)/);
    assert.throws(() => convertArgument('-1', 'u32', 1, 'F'), /out of range for u32/);
    assert.throws(() => convertArgument('1.5', 'i32', 1, 'F'), /expected i32/);
    assert.throws(() => convertArgument('', 'i32', 1, 'F'), /expected i32/);
  });

  test('the message names the argument, the function, the type and the text', () => {
    assert.throws(
      () => convertArguments(ADD, ['1', 'abc']),
      (e: unknown) => e instanceof ArgumentError && e.message.startsWith('argument 2 of Add: expected i32, got "abc" ('),
    );
  });

  test('i64 and u64 become bigint, exactly', () => {
    assert.equal(convertArgument('9223372036854775807', 'i64', 1, 'F'), 9223372036854775807n);
    assert.equal(convertArgument('-9223372036854775808', 'i64', 1, 'F'), -9223372036854775808n);
    assert.equal(convertArgument('0xffffffffffffffff', 'u64', 1, 'F'), 18446744073709551615n);
    assert.throws(() => convertArgument('18446744073709551616', 'u64', 1, 'F'), /out of range for u64/);
  });

  test('floats', () => {
    assert.equal(convertArgument('1.5', 'f64', 1, 'F'), 1.5);
    assert.equal(convertArgument('-2e3', 'f32', 1, 'F'), -2000);
    assert.equal(convertArgument('inf', 'f64', 1, 'F'), Infinity);
    assert.equal(convertArgument('-Infinity', 'f32', 1, 'F'), -Infinity);
    assert.ok(Number.isNaN(convertArgument('NaN', 'f64', 1, 'F')));
    assert.throws(() => convertArgument('1e39', 'f32', 1, 'F'), /1e39 is out of range for f32/);
    assert.throws(() => convertArgument('1e309', 'f64', 1, 'F'), /out of range for f64/);
    assert.throws(() => convertArgument('', 'f64', 1, 'F'), /expected f64/);
    assert.throws(() => convertArgument('0x10', 'f64', 1, 'F'), /expected f64/);
  });

  test('bool accepts true/false/1/0 only', () => {
    assert.equal(convertArgument('true', 'bool', 1, 'F'), true);
    assert.equal(convertArgument('FALSE', 'bool', 1, 'F'), false);
    assert.equal(convertArgument('1', 'bool', 1, 'F'), true);
    assert.equal(convertArgument('0', 'bool', 1, 'F'), false);
    assert.throws(() => convertArgument('yes', 'bool', 3, 'F'), /argument 3 of F: expected bool, got "yes" \(true, false, 1 or 0\)/);
  });

  test('bytes from 0x or hex: text', () => {
    assert.deepEqual(convertArgument('0xdeadbeef', 'bytes', 1, 'F'), Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
    assert.deepEqual(convertArgument('hex:00_ff', 'bytes', 1, 'F'), Uint8Array.of(0, 255));
    assert.deepEqual(convertArgument('0x', 'bytes', 1, 'F'), new Uint8Array(0));
    assert.throws(() => convertArgument('0xabc', 'bytes', 1, 'F'), /expected bytes/);
    assert.throws(() => convertArgument('hello', 'bytes', 1, 'F'), /expected bytes/);
  });

  test('strings pass verbatim but may not contain NUL', () => {
    assert.equal(convertArgument(' a "b" ', 'string', 1, 'F'), ' a "b" ');
    assert.throws(() => convertArgument('a\0b', 'string', 1, 'F'), /NUL/);
  });

  test('a wrong count says expected vs got and shows the signature', () => {
    assert.throws(() => convertArguments(ADD, ['1']), /^ArgumentError: Add expects 2 arguments, got 1: Add\(i32, i32\) -> i32$/);
    const one: FunctionSignature = { name: 'P', returnType: 'void', paramTypes: ['string'] };
    assert.throws(() => convertArguments(one, []), /P expects 1 argument, got 0/);
    assert.deepEqual(convertArguments(ADD, ['-5', '7']), [-5, 7]);
  });
});

describe('splitArguments', () => {
  test('quotes, escapes and whitespace', () => {
    assert.deepEqual(splitArguments('  1 "two words" \'it\'\'s\' a\\ b "x\\ny" ""  '), ['1', 'two words', 'its', 'a b', 'x\ny', '']);
    assert.deepEqual(splitArguments(''), []);
    assert.throws(() => splitArguments('"open'), /unterminated " quote/);
  });
});

describe('options', () => {
  test('sizes and positive integers', () => {
    assert.equal(parseSize('4M', '--memory-size'), 4 * 1024 * 1024);
    assert.equal(parseSize('512KiB', '--memory-size'), 512 * 1024);
    assert.equal(parseSize('0x200000', '--memory-size'), 0x200000);
    assert.equal(parseSize('8192', '--memory-size'), 8192);
    assert.throws(() => parseSize('4Q', '--memory-size'), /--memory-size expects a size/);
    assert.throws(() => parseSize('0', '--memory-size'), /--memory-size expects a size/);
    assert.equal(parsePositiveInteger('250', '--timeout-ms'), 250);
    assert.throws(() => parsePositiveInteger('-1', '--timeout-ms'), /--timeout-ms expects a positive integer, got "-1"/);
    assert.throws(() => parsePositiveInteger('1.5', '--timeout-ms'), UsageError);
  });
});

describe('format', () => {
  test('signatures and values', () => {
    assert.equal(formatSignature({ name: 'PrintOutput', returnType: 'i32', paramTypes: ['string'] }), 'PrintOutput(string) -> i32');
    assert.equal(formatSignature({ name: 'Nop', returnType: 'void', paramTypes: [] }), 'Nop() -> void');
    assert.equal(formatValue(5, 'i32'), '5');
    assert.equal(formatValue(undefined, 'void'), '(void)');
    assert.equal(formatValue('a"b', 'string'), '"a\\"b"');
    assert.equal(formatValue(Uint8Array.of(1, 0xab), 'bytes'), '0x01ab');
    assert.equal(formatValue(12345678901234567890n, 'u64'), '12345678901234567890');
    assert.equal(formatValue(Math.fround(0.1), 'f32'), '0.1');
    assert.equal(formatF32(Math.fround(1 / 3)), '0.33333334');
    assert.equal(formatValue(true, 'bool'), 'true');
    assert.equal(formatDuration(823.178), '823 µs');
    assert.equal(formatDuration(3609.044), '3.61 ms');
    assert.equal(formatDuration(2_500_000), '2.50 s');
  });

  test('JSON keeps 64-bit integers and bytes exact', () => {
    assert.equal(toJsonValue(2n ** 63n), '9223372036854775808');
    assert.equal(toJsonValue(Uint8Array.of(0xff)), '0xff');
    assert.equal(toJsonValue(NaN), 'NaN');
    assert.equal(toJsonValue(undefined), null);
    const json = resultToJson(ADD, { value: 5, output: 'hi', durationUs: 12, hostCalls: [{ function: 'HostPrint', args: ['hi'], result: 2, durationUs: 3 }] });
    assert.deepEqual(json, {
      ok: true, function: 'Add', returnType: 'i32', value: 5, output: 'hi', durationUs: 12,
      hostCalls: [{ function: 'HostPrint', args: ['hi'], result: 2, durationUs: 3 }],
    });
  });

  test('errors print on one line with the crash dump', () => {
    const err = new MicroVmError('GUEST_FAULT', 'null pointer dereference:\nread of address 0x0', { crashDumpPath: '/tmp/core.1' });
    assert.equal(formatError(err), 'GUEST_FAULT: null pointer dereference: read of address 0x0 (crash dump: /tmp/core.1)');
    assert.equal(formatError(new Error('plain')), 'plain');
    const named = new MicroVmError('GUEST_FAULT', 'F faulted; crash dump written to /tmp/core.1', { crashDumpPath: '/tmp/core.1' });
    assert.equal(formatError(named), 'GUEST_FAULT: F faulted; crash dump written to /tmp/core.1');
    assert.deepEqual(errorToJson(err), { ok: false, error: { code: 'GUEST_FAULT', message: 'null pointer dereference: read of address 0x0', crashDumpPath: '/tmp/core.1' } });
    assert.deepEqual(errorToJson(new Error('cc failed\n')), { ok: false, error: { code: 'ERROR', message: 'cc failed' } });
  });

  test('faults: the documented fault JSON and the lines people read', () => {
    const pageFault: GuestFault = {
      vector: 14, mnemonic: '#PF', exceptionName: 'page fault', errorCode: 4, faultAddress: 0n, access: 'read',
      rip: 0x10002an, registers: {} as GuestFault['registers'], backtrace: [0x10002an, 0x100100n], functionName: 'DerefNull',
      stackOverflow: false, nullDereference: true, description: 'null pointer dereference: read of address 0x0 at RIP 0x10002a in DerefNull',
    };
    const json = faultToJson(pageFault);
    assert.deepEqual(Object.keys(json), FAULT_JSON_KEYS, 'the documented order, GuestFault\'s names, no registers');
    assert.deepEqual(json, {
      vector: 14, mnemonic: '#PF', exceptionName: 'page fault', errorCode: 4, faultAddress: '0x0', access: 'read',
      rip: '0x10002a', backtrace: ['0x10002a', '0x100100'], functionName: 'DerefNull',
      stackOverflow: false, nullDereference: true, description: pageFault.description,
    });
    // Without an address, an access or a known function those fields are absent, not null.
    const { faultAddress: _a, access: _b, functionName: _c, ...bare } = pageFault;
    const ud = faultToJson({ ...bare, vector: 6, mnemonic: '#UD', exceptionName: 'invalid opcode', errorCode: 0 });
    assert.deepEqual(Object.keys(ud), FAULT_JSON_KEYS.filter((k) => !['faultAddress', 'access', 'functionName'].includes(k)));

    const err = new MicroVmError('GUEST_FAULT', 'guest function DerefNull faulted: x', { fault: pageFault, functionName: 'DerefNull', output: 'hi', hostCalls: [] });
    assert.deepEqual(errorToJson(err), {
      ok: false,
      error: { code: 'GUEST_FAULT', message: 'guest function DerefNull faulted: x', function: 'DerefNull', fault: json, output: 'hi', hostCalls: [] },
    });
    assert.deepEqual(describeFault(pageFault), [
      '#PF page fault (vector 14, error code 4)',
      'read of address 0x0',
      'at RIP 0x10002a in DerefNull',
      'backtrace: 0x10002a <- 0x100100',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// End to end: the real `microvm` binary, the real guest toolchain and (where it exists) KVM.

function microvm(args: readonly string[], cwd: string = ROOT): ChildRun {
  return runCli(args, { cwd, timeoutMs: 120_000 });
}

describe('microvm command line', () => {
  test('--version and --help', () => {
    const version = microvm(['--version']);
    assert.equal(version.status, 0, explain(version));
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout, `microvm ${pkg.version}\n`);

    const help = microvm(['--help']);
    assert.equal(help.status, 0, explain(help));
    for (const name of ['new', 'build', 'functions', 'run', 'demo']) {
      assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'));
      const sub = microvm([name, '--help']);
      assert.equal(sub.status, 0, explain(sub));
      assert.match(sub.stdout, new RegExp(`^Usage: microvm ${name}`));
    }
  });

  test('usage errors exit 2 and name the problem', () => {
    const none = microvm([]);
    assert.equal(none.status, 2, explain(none));
    assert.match(none.stderr, /Usage: microvm <command>/);

    const unknown = microvm(['frobnicate']);
    assert.equal(unknown.status, 2, explain(unknown));
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);

    const topFlag = microvm(['--frob']);
    assert.equal(topFlag.status, 2, explain(topFlag));
    assert.match(topFlag.stderr, /unknown flag --frob/);

    const flag = microvm(['run', 'x.elf', 'F', '--bogus']);
    assert.equal(flag.status, 2, explain(flag));
    assert.match(flag.stderr, /^microvm run: unknown flag --bogus$/m);

    const cc = microvm(['build', '.', '--cc', 'tcc']);
    assert.equal(cc.status, 2, explain(cc));
    assert.match(cc.stderr, /--cc must be one of gcc, clang, got "tcc"/);

    const missing = microvm(['functions']);
    assert.equal(missing.status, 2, explain(missing));
    assert.match(missing.stderr, /missing <guest\.elf>/);

    const timeout = microvm(['run', 'x.elf', 'F', '--timeout-ms', '0']);
    assert.equal(timeout.status, 2, explain(timeout));
    assert.match(timeout.stderr, /--timeout-ms expects a whole number of milliseconds from 1 to 2147483648, got "0"/);

    const both = microvm(['run', 'x.elf', 'F', '--no-crash-dump', '--crash-dump-dir', 'd']);
    assert.equal(both.status, 2, explain(both));
    assert.match(both.stderr, /cannot be used together/);
  });

  test('a missing guest file is a failure, not a usage error', () => {
    const run = microvm(['functions', 'no-such.elf']);
    assert.equal(run.status, 1, explain(run));
    assert.match(run.stderr, /no such guest ELF: no-such\.elf/);
  });
});

describe('microvm new → build → functions → run', () => {
  let work = '';
  let elf = '';
  let signatures: FunctionSignature[] = [];

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-cli-test-'));
    const unknown = microvm(['new', 'no-such-template', path.join(work, 'x')]);
    assert.equal(unknown.status, 2, explain(unknown));
    assert.match(unknown.stderr, /unknown template 'no-such-template' \(templates: .*c-hello/);

    const created = microvm(['new', 'c-hello', 'guest'], work);
    assert.equal(created.status, 0, explain(created));
    const built = microvm(['build', 'guest', '-O', '2'], work);
    assert.equal(built.status, 0, explain(built));
    const lines = built.stdout.trimEnd().split('\n');
    elf = path.resolve(work, lines[lines.length - 1]);
    assert.ok(fs.existsSync(elf), `the last line of build's stdout should name the ELF: ${explain(built)}`);
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('new refuses a non-empty directory', () => {
    const again = microvm(['new', 'c-hello', 'guest'], work);
    assert.equal(again.status, 1, explain(again));
    assert.match(again.stderr, /already exists/);
  });

  test('functions lists the table as text and JSON', () => {
    const text = microvm(['functions', elf]);
    assert.equal(text.status, 0, explain(text));
    assert.match(text.stdout, /^PrintOutput\(string\) -> i32$/m);
    assert.match(text.stdout, /^DerefNull\(\) -> \w+$/m);

    const json = microvm(['functions', elf, '--json']);
    assert.equal(json.status, 0, explain(json));
    signatures = JSON.parse(json.stdout) as FunctionSignature[];
    assert.ok(Array.isArray(signatures));
    assert.deepEqual(signatures.find((f) => f.name === 'PrintOutput'), { name: 'PrintOutput', returnType: 'i32', paramTypes: ['string'] });
    for (const f of signatures) assert.deepEqual(Object.keys(f).sort(), ['name', 'paramTypes', 'returnType']);
  });

  test('argument errors exit 2 before any VM starts', () => {
    const count = microvm(['run', elf, 'PrintOutput', 'a', 'b']);
    assert.equal(count.status, 2, explain(count));
    assert.match(count.stderr, /PrintOutput expects 1 argument, got 2: PrintOutput\(string\) -> i32/);

    const unknown = microvm(['run', elf, 'NoSuchFunction']);
    assert.equal(unknown.status, 2, explain(unknown));
    assert.match(unknown.stderr, /no function 'NoSuchFunction' \(functions: .*PrintOutput\(string\) -> i32/);

    const integer = signatures.find((f) => f.paramTypes.length > 0 && f.paramTypes.every((t) => t === 'i32'));
    assert.ok(integer, `c-hello should export a function taking i32 arguments: ${JSON.stringify(signatures)}`);
    const args = integer.paramTypes.map(() => '1');
    args[args.length - 1] = 'abc';
    const bad = microvm(['run', elf, integer.name, ...args]);
    assert.equal(bad.status, 2, explain(bad));
    assert.ok(bad.stderr.includes(`argument ${args.length} of ${integer.name}: expected i32, got "abc"`), explain(bad));
  });

  test('run PrintOutput prints through HostPrint', { skip: KVM_SKIP }, () => {
    const run = microvm(['run', elf, 'PrintOutput', 'Hello'], work);
    assert.equal(run.status, 0, explain(run));
    assert.equal(run.stdout, 'Hello\n=> 5\n');
    assert.equal(run.stderr, '');

    const json = microvm(['run', elf, 'PrintOutput', 'Hello', '--json'], work);
    assert.equal(json.status, 0, explain(json));
    const parsed = JSON.parse(json.stdout) as { ok: boolean; value: number; output: string; hostCalls: { function: string; args: unknown[] }[]; durationUs: number };
    assert.equal(parsed.ok, true);
    assert.equal(parsed.value, 5);
    assert.equal(parsed.output, 'Hello');
    assert.deepEqual(parsed.hostCalls.map((c) => [c.function, c.args]), [['HostPrint', ['Hello']]]);
    assert.equal(typeof parsed.durationUs, 'number');
  });

  test('run converts arguments by the signature and prints typed results', { skip: KVM_SKIP }, () => {
    const add = microvm(['run', elf, 'Add', '-5', '0x3'], work);
    assert.equal(add.status, 0, explain(add));
    assert.equal(add.stdout, '=> -2\n');

    const fib = microvm(['run', elf, 'Fibonacci', '90'], work);
    assert.equal(fib.status, 0, explain(fib));
    assert.equal(fib.stdout, '=> 2880067194370816120\n');

    const json = microvm(['run', elf, 'Fibonacci', '90', '--json'], work);
    assert.equal(json.status, 0, explain(json));
    const parsed = JSON.parse(json.stdout) as { value: unknown; returnType: string };
    assert.equal(parsed.value, '2880067194370816120'); // u64 travels as a string, exactly
    assert.equal(parsed.returnType, 'u64');

    const range = microvm(['run', elf, 'Fibonacci', '-1'], work);
    assert.equal(range.status, 2, explain(range));
    assert.match(range.stderr, /argument 1 of Fibonacci: -1 is out of range for u32/);
  });

  test('run --json reports the fault as data', { skip: KVM_SKIP }, () => {
    const run = microvm(['run', elf, 'DerefNull', '--json', '--no-crash-dump'], work);
    assert.equal(run.status, 1, explain(run));
    const parsed = JSON.parse(run.stdout) as { ok: boolean; error: { code: string; fault?: Record<string, unknown> } };
    assert.equal(parsed.ok, false);
    assert.equal(parsed.error.code, 'GUEST_FAULT');
    assert.deepEqual(Object.keys(parsed.error.fault ?? {}), FAULT_JSON_KEYS);
    assert.equal(parsed.error.fault?.nullDereference, true);
    assert.equal(parsed.error.fault?.faultAddress, '0x0');
    assert.equal(parsed.error.fault?.functionName, 'DerefNull');
    assert.equal(parsed.error.fault?.mnemonic, '#PF');
    assert.equal(parsed.error.fault?.exceptionName, 'page fault');
  });

  test('run DerefNull fails with a structured fault and a core file gdb reads', { skip: KVM_SKIP }, () => {
    const run = microvm(['run', elf, 'DerefNull'], work);
    assert.equal(run.status, 1, explain(run));
    assert.equal(run.stderr.trimEnd().split('\n').length, 1, `one line on stderr: ${explain(run)}`);
    assert.match(run.stderr, /null pointer dereference/);
    assert.match(run.stderr, /\b0x0\b/);
    assert.match(run.stderr, /DerefNull/);
    const dump = /crash dump(?: written to|:) (.+?\.core)\b/.exec(run.stderr);
    assert.ok(dump, `stderr names the crash dump: ${explain(run)}`);
    const core = path.resolve(work, dump[1]);
    assert.ok(fs.existsSync(core), `the crash dump ${core} exists`);
    assert.ok(core.startsWith(path.join(work, 'microvm-crashes') + path.sep), `written under ./microvm-crashes by default: ${core}`);

    const gdb = runTool('gdb', ['-batch', '-nx', '-ex', 'bt', elf, core], { timeout: 60_000 });
    assert.ifError(gdb.error);
    assert.match(gdb.stdout, /DerefNull/, `gdb bt:\n${gdb.stdout}\n${gdb.stderr}`);
  });

  test('--no-crash-dump and --crash-dump-dir choose where the core goes', { skip: KVM_SKIP }, () => {
    const none = fs.mkdtempSync(path.join(work, 'none-'));
    const run = microvm(['run', elf, 'DerefNull', '--no-crash-dump'], none);
    assert.equal(run.status, 1, explain(run));
    assert.doesNotMatch(run.stderr, /crash dump/);
    assert.deepEqual(fs.readdirSync(none), []);

    const chosen = path.join(work, 'chosen');
    const there = microvm(['run', elf, 'DerefNull', '--crash-dump-dir', chosen], work);
    assert.equal(there.status, 1, explain(there));
    assert.equal(fs.readdirSync(chosen).length, 1, explain(there));
  });
});

describe('microvm run: timeouts and aborts', { skip: KVM_SKIP }, () => {
  let faults = '';
  let work = '';

  before(() => {
    faults = buildTestGuest('faults');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-cli-faults-'));
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('--timeout-ms ends a runaway guest with exit 1', () => {
    const started = Date.now();
    const run = microvm(['run', faults, 'SpinForever', '--timeout-ms', '200'], work);
    assert.equal(run.status, 1, explain(run));
    assert.match(run.stderr, /^microvm run: TIMEOUT: /);
    assert.ok(Date.now() - started < 30_000, 'the CLI does not hang after the timeout');
  });

  test('an abort exits 1 with the guest message on one line', () => {
    const run = microvm(['run', faults, 'Abort'], work);
    assert.equal(run.status, 1, explain(run));
    assert.match(run.stderr, /^microvm run: GUEST_ABORT: .*abort\(\) called/);
    assert.equal(run.stderr.trimEnd().split('\n').length, 1, explain(run));
  });
});

describe('microvm demo', () => {
  test('picks the integer compute function of c-hello', () => {
    const fns: FunctionSignature[] = [
      { name: 'PrintOutput', returnType: 'i32', paramTypes: ['string'] },
      { name: 'DerefNull', returnType: 'i32', paramTypes: [] },
      { name: 'Fibonacci', returnType: 'u64', paramTypes: ['u32'] },
      { name: 'Add', returnType: 'i32', paramTypes: ['i32', 'i32'] },
    ];
    const picked = pickComputeFunction(fns);
    assert.equal(picked?.name, 'Fibonacci');
    assert.deepEqual(computeArguments(picked!), [20]);
    assert.deepEqual(computeArguments({ name: 'F', returnType: 'i64', paramTypes: ['i64', 'u32'] }), [20n, 22]);
    assert.equal(pickComputeFunction(fns.slice(0, 2)), undefined);
  });


  test('narrates a call, a computation, a fault and the recovery', { skip: KVM_SKIP }, () => {
    const run = microvm(['demo']);
    assert.equal(run.status, 0, explain(run));
    assert.ok(run.stdout.includes('guest| Hello, World! I am executing inside of a VM :)\n'), explain(run));
    assert.match(run.stdout, /null pointer dereference/);
    assert.match(run.stdout, /Still here after the fault\./);
    assert.match(run.stdout, /0 live sandboxes remain/);
  });
});

// -0 crosses the VM boundary intact; the front ends show it (JSON.stringify(-0) is "0"). An f32 is
// shown with the digits of an f32, in text and JSON alike (docs/crash-dump.md, "Result JSON").
describe('negative zero and f32 values in text and JSON', () => {
  test('formatting: -0 prints as -0, in text and as the JSON string "-0"', () => {
    assert.equal(formatValue(-0, 'f64'), '-0');
    assert.equal(formatValue(-0, 'f32'), '-0');
    assert.equal(formatValue(-0), '-0');
    assert.equal(formatF32(-0), '-0');
    assert.equal(formatValue(0, 'f64'), '0');
    assert.equal(toJsonValue(-0), '-0');
    assert.equal(toJsonValue(0), 0);
    const f64: FunctionSignature = { name: 'EchoF64', returnType: 'f64', paramTypes: ['f64'] };
    const result = { value: -0, output: '', durationUs: 1, hostCalls: [{ function: 'HostScale', args: [-0], result: -0, durationUs: 1 }] };
    const json = JSON.parse(JSON.stringify(resultToJson(f64, result))) as { value: unknown; hostCalls: { args: unknown[]; result: unknown }[] };
    assert.equal(json.value, '-0');
    assert.deepEqual(json.hostCalls[0], { function: 'HostScale', args: ['-0'], result: '-0', durationUs: 1 });
    // The server's error bodies and run --json's error object are built by the same function.
    const err = new MicroVmError('GUEST_FAULT', 'x', { hostCalls: result.hostCalls });
    assert.deepEqual(JSON.parse(JSON.stringify(errorToJson(err))).error.hostCalls[0].args, ['-0']);
  });

  test('formatting: an f32 result has the digits of an f32 in JSON as in text', () => {
    const f32: FunctionSignature = { name: 'EchoF32', returnType: 'f32', paramTypes: ['f32'] };
    const tenth = Math.fround(0.1);
    assert.equal(formatValue(tenth, 'f32'), '0.1');
    assert.equal(resultToJson(f32, { value: tenth, output: '', durationUs: 1, hostCalls: [] }).value, 0.1);
    assert.equal(toJsonValue(tenth, 'f32'), 0.1);
    assert.equal(Math.fround(toJsonValue(tenth, 'f32') as number), tenth, 'reads back as the same f32');
    assert.equal(toJsonValue(tenth, 'f64'), tenth, 'an f64 keeps every digit');
    assert.equal(toJsonValue(Math.fround(-0), 'f32'), '-0');
  });

  describe('through the CLI', { skip: KVM_SKIP }, () => {
    let types = '';
    before(() => {
      types = buildTestGuest('types');
    });

    test('run EchoF64 -0 and EchoF32 -0 print -0, and --json keeps it', () => {
      for (const fn of ['EchoF64', 'EchoF32']) {
        const text = microvm(['run', types, fn, '-0', '--no-crash-dump']);
        assert.equal(text.status, 0, explain(text));
        assert.equal(text.stdout, '=> -0\n');
        const json = microvm(['run', types, fn, '-0', '--json', '--no-crash-dump']);
        assert.equal(json.status, 0, explain(json));
        assert.equal((JSON.parse(json.stdout) as { value: unknown }).value, '-0');
      }
    });

    test('run EchoF32 0.1 --json prints 0.1, as the text does', () => {
      const text = microvm(['run', types, 'EchoF32', '0.1', '--no-crash-dump']);
      assert.equal(text.stdout, '=> 0.1\n', explain(text));
      const json = microvm(['run', types, 'EchoF32', '0.1', '--json', '--no-crash-dump']);
      assert.equal(json.status, 0, explain(json));
      assert.match(json.stdout, /"value": 0\.1,\n/);
    });
  });
});

// What `run --help` and the README promise is what run does, and every command-line mistake exits 2
// with a message that names the flag and what it takes.
describe('run: help, README and errors agree with behaviour', () => {
  const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  test('only a fault writes a core file: help and README do not promise one for a timeout or an abort', () => {
    const help = microvm(['run', '--help']);
    assert.equal(help.status, 0, explain(help));
    assert.doesNotMatch(help.stdout.replace(/\s+/g, ' '), /fault, timeout or abort[^.]*crash dump/);
    assert.match(help.stdout.replace(/\s+/g, ' '), /A timeout or an abort writes no core file\./);
    assert.doesNotMatch(README.replace(/\s+/g, ' '), /On a fault, timeout or abort it prints one line on stderr that names the core file/);
    assert.match(README.replace(/\s+/g, ' '), /a timeout or an abort writes none/);
  });

  test('run --help states the argument syntax that is accepted', () => {
    const help = microvm(['run', '--help']).stdout;
    assert.match(help, /^ {2}i32 u32 i64 u64 +decimal, 0x hex, 0o octal or 0b binary, with an optional sign and `_`$/m);
    assert.match(help, /\(-42, 0xff, 0o17, 0b1010, 1_000_000\)/);
    assert.match(help, /^ {2}bool +true, false, 1 or 0 \(any case\)$/m);
    const flat = help.replace(/\s+/g, ' ');
    assert.match(flat, /or inf, infinity or nan, optionally signed, in any case/);
    assert.match(flat, /\(0xdeadbeef, hex:de_ad:be_ef, 0x for no bytes\)/);
    // Every example the help gives is accepted.
    for (const [text, type] of [['-42', 'i32'], ['0xff', 'u32'], ['0o17', 'i64'], ['0b1010', 'u64'], ['1_000_000', 'i32'], ['1.5', 'f64'], ['-2e3', 'f32'], ['.5', 'f64'], ['-0', 'f64'],
      ['inf', 'f32'], ['-Infinity', 'f64'], ['NaN', 'f64'], ['TRUE', 'bool'], ['0', 'bool'], ['0xdeadbeef', 'bytes'], ['hex:de_ad:be_ef', 'bytes'], ['0x', 'bytes']] as const) {
      assert.doesNotThrow(() => convertArgument(text, type, 1, 'F'), `${text} as ${type}`);
    }
    const readme = README.replace(/\s+/g, ' ');
    assert.match(readme, /integers take decimal, `0x` hex, `0o` octal or `0b` binary with `_` between digits/);
    assert.match(readme, /`bool` takes `true`\/`false`\/`1`\/`0` in any case/);
  });

  test('--timeout-ms: the message gives the range; the maximum itself is accepted', () => {
    assert.equal(parseTimeoutMs('2147483648'), 2 ** 31);
    assert.equal(parseTimeoutMs('1'), 1);
    for (const text of ['2147483649', '99999999999', '0', '-1', '1.5', '']) {
      assert.throws(() => parseTimeoutMs(text), (e: unknown) => e instanceof UsageError
        && e.message === `--timeout-ms expects a whole number of milliseconds from 1 to 2147483648, got ${JSON.stringify(text)}`);
    }
    const run = microvm(['run', 'x.elf', 'F', '--timeout-ms', '99999999999']);
    assert.equal(run.status, 2, explain(run));
    assert.match(run.stderr, /^microvm run: --timeout-ms expects a whole number of milliseconds from 1 to 2147483648, got "99999999999"\n/);
  });

  test('--memory-size: every bad value exits 2 naming the flag', () => {
    assert.equal(parseMemorySize('4M'), 4 * 1024 * 1024);
    assert.equal(parseMemorySize('256M'), 256 * 1024 * 1024);
    assert.throws(() => parseMemorySize('5000'), /^UsageError: --memory-size expects a multiple of 4096 bytes \(4K\) up to 256M, got "5000"$/);
    assert.throws(() => parseMemorySize('257M'), /^UsageError: --memory-size expects a multiple of 4096 bytes \(4K\) up to 256M, got "257M"$/);
    assert.throws(() => parseMemorySize('0'), /--memory-size expects a size/);
  });

  describe('with a guest', { skip: KVM_SKIP }, () => {
    let types = '';
    before(() => {
      types = buildTestGuest('types');
    });

    test('--memory-size values the host refuses exit 2 like the others', () => {
      for (const [value, message] of [
        ['5000', /--memory-size expects a multiple of 4096 bytes/],
        ['300M', /--memory-size expects a multiple of 4096 bytes \(4K\) up to 256M, got "300M"/],
        ['64K', /^microvm run: --memory-size 65536 is too small for this guest: /],
        ['0', /--memory-size expects a size/],
      ] as const) {
        const run = microvm(['run', types, 'EchoI32', '1', '--memory-size', value, '--no-crash-dump']);
        assert.equal(run.status, 2, `${value}: ${explain(run)}`);
        assert.match(run.stderr, message);
      }
    });

    test('--timeout-ms 2147483648 (the maximum) runs', () => {
      const run = microvm(['run', types, 'EchoI32', '7', '--timeout-ms', '2147483648', '--no-crash-dump']);
      assert.equal(run.status, 0, explain(run));
      assert.equal(run.stdout, '=> 7\n');
    });

    test('the largest bytes argument: 65479 bytes for EchoBytes with the default 64K input buffer, as documented', () => {
      const limit = 65536 - 56 - 1; // docs/guest-abi.md: input size − align8(24 + 16·1 + len("EchoBytes") + 1) − 1
      const fits = microvm(['run', types, 'SumBytes', `0x${'01'.repeat(65536 - 56 - 1)}`, '--no-crash-dump']);
      assert.equal(fits.status, 0, explain(fits));
      assert.equal(fits.stdout, `=> ${65536 - 56 - 1}\n`, 'SumBytes: the same 56 bytes before the data as EchoBytes');
      const echo = microvm(['run', types, 'EchoBytes', `0x${'ab'.repeat(limit)}`, '--json', '--no-crash-dump']);
      assert.equal(echo.status, 0, explain(echo));
      assert.equal((JSON.parse(echo.stdout) as { value: string }).value.length, 2 + 2 * limit);

      const over = microvm(['run', types, 'EchoBytes', `0x${'ab'.repeat(limit + 1)}`, '--no-crash-dump']);
      assert.equal(over.status, 2, explain(over));
      assert.equal(over.stderr.split('\n')[0],
        `microvm run: the arguments of EchoBytes need 65544 bytes but the input buffer holds 65536 (argument 1 alone is ${limit + 1} bytes); raise it with --input-size, e.g. --input-size 128K`);
      const raised = microvm(['run', types, 'EchoBytes', `0x${'ab'.repeat(limit + 1)}`, '--input-size', '128K', '--json', '--no-crash-dump']);
      assert.equal(raised.status, 0, explain(raised));
      const guestAbi = fs.readFileSync(path.join(ROOT, 'docs', 'guest-abi.md'), 'utf8').replace(/\s+/g, ' ');
      assert.match(guestAbi, /65479 bytes for `EchoBytes`/);
    });
  });
});
