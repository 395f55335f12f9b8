// A fixed set of resources handed out one at a time, with a bounded wait queue. A server must
// answer "busy" rather than pile up requests without limit, so a full queue rejects at once and a
// queued request gives up after `maxWaitMs`; nothing waits forever.

/** The queue was full, or the wait ran out: the caller should answer 503. */
export class PoolBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoolBusyError';
  }
}

/** The pool was closed while waiting, or before. */
export class PoolClosedError extends Error {
  constructor() {
    super('the pool is shutting down');
    this.name = 'PoolClosedError';
  }
}

export interface BoundedPoolOptions<T> {
  /** Resources to hand out; the pool owns them from now on. */
  readonly items: readonly T[];
  /** At most this many callers wait for a resource; more are refused at once. */
  readonly maxQueue: number;
  /** A waiting caller is refused after this long. */
  readonly maxWaitMs: number;
  /** Called for each resource when the pool closes and it is (or comes back) idle. */
  readonly destroy: (item: T) => void;
  /** A resource coming back is checked; if unusable it is destroyed and replaced by `replace()`. */
  readonly usable?: (item: T) => boolean;
  readonly replace?: () => T;
}

interface Waiter<T> {
  resolve: (item: T) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface PoolStats {
  readonly size: number;
  readonly idle: number;
  readonly busy: number;
  readonly queued: number;
}

export class BoundedPool<T> {
  private readonly idle: T[];
  private readonly waiters: Waiter<T>[] = [];
  private size: number;
  private busy = 0;
  private closed = false;
  private drained: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: BoundedPoolOptions<T>) {
    if (!Number.isInteger(options.maxQueue) || options.maxQueue < 0) throw new RangeError(`maxQueue must be an integer >= 0, got ${options.maxQueue}`);
    this.idle = [...options.items];
    this.size = this.idle.length;
  }

  stats(): PoolStats {
    return { size: this.size, idle: this.idle.length, busy: this.busy, queued: this.waiters.length };
  }

  /** Runs `fn` with a resource, waiting (bounded) for one if all are busy. */
  async use<R>(fn: (item: T) => Promise<R>): Promise<R> {
    const item = await this.acquire();
    try {
      return await fn(item);
    } finally {
      this.release(item);
    }
  }

  private acquire(): Promise<T> {
    if (this.closed) return Promise.reject(new PoolClosedError());
    const item = this.idle.pop();
    if (item !== undefined) {
      this.busy++;
      return Promise.resolve(item);
    }
    if (this.size === 0) return Promise.reject(new PoolBusyError('the pool has no resources left'));
    if (this.waiters.length >= this.options.maxQueue) {
      return Promise.reject(new PoolBusyError(`all ${this.size} sandboxes are busy and ${this.waiters.length} requests already wait`));
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.removeWaiter(waiter);
          reject(new PoolBusyError(`no sandbox became free within ${this.options.maxWaitMs} ms`));
        }, this.options.maxWaitMs),
      };
      this.waiters.push(waiter);
    });
  }

  private removeWaiter(waiter: Waiter<T>): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
  }

  private release(returned: T): void {
    let item: T | undefined = returned;
    if (this.options.usable && !this.options.usable(item)) item = this.replacement(item);
    this.busy--;
    if (item === undefined) {
      this.size--;
    } else if (this.closed) {
      this.options.destroy(item);
      this.size--;
    } else {
      const waiter = this.waiters.shift();
      if (waiter) {
        clearTimeout(waiter.timer);
        this.busy++;
        waiter.resolve(item);
        return;
      }
      this.idle.push(item);
    }
    if (this.closed && this.busy === 0) this.drained?.();
  }

  // A broken resource is replaced so the pool keeps its size; if that fails the pool shrinks.
  private replacement(broken: T): T | undefined {
    this.options.destroy(broken);
    if (this.closed || !this.options.replace) return undefined;
    try {
      return this.options.replace();
    } catch {
      return undefined;
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Refuses new and queued callers, waits for busy resources to come back, destroys them all. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new PoolClosedError());
    }
    for (const item of this.idle.splice(0)) {
      this.options.destroy(item);
      this.size--;
    }
    if (this.busy > 0) await new Promise<void>((resolve) => (this.drained = resolve));
  }
}
