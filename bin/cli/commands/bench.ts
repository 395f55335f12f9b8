import { Sandbox } from '../../../native/lib';
import { timeWarmCalls, type CallMode } from '../../../native/lib/server';
import { formatDuration, formatSignature } from '../../../native/lib/presentation';
import type { SandboxOptions } from '../../../native/lib/types';
import { flagValue, UsageError, type ParsedArgs } from '../args';
import type { Command } from '../command';
import { EXIT_OK, type Io } from '../io';
import { hostRefusal, parseBufferSize, parseMemorySize, parsePositiveInteger } from '../options';
import { readGuestFile } from './guest-path';
import { convert, findFunction } from '../guest-call';

export const benchCommand: Command = {
  spec: {
    name: 'bench',
    summary: 'Time warm calls of one guest function (call + restore to the snapshot) in one sandbox.',
    positionals: [{ name: 'guest.elf' }, { name: 'function' }, { name: 'args', variadic: true }],
    flags: [
      { name: 'iterations', value: 'N', description: 'timed calls (default 1000)' },
      { name: 'warmup', value: 'N', description: 'untimed calls first (default iterations / 10)' },
      { name: 'async', description: 'use the async call() (inline for up to 1 ms, then on the vCPU thread) instead of callSync()' },
      { name: 'memory-size', value: 'N', description: 'guest memory in bytes, a multiple of 4K up to 256M, e.g. 4M (default 2M)' },
      { name: 'input-size', value: 'N', description: 'input buffer in bytes (a multiple of 4K), e.g. 2M, for large arguments (default 64K)' },
      { name: 'json', description: 'print one JSON object: mean_us, p50_us, p99_us, min_us, max_us, iterations, ...' },
    ],
    details: [
      'Arguments are converted by the function signature, as for `microvm run`. Each sample is one',
      'call through the host API, restore included; what the guest prints is discarded. The first',
      'call that fails ends the run with exit status 1.',
    ].join('\n'),
  },
  async run(args: ParsedArgs, io: Io): Promise<number> {
    const [given, functionName, ...texts] = args.positionals;
    const iterations = parsePositiveInteger(flagValue(args, 'iterations') ?? '1000', '--iterations');
    const warmupText = flagValue(args, 'warmup');
    const warmup = warmupText === undefined ? undefined : parseCount(warmupText, '--warmup');
    const mode: CallMode = args.flags.has('async') ? 'async' : 'sync';
    const options: SandboxOptions = {};
    const memory = flagValue(args, 'memory-size');
    if (memory !== undefined) options.memorySize = parseMemorySize(memory);
    const input = flagValue(args, 'input-size');
    if (input !== undefined) options.inputBufferSize = parseBufferSize(input, '--input-size');

    const elf = readGuestFile(io, given);
    const signature = findFunction(elf, functionName);
    const values = convert(signature, texts);
    const sandbox = createOrRefuse(() => Sandbox.create(elf, options));
    try {
      const timing = await timeWarmCalls(sandbox, signature.name, values, { iterations, warmup, mode }).catch((err: unknown) => {
        throw hostRefusal(err) ?? err;
      });
      if (args.flags.has('json')) {
        const report = { guest: elf.path, function: signature.name, mode, warmup: warmup ?? Math.max(1, Math.floor(iterations / 10)), ...timing };
        io.out(JSON.stringify(report, null, 2) + '\n');
      } else {
        io.out(`${formatSignature(signature)}: ${timing.iterations} warm ${mode} calls, restore included\n`);
        const f = formatDuration;
        io.out(`  mean ${f(timing.mean_us)}  p50 ${f(timing.p50_us)}  p99 ${f(timing.p99_us)}  min ${f(timing.min_us)}  max ${f(timing.max_us)}\n`);
      }
    } finally {
      sandbox.dispose();
    }
    return EXIT_OK;
  },
};

/** Options the guest cannot live with are usage errors (exit 2), as in `microvm run`. */
function createOrRefuse(create: () => Sandbox): Sandbox {
  try {
    return create();
  } catch (err) {
    throw hostRefusal(err) ?? err;
  }
}

function parseCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`${flag} expects an integer >= 0, got ${JSON.stringify(text)}`);
  return Number(text);
}


