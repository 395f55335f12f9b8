// Pre-warmed sandboxes of one guest: each was created, initialised and snapshotted up front, and
// the engine restores it after every call, so a request only pays for the call itself.
import { Sandbox } from '../sandbox';
import type { SandboxOptions } from '../types';
import { BoundedPool, type PoolStats } from './bounded-pool';

export interface WarmPoolOptions {
  readonly guest: string | Uint8Array;
  readonly size: number;
  /** Requests allowed to wait for a sandbox when all are busy (more get PoolBusyError). */
  readonly maxQueue: number;
  readonly maxWaitMs: number;
  readonly sandboxOptions?: SandboxOptions;
}

export class WarmPool {
  private readonly pool: BoundedPool<Sandbox>;

  /** Creates every sandbox now; if one fails, the ones made are disposed and the error thrown. */
  constructor(options: WarmPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError(`pool size must be a positive integer, got ${options.size}`);
    const create = (): Sandbox => Sandbox.create(options.guest, options.sandboxOptions);
    const made: Sandbox[] = [];
    try {
      for (let i = 0; i < options.size; i++) made.push(create());
    } catch (error) {
      for (const sandbox of made) sandbox.dispose();
      throw error;
    }
    this.pool = new BoundedPool<Sandbox>({
      items: made,
      maxQueue: options.maxQueue,
      maxWaitMs: options.maxWaitMs,
      destroy: (sandbox) => sandbox.dispose(),
      // The engine disposes a sandbox whose restore failed; the pool puts a fresh one in its place.
      usable: (sandbox) => !sandbox.disposed,
      replace: create,
    });
  }

  use<R>(fn: (sandbox: Sandbox) => Promise<R>): Promise<R> {
    return this.pool.use(fn);
  }

  stats(): PoolStats {
    return this.pool.stats();
  }

  /** Waits for calls in progress, then disposes every sandbox. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
