// In-process figures through the public host API: warm calls (restore included), restore alone,
// a 1 MiB argument, and cold create + call + destroy.
import assert from 'node:assert/strict';
import { Sandbox } from '../native/lib';
import { HELLO_MESSAGE, summarise, timeSync, timeSyncAndAsync, timeWarmCalls, type TimingSummary } from '../native/lib/server';
import type { BenchGuests } from './guests';

export interface InProcessResults {
  /** PrintOutput(HELLO): one HostPrint callback, then restore. */
  readonly warm_sync: TimingSummary;
  readonly warm_async: TimingSummary;
  /** The same async call with inlineSliceUs 0: every run on the vCPU thread (two hand-offs). */
  readonly warm_async_threaded: TimingSummary;
  /** Add(1, 2): no host call, so one VM exit where PrintOutput takes two. */
  readonly warm_add_sync: TimingSummary;
  /** The engine's restore on a sandbox with nothing dirty: its fixed cost. */
  readonly restore: TimingSummary;
  readonly bytes_1mib_sync: TimingSummary;
  /** Sandbox.create + PrintOutput + dispose, and the create and dispose parts alone. */
  readonly cold: TimingSummary;
  readonly cold_create: TimingSummary;
  readonly cold_dispose: TimingSummary;
}

export interface InProcessOptions {
  readonly iterations: number;
  readonly bytesIterations: number;
  readonly coldIterations: number;
}

const MIB = 1024 * 1024;

export async function measureInProcess(guests: BenchGuests, options: InProcessOptions): Promise<InProcessResults> {
  const sandbox = Sandbox.create(guests.hello);
  let warm_sync: TimingSummary, warm_async: TimingSummary, warm_add_sync: TimingSummary, restore: TimingSummary;
  let warm_async_threaded: TimingSummary;
  try {
    const check = sandbox.callSync('PrintOutput', HELLO_MESSAGE);
    assert.equal(check.output, HELLO_MESSAGE, 'PrintOutput printed something else');
    ({ sync: warm_sync, async: warm_async } = await timeSyncAndAsync(sandbox, 'PrintOutput', [HELLO_MESSAGE], options.iterations));
    const threaded = Sandbox.create(guests.hello, { inlineSliceUs: 0 });
    try {
      warm_async_threaded = await timeWarmCalls(threaded, 'PrintOutput', [HELLO_MESSAGE], { iterations: options.iterations, mode: 'async' });
    } finally {
      threaded.dispose();
    }
    warm_add_sync = await timeWarmCalls(sandbox, 'Add', [1, 2], { iterations: options.iterations, mode: 'sync' });
    restore = timeSync(options.iterations, () => sandbox.restore());
    assert.equal((await sandbox.call('PrintOutput', HELLO_MESSAGE)).output, HELLO_MESSAGE, 'the sandbox broke during the bench');
  } finally {
    sandbox.dispose();
  }
  return { warm_sync, warm_async, warm_async_threaded, warm_add_sync, restore, bytes_1mib_sync: await measureBytes(guests.bytes, options.bytesIterations), ...measureCold(guests.hello, options.coldIterations) };
}

async function measureBytes(elf: string, iterations: number): Promise<TimingSummary> {
  // The call record holds the 1 MiB plus a header, the name and alignment: one extra page is plenty.
  const sandbox = Sandbox.create(elf, { inputBufferSize: MIB + 4096, memorySize: 4 * MIB });
  try {
    const data = new Uint8Array(MIB).map((_, i) => i & 0xff);
    const expected = BigInt(data.reduce((sum, x) => sum + x, 0));
    assert.equal(sandbox.callSync('SumBytes', data).value, expected, 'SumBytes returned a wrong sum');
    return await timeWarmCalls(sandbox, 'SumBytes', [data], { iterations, mode: 'sync' });
  } finally {
    sandbox.dispose();
  }
}

function measureCold(elf: string, iterations: number): Pick<InProcessResults, 'cold' | 'cold_create' | 'cold_dispose'> {
  const total: number[] = [];
  const create: number[] = [];
  const dispose: number[] = [];
  const now = (): bigint => process.hrtime.bigint();
  const us = (from: bigint, to: bigint): number => Number(to - from) / 1000;
  for (let i = 0; i < iterations + 1; i++) {
    const t0 = now();
    const sandbox = Sandbox.create(elf);
    const t1 = now();
    let output: string;
    try {
      output = sandbox.callSync('PrintOutput', HELLO_MESSAGE).output;
    } catch (error) {
      sandbox.dispose();
      throw error;
    }
    const t2 = now();
    sandbox.dispose();
    const t3 = now();
    assert.equal(output, HELLO_MESSAGE);
    if (i === 0) continue; // the first one pays for loading code paths
    total.push(us(t0, t3));
    create.push(us(t0, t1));
    dispose.push(us(t2, t3));
  }
  return { cold: summarise(total), cold_create: summarise(create), cold_dispose: summarise(dispose) };
}
