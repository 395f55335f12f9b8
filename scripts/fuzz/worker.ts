// One TypeScript fuzz target in a worker thread, for a given time. Before each input it copies the
// input into shared memory and counts it, so that the main thread's watchdog (scripts/fuzz/fuzz.ts)
// can tell a hang and save the input that hung. Findings (an error the reader must not throw, an
// over-limit allocation) are posted to the main thread, one per distinct signature.
import { takeTrippedAllocation } from './alloc-guard'; // first: it guards the typed-array constructors
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { mutatedInputs } from './mutate';
import { seedsFor, structuredLaunch, structuredRecords } from './seeds';
import { runInput, targetNamed } from './targets';

export interface WorkerData {
  readonly target: string;
  readonly milliseconds: number;
  readonly seed: number;
  readonly shared: SharedArrayBuffer;
}

/** Shared memory: Int32 [inputs started, current input length, phase], Float64 stats, then the input. */
export const CONTROL_BYTES = 16;
export const STATS_BYTES = 32;
export const PHASE = { setup: 0, fuzzing: 1, done: 2 } as const;

export interface FindingMessage {
  readonly kind: 'finding';
  readonly signature: string;
  readonly error: string;
  readonly stack: string;
  readonly input: Uint8Array;
}

export interface SlowMessage {
  readonly kind: 'slow';
  readonly milliseconds: number;
  readonly input: Uint8Array;
}

/** The error's class, its message with numbers masked and the first frame in our code: one per bug. */
export function signatureOf(error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  const frame = (e.stack ?? '').split('\n').find((line) => /at .*(native|debug-adapter|scripts)[/\\]/.test(line)) ?? '';
  const message = e.message.replace(/0x[0-9a-f]+|\d+/gi, 'N').slice(0, 120);
  return `${e.name}: ${message} @ ${frame.trim().replace(/:\d+:\d+\)?$/, '')}`;
}

function main(data: WorkerData): void {
  const control = new Int32Array(data.shared, 0, 4);
  const stats = new Float64Array(data.shared, CONTROL_BYTES, 4); // executions, refused, accepted, slowest ms
  const window = new Uint8Array(data.shared, CONTROL_BYTES + STATS_BYTES);
  const target = targetNamed(data.target);
  const { seeds, context } = seedsFor(data.target);
  const sources: fc.Arbitrary<Uint8Array>[] = [];
  if (target.inputs !== 'structured' && seeds.length > 0) sources.push(mutatedInputs(seeds));
  if (target.name === 'records') sources.push(structuredRecords(), structuredRecords().chain((r) => mutatedInputs([{ name: 'r', bytes: r, hot: [[0, r.length]] }])));
  if (target.name === 'launch') sources.push(structuredLaunch(context));
  if (sources.length === 0) throw new Error(`fuzz target ${target.name} has no inputs (no seeds found)`);
  const inputs = sources.length === 1 ? sources[0] : fc.oneof(...sources);

  const seen = new Set<string>();
  const report = (signature: string, error: string, stack: string, input: Uint8Array) => {
    if (seen.has(signature)) return;
    seen.add(signature);
    parentPort!.postMessage({ kind: 'finding', signature, error, stack, input } satisfies FindingMessage);
  };
  Atomics.store(control, 2, PHASE.fuzzing);
  fc.assert(
    fc.property(inputs, (input) => {
      window.set(input.subarray(0, window.length));
      Atomics.store(control, 1, input.length);
      Atomics.add(control, 0, 1);
      const started = performance.now();
      const outcome = runInput(target, input, context);
      const took = performance.now() - started;
      stats[0]++;
      if (outcome.kind === 'refused') stats[1]++;
      if (outcome.kind === 'accepted') stats[2]++;
      if (took > stats[3]) stats[3] = took;
      if (took > 1000) parentPort!.postMessage({ kind: 'slow', milliseconds: took, input } satisfies SlowMessage);
      const allocation = takeTrippedAllocation();
      if (allocation) {
        report(`allocation: ${allocation.what.replace(/\d+/g, 'N')}`, `an allocation of ${allocation.bytes} bytes (${allocation.what}) from a ${input.length}-byte input`, allocation.stack, input);
      } else if (outcome.kind === 'finding') {
        const error = outcome.error;
        const text = error instanceof Error ? `${error.name}: ${error.message}` : `a thrown ${typeof error}: ${String(error)}`;
        report(signatureOf(error), text, error instanceof Error ? error.stack ?? '' : '', input);
      }
      return true;
    }),
    { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: data.milliseconds, markInterruptAsFailure: false, seed: data.seed, endOnFailure: true },
  );
  Atomics.store(control, 2, PHASE.done);
}

if (parentPort) main(workerData as WorkerData);
