// Timing of warm guest calls, shared by `microvm bench` and `npm run bench`: each sample is one
// call through the public API, restore to the snapshot included.
import type { Sandbox } from '../sandbox';
import type { GuestValue } from '../types';

export interface TimingSummary {
  readonly iterations: number;
  readonly mean_us: number;
  readonly p50_us: number;
  readonly p99_us: number;
  readonly min_us: number;
  readonly max_us: number;
}

/** Mean and nearest-rank percentiles of samples in microseconds. */
export function summarise(samplesUs: readonly number[]): TimingSummary {
  if (samplesUs.length === 0) throw new RangeError('no samples to summarise');
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  return { iterations: sorted.length, mean_us: mean, p50_us: at(0.5), p99_us: at(0.99), min_us: sorted[0], max_us: sorted[sorted.length - 1] };
}

export type CallMode = 'sync' | 'async';

export interface WarmCallOptions {
  readonly iterations: number;
  /** Untimed calls first, so that JIT and caches settle. Default: iterations / 10, at least 1. */
  readonly warmup?: number;
  readonly mode: CallMode;
}

const elapsedUs = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1000;

/** Calls `name(...args)` repeatedly on one sandbox and summarises the per-call time. */
export async function timeWarmCalls(sandbox: Sandbox, name: string, args: readonly GuestValue[], options: WarmCallOptions): Promise<TimingSummary> {
  if (!Number.isInteger(options.iterations) || options.iterations < 1) throw new RangeError(`iterations must be a positive integer, got ${options.iterations}`);
  const warmup = options.warmup ?? Math.max(1, Math.floor(options.iterations / 10));
  const samples: number[] = [];
  for (let i = 0; i < warmup + options.iterations; i++) {
    const start = process.hrtime.bigint();
    if (options.mode === 'sync') sandbox.callSync(name, ...args);
    else await sandbox.call(name, ...args);
    if (i >= warmup) samples.push(elapsedUs(start));
  }
  return summarise(samples);
}

/**
 * Times callSync and the async call alternately on one sandbox, so that both see the same machine
 * load: on a shared, virtualised host the load drifts by more than the difference being measured.
 */
export async function timeSyncAndAsync(sandbox: Sandbox, name: string, args: readonly GuestValue[], iterations: number): Promise<{ sync: TimingSummary; async: TimingSummary }> {
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a positive integer, got ${iterations}`);
  const warmup = Math.max(1, Math.floor(iterations / 10));
  const sync: number[] = [];
  const async: number[] = [];
  for (let i = 0; i < warmup + iterations; i++) {
    let start = process.hrtime.bigint();
    sandbox.callSync(name, ...args);
    if (i >= warmup) sync.push(elapsedUs(start));
    start = process.hrtime.bigint();
    await sandbox.call(name, ...args);
    if (i >= warmup) async.push(elapsedUs(start));
  }
  return { sync: summarise(sync), async: summarise(async) };
}

/** Times a synchronous operation `iterations` times. */
export function timeSync(iterations: number, operation: () => void): TimingSummary {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    operation();
    samples.push(elapsedUs(start));
  }
  return summarise(samples);
}
