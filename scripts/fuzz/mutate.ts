// Mutation-based inputs with fast-check: a seed file plus a list of mutations (bit flips, byte and
// integer overwrites with boundary values, truncations, insertions, deletions, duplicated chunks and
// splices from another seed). Positions fall in the seed's hot regions (headers, the sections the
// target reads) most of the time, anywhere in the file otherwise.
import fc from 'fast-check';

export interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** [start, end) byte ranges worth mutating (headers, the sections the target reads). */
  readonly hot: readonly (readonly [number, number])[];
}

type Position = { readonly hot: boolean; readonly region: number; readonly offset: number };

type Mutation =
  | { readonly kind: 'flip'; readonly at: Position; readonly bit: number }
  | { readonly kind: 'byte'; readonly at: Position; readonly value: number }
  | { readonly kind: 'int'; readonly at: Position; readonly width: 1 | 2 | 4 | 8; readonly value: bigint; readonly relative: boolean }
  | { readonly kind: 'truncate'; readonly at: Position }
  | { readonly kind: 'insert'; readonly at: Position; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: Position; readonly length: number }
  | { readonly kind: 'duplicate'; readonly from: Position; readonly at: Position; readonly length: number }
  | { readonly kind: 'splice'; readonly seed: number; readonly from: number; readonly at: Position; readonly length: number };

const position: fc.Arbitrary<Position> = fc.record({
  hot: fc.nat(9).map((n) => n < 8),
  region: fc.nat(),
  offset: fc.oneof(fc.nat(64), fc.nat()),
});

/** Sizes, counts and offsets at the edges: where length and overflow checks go wrong. */
const BOUNDARY: readonly bigint[] = [
  0n, 1n, 2n, 3n, 4n, 7n, 8n, 0xfn, 0x10n, 0x18n, 0x38n, 0x40n, 0x7fn, 0x80n, 0xffn, 0x100n, 0xfffn, 0x1000n, 0x7fffn, 0x8000n,
  0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0xfffffff0n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn,
  0x8000000000000000n, 0xfffffffffffffff0n, 0xffffffffffffffffn,
];

const mutation = (seedCount: number): fc.Arbitrary<Mutation> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.nat(7) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('byte' as const), at: position, value: fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff), fc.nat(255)) }) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('int' as const),
        at: position,
        width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
        value: fc.oneof(fc.constantFrom(...BOUNDARY), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt(-16n, 16n)),
        relative: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: position }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), from: position, at: position, length: fc.integer({ min: 1, max: 256 }) }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('splice' as const), seed: fc.nat(Math.max(0, seedCount - 1)), from: fc.nat(), at: position, length: fc.integer({ min: 1, max: 512 }) }),
    },
  );

function place(at: Position, length: number, hot: Seed['hot']): number {
  if (length === 0) return 0;
  if (at.hot && hot.length > 0) {
    const [start, end] = hot[at.region % hot.length];
    const clampedEnd = Math.min(end, length);
    if (start < clampedEnd) return start + (at.offset % (clampedEnd - start));
  }
  return at.offset % length;
}

function writeInt(bytes: Uint8Array, at: number, width: number, value: bigint, relative: boolean): void {
  if (at + width > bytes.length) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let current = 0n;
  if (relative) for (let i = width - 1; i >= 0; i--) current = (current << 8n) | BigInt(bytes[at + i]);
  const result = BigInt.asUintN(width * 8, relative ? current + value : value);
  if (width === 8) view.setBigUint64(at, result, true);
  else for (let i = 0; i < width; i++) bytes[at + i] = Number((result >> BigInt(i * 8)) & 0xffn);
}

/** Applies `mutations` to a copy of `seeds[index]`. */
export function mutate(seeds: readonly Seed[], index: number, mutations: readonly Mutation[]): Uint8Array {
  const seed = seeds[index % seeds.length];
  let bytes: Uint8Array = new Uint8Array(seed.bytes);
  for (const m of mutations) {
    const at = place(m.at, bytes.length, seed.hot);
    switch (m.kind) {
      case 'flip':
        if (bytes.length > 0) bytes[at] ^= 1 << m.bit;
        break;
      case 'byte':
        if (bytes.length > 0) bytes[at] = m.value;
        break;
      case 'int':
        writeInt(bytes, at, m.width, m.value, m.relative);
        break;
      case 'truncate':
        bytes = bytes.slice(0, at);
        break;
      case 'insert':
        bytes = concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at));
        break;
      case 'delete':
        bytes = concat(bytes.subarray(0, at), bytes.subarray(at + m.length));
        break;
      case 'duplicate': {
        const from = place(m.from, bytes.length, seed.hot);
        const chunk = bytes.slice(from, from + m.length);
        const to = place(m.at, bytes.length, seed.hot);
        bytes = concat(bytes.subarray(0, to), chunk, bytes.subarray(to));
        break;
      }
      case 'splice': {
        const other = seeds[m.seed % seeds.length].bytes;
        if (other.length === 0) break;
        const from = m.from % other.length;
        const chunk = other.subarray(from, from + m.length);
        const end = Math.min(bytes.length, at + chunk.length);
        bytes.set(chunk.subarray(0, end - at), at);
        break;
      }
    }
  }
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Mutated seeds: one seed, 1-8 mutations (a third of inputs get one only: close to a valid file). */
export function mutatedInputs(seeds: readonly Seed[]): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      seed: fc.nat(Math.max(0, seeds.length - 1)),
      mutations: fc.oneof(fc.array(mutation(seeds.length), { minLength: 1, maxLength: 1 }), fc.array(mutation(seeds.length), { minLength: 1, maxLength: 8 })),
    })
    .map(({ seed, mutations }) => mutate(seeds, seed, mutations));
}
