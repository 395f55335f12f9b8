import { Sandbox } from '../../../native/lib';
import { isMicroVmError } from '../../../native/lib/errors';
import { errorToJson, formatError, formatValue, resultToJson } from '../../../native/lib/presentation';
import type { CallResult, FunctionSignature, SandboxOptions } from '../../../native/lib/types';
import { flagValue, UsageError, type ParsedArgs } from '../args';
import type { Command } from '../command';
import { EXIT_FAILURE, EXIT_OK, type Io } from '../io';
import { crashDumpDirOption, DEFAULT_CRASH_DUMP_DIR, hostRefusal, parseBufferSize, parseMemorySize, parseTimeoutMs } from '../options';
import { readGuestFile } from './guest-path';
import { convert, findFunction } from '../guest-call';

export const runCommand: Command = {
  spec: {
    name: 'run',
    summary: 'Call one guest function in a fresh micro-VM and print its result.',
    positionals: [{ name: 'guest.elf' }, { name: 'function' }, { name: 'args', variadic: true }],
    flags: [
      { name: 'timeout-ms', value: 'N', description: 'fail the call after N milliseconds, 1 to 2147483648 (default 5000)' },
      { name: 'memory-size', value: 'N', description: 'guest memory in bytes, a multiple of 4K up to 256M, e.g. 4M (default 2M)' },
      { name: 'input-size', value: 'N', description: 'input buffer in bytes (a multiple of 4K) for large string and bytes arguments (default 64K)' },
      { name: 'crash-dump-dir', value: 'DIR', description: `write a core file here on a fault (default ./${DEFAULT_CRASH_DUMP_DIR}); checked first, created only by a fault` },
      { name: 'no-crash-dump', description: 'do not write a core file' },
      { name: 'json', description: 'print one JSON object (value, output, hostCalls, durationUs) instead of text' },
    ],
    details: [
      "Arguments are converted by the function's signature:",
      '  i32 u32 i64 u64  decimal, 0x hex, 0o octal or 0b binary, with an optional sign and `_`',
      '                   between digits (-42, 0xff, 0o17, 0b1010, 1_000_000); range checked',
      '  f32 f64          decimal with an optional exponent (1.5, -2e3, .5, -0), or inf, infinity',
      '                   or nan, optionally signed, in any case',
      '  bool             true, false, 1 or 0 (any case)',
      '  string           the text as given (no NUL character)',
      '  bytes            hex after 0x or hex:, with `_`, `:` or spaces between digits',
      '                   (0xdeadbeef, hex:de_ad:be_ef, 0x for no bytes)',
      'Spaces around numbers and bools are ignored. Negative numbers need no `--`; other arguments',
      'that start with a dash do. The call must fit the input buffer (--input-size): each string or',
      'bytes argument takes its length + 1 (a 0 follows it), the record header and the function name',
      "the rest, so one bytes argument of EchoBytes can be 65479 bytes with the default 64K",
      '(docs/guest-abi.md, "Call record", has the rule).',
      '',
      'In --json output i64/u64 values are decimal strings, bytes 0x hex, -0, NaN, Infinity and',
      '-Infinity the strings "-0", "NaN", "Infinity", "-Infinity", and an f32 has the digits of an f32',
      '(0.1), as in the text (docs/crash-dump.md, "Result JSON"). A failure prints {"ok": false,',
      '"error": {code, message, function, fault, ...}}, the fault with vector, mnemonic,',
      'exceptionName, errorCode, faultAddress, access, rip, backtrace, functionName, ...',
      '(docs/crash-dump.md, "Fault JSON").',
      '',
      'Guest output (HostPrint) streams to stdout; then the result prints as `=> value`. A failure',
      'prints one line on stderr and exits 1. On a fault that line names the core file written into',
      `--crash-dump-dir (default ./${DEFAULT_CRASH_DUMP_DIR}); open it with gdb <guest.elf> <core> or`,
      'microvm core <guest.elf> <core>. A timeout or an abort writes no core file. Mistakes on the',
      'command line (flags, arguments, sizes the guest cannot use) exit 2 before the call runs.',
      '',
      'A WebAssembly module (.wasm) runs too: it is translated into a native guest first (cached by',
      "its hash), and a trap prints WASM_TRAP with the trap, the Wasm function and the source line",
      '(docs/wasm-guests.md).',
    ].join('\n'),
  },
  async run(args: ParsedArgs, io: Io): Promise<number> {
    const [given, functionName, ...texts] = args.positionals;
    const json = args.flags.has('json');
    const options = sandboxOptions(args, io);
    if (!json) options.onPrint = (text) => io.out(text);

    try {
      const elf = readGuestFile(io, given);
      const signature = findFunction(elf, functionName);
      const values = convert(signature, texts);
      const sandbox = Sandbox.create(elf, options);
      try {
        const result = await sandbox.call(signature.name, ...values);
        io.out(json ? JSON.stringify(resultToJson(signature, result), null, 2) + '\n' : resultText(signature, result));
      } finally {
        sandbox.dispose();
      }
      return EXIT_OK;
    } catch (err) {
      if (err instanceof UsageError) throw err; // exit 2, plain text
      const refusal = hostRefusal(err);
      if (refusal) throw refusal;
      if (json) io.out(JSON.stringify(errorToJson(err), null, 2) + '\n');
      else if (streamedWithoutNewline(err)) io.out('\n');
      io.err(`microvm run: ${formatError(err)}\n`);
      return EXIT_FAILURE;
    }
  },
};

function sandboxOptions(args: ParsedArgs, io: Io): SandboxOptions {
  const options: SandboxOptions = {};
  const timeout = flagValue(args, 'timeout-ms');
  if (timeout !== undefined) options.timeoutMs = parseTimeoutMs(timeout);
  const memory = flagValue(args, 'memory-size');
  if (memory !== undefined) options.memorySize = parseMemorySize(memory);
  const input = flagValue(args, 'input-size');
  if (input !== undefined) options.inputBufferSize = parseBufferSize(input, '--input-size');
  const dumpDir = flagValue(args, 'crash-dump-dir');
  if (dumpDir !== undefined && args.flags.has('no-crash-dump')) {
    throw new UsageError('--crash-dump-dir and --no-crash-dump cannot be used together');
  }
  if (!args.flags.has('no-crash-dump')) options.crashDumpDir = crashDumpDirOption(dumpDir, io.cwd);
  return options;
}



/** Output already streamed; the result line starts on a fresh line. */
export function resultText(signature: FunctionSignature, result: CallResult): string {
  const separator = result.output === '' || result.output.endsWith('\n') ? '' : '\n';
  return `${separator}=> ${formatValue(result.value, signature.returnType)}\n`;
}

// What the guest printed before failing was streamed; end its line before the error.
function streamedWithoutNewline(err: unknown): boolean {
  const output = isMicroVmError(err) ? err.details.output : undefined;
  return output !== undefined && output !== '' && !output.endsWith('\n');
}
