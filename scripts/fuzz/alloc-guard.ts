// Loaded first in a fuzz worker: typed arrays, ArrayBuffers and Buffers larger than the limit
// throw (and are remembered, in case a reader catches and rewords the error): an input must never
// make a reader allocate what its own size does not justify, e.g. `new Uint8Array(length)` with a
// length read from the file.
export const ALLOCATION_LIMIT = 256 * 1024 * 1024;

export interface TrippedAllocation {
  readonly what: string;
  readonly bytes: number;
  readonly stack: string;
}

let tripped: TrippedAllocation | undefined;

/** The last over-limit allocation since the previous call, if any. */
export function takeTrippedAllocation(): TrippedAllocation | undefined {
  const last = tripped;
  tripped = undefined;
  return last;
}

export class AllocationLimitError extends Error {
  constructor(what: string, bytes: number) {
    super(`fuzz: ${what} of ${bytes} bytes exceeds the ${ALLOCATION_LIMIT}-byte allocation limit`);
    this.name = 'AllocationLimitError';
  }
}

function trip(what: string, bytes: number): never {
  const error = new AllocationLimitError(what, bytes);
  tripped = { what, bytes, stack: error.stack ?? '' };
  throw error;
}

const CONSTRUCTORS = [
  'ArrayBuffer', 'SharedArrayBuffer', 'Uint8Array', 'Int8Array', 'Uint8ClampedArray', 'Uint16Array', 'Int16Array', 'Uint32Array',
  'Int32Array', 'Float32Array', 'Float64Array', 'BigUint64Array', 'BigInt64Array',
] as const;

export function installAllocationGuard(): void {
  const global = globalThis as unknown as Record<string, unknown>;
  for (const name of CONSTRUCTORS) {
    const original = global[name] as (new (...args: unknown[]) => object) & { BYTES_PER_ELEMENT?: number };
    if (typeof original !== 'function' || (original as { __guarded?: boolean }).__guarded) continue;
    const width = original.BYTES_PER_ELEMENT ?? 1;
    const guarded: typeof original = new Proxy(original, {
      construct(target, args, newTarget): object {
        if (typeof args[0] === 'number' && args[0] * width > ALLOCATION_LIMIT) trip(`new ${name}(${args[0]})`, args[0] * width);
        return Reflect.construct(target, args, newTarget === guarded ? target : newTarget);
      },
      get(target, key, receiver) {
        if (key === '__guarded') return true;
        return Reflect.get(target, key, receiver === guarded ? target : receiver);
      },
    });
    global[name] = guarded;
  }
  for (const method of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
    const original = Buffer[method] as (size: number, ...rest: unknown[]) => Buffer;
    (Buffer as unknown as Record<string, unknown>)[method] = (size: number, ...rest: unknown[]) => {
      if (typeof size === 'number' && size > ALLOCATION_LIMIT) trip(`Buffer.${method}(${size})`, size);
      return original.call(Buffer, size, ...rest);
    };
  }
}

installAllocationGuard();
