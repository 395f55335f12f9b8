// Seed corpora for the fuzz targets, from the test fixtures: the built test guests
// (test/guests/build), the DWARF fixture builds (test/fixtures/dwarf/build), the Wasm test modules
// (test/wasm-guests/build), cores written by a faulting test guest, and synthetic records. Missing
// builds are made with the tests' own builders (gcc and clang, as npm test does); everything
// written goes under build-fuzz/ (git-ignored).
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { ElfFile, elfConstants } from '../../native/lib/elf';
import { buildCoreFile } from '../../native/lib/coredump';
import type { Seed } from './mutate';
import type { TargetContext } from './targets';
import { OUTPUT_ADDRESS, launchScratch } from './targets';
import { Bytes } from '../../test/support/bytes';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const WORK = path.join(ROOT, 'build-fuzz');
/** Seeds larger than this are left out: every input must stay quick. */
const MAX_SEED = 256 * 1024;

function filesIn(dir: string, ext: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(ext) && !f.includes('.tmp.'))
    .sort()
    .map((f) => path.join(dir, f))
    .filter((f) => fs.statSync(f).size <= MAX_SEED);
}

/** Test guests (gcc and clang, -O0 and -O2), built by the tests' builder when missing. */
export function guestElfPaths(): string[] {
  let found = filesIn(path.join(ROOT, 'test', 'guests', 'build'), '.elf');
  if (found.length === 0) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { buildTestGuest } = require('../../test/guests/build-guests') as typeof import('../../test/guests/build-guests');
    for (const name of ['types', 'faults', 'debuggee'] as const) {
      buildTestGuest(name, { cc: 'gcc', optimize: '0' });
      buildTestGuest(name, { cc: 'clang', optimize: '2' });
    }
    found = filesIn(path.join(ROOT, 'test', 'guests', 'build'), '.elf');
  }
  return found;
}

/** The DWARF fixture builds (Linux executables and guests; DWARF 4 and 5, zlib sections, type units). */
export function dwarfElfPaths(): string[] {
  let found = filesIn(path.join(ROOT, 'test', 'fixtures', 'dwarf', 'build'), '.elf');
  if (found.length === 0) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { buildFixture, CORE_BUILDS, EXTRA_BUILDS } = require('../../test/fixtures/dwarf/builds') as typeof import('../../test/fixtures/dwarf/builds');
    for (const build of [...CORE_BUILDS, ...EXTRA_BUILDS]) {
      try {
        buildFixture(build);
      } catch {
        // a compiler that is missing: fewer seeds
      }
    }
    found = filesIn(path.join(ROOT, 'test', 'fixtures', 'dwarf', 'build'), '.elf');
  }
  return found;
}

function read(file: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(file));
}

/** Byte ranges of an ELF worth mutating: its headers and the named sections. */
function elfRegions(bytes: Uint8Array, sections: (name: string, type: number) => boolean): [number, number][] {
  const regions: [number, number][] = [[0, 64]];
  try {
    const elf = new ElfFile(bytes);
    const h = elf.header;
    if (h.phnum > 0) regions.push([Number(h.phoff), Number(h.phoff) + h.phnum * 56]);
    if (h.shnum > 0) regions.push([Number(h.shoff), Number(h.shoff) + h.shnum * 64]);
    for (const s of elf.sections) {
      if (s.type === elfConstants.SHT_NOBITS || s.size === 0n || !sections(s.name, s.type)) continue;
      regions.push([Number(s.offset), Number(s.offset + s.size)]);
    }
  } catch {
    // a seed that does not parse is mutated anywhere
  }
  return regions.filter(([start, end]) => end > start);
}

function elfSeeds(paths: readonly string[], sections: (name: string, type: number) => boolean): Seed[] {
  return paths.map((p) => {
    const bytes = read(p);
    return { name: path.relative(ROOT, p), bytes, hot: elfRegions(bytes, sections) };
  });
}

// --- cores ------------------------------------------------------------------------------------

const CORE_GUEST = () => path.join(ROOT, 'test', 'guests', 'build', 'faults-gcc-O0.elf');

/**
 * Cores of faults-gcc-O0.elf (DerefNull, DivideByZero, StackOverflow) written by the host API when
 * /dev/kvm works, kept in build-fuzz/seeds/core; plus a synthetic core (buildCoreFile) always.
 */
export function coreSeedPaths(): string[] {
  const dir = path.join(WORK, 'seeds', 'core');
  const existing = filesIn(dir, '.core');
  if (existing.length > 0) return existing;
  fs.mkdirSync(dir, { recursive: true });
  try {
    const guest = CORE_GUEST();
    if (!fs.existsSync(guest)) {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { buildTestGuest } = require('../../test/guests/build-guests') as typeof import('../../test/guests/build-guests');
      buildTestGuest('faults', { cc: 'gcc', optimize: '0' });
    }
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { Sandbox } = require('../../native/lib') as typeof import('../../native/lib');
    const sandbox = Sandbox.create(guest, { crashDumpDir: dir });
    try {
      for (const fn of ['DerefNull', 'DivideByZero', 'StackOverflow']) {
        try {
          sandbox.callSync(fn);
        } catch {
          // the fault is the point: its core is in `dir`
        }
      }
    } finally {
      sandbox.dispose();
    }
  } catch (error) {
    console.error(`fuzz: no real core seeds (${(error as Error).message.split('\n')[0]}); the synthetic one only`);
  }
  return filesIn(dir, '.core');
}

function syntheticCore(): Uint8Array {
  const registers = Object.fromEntries(
    ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'].map((n, i) => [n, BigInt(i * 8)]),
  );
  const segment = (selector: number) => ({ selector, base: 0n, limit: 0xffffffff, type: 3, present: true, dpl: 3, db: false, s: true, l: true, g: true, avl: false });
  const region = (name: string, address: bigint, size: number, perms: string) => ({
    region: { name, address, size, readable: perms.includes('r'), writable: perms.includes('w'), executable: perms.includes('x') },
    data: Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff),
  });
  return buildCoreFile({
    guestName: 'faults.elf',
    entry: 0x100040n,
    registers: {
      ...registers, rip: 0x101000n, rflags: 0x10046n, rsp: 0x1ff000n,
      cs: segment(0x23), ds: segment(0x1b), es: segment(0x1b), ss: segment(0x1b), fs: segment(0x1b), gs: segment(0x1b),
      cr0: 0x80010033n, cr2: 0x8n, cr3: 0xa000n, cr4: 0x620n, efer: 0xd00n,
      fpu: { fcw: 0x37f, fsw: 0, ftw: 0, fop: 0, fip: 0n, fdp: 0n, mxcsr: 0x1f80, st: [], xmm: [] },
    },
    signal: 11,
    regions: [region('image', 0x100000n, 0x2000, 'rx'), region('stack', 0x1f0000n, 0x10000, 'rw')],
    details: { vector: 14, mnemonic: '#PF', faultAddress: 0x8n, description: 'a page fault', call: 'guest function DerefNull' },
    programHeaders: { address: 0x100040n, count: 2 },
    fault: { vector: 14, errorCode: 4, address: 0x8n },
  } as unknown as Parameters<typeof buildCoreFile>[0]);
}

/** A core's headers, notes and the start of its last PT_LOAD (the stack the backtrace reads). */
function coreRegions(bytes: Uint8Array): [number, number][] {
  const regions: [number, number][] = [[0, 64]];
  try {
    const elf = new ElfFile(bytes);
    regions.push([Number(elf.header.phoff), Number(elf.header.phoff) + elf.header.phnum * 56]);
    const loads = elf.programHeaders.filter((ph) => ph.type === elfConstants.PT_LOAD && ph.filesz > 0n);
    for (const ph of elf.programHeaders) if (ph.type === elfConstants.PT_NOTE) regions.push([Number(ph.offset), Number(ph.offset + ph.filesz)]);
    const stack = loads[loads.length - 1];
    if (stack) regions.push([Number(stack.offset + stack.filesz) - 0x1000, Number(stack.offset + stack.filesz)]);
  } catch {
    // mutated anywhere
  }
  return regions;
}

// --- Wasm -------------------------------------------------------------------------------------

function leb(n: number): number[] {
  return new Bytes().uleb(n).data;
}

/** A small module by hand: memory, an exported i32 add, a microvm.functions declaration. */
function handmadeModule(): Uint8Array {
  const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
  const name = (text: string) => [...leb(text.length), ...Buffer.from(text)];
  const body = [0x00, 0x20, 0, 0x20, 1, 0x6a, 0x0b];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, 1]),
    ...section(7, [2, ...name('Add'), 0, 0, ...name('memory'), 2, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
    ...section(0, [...name('microvm.functions'), ...Buffer.from('Add(i32, i32) -> i32\n')]),
  ]);
}

// --- records ----------------------------------------------------------------------------------

const TAGS = { void: 0, i32: 1, u32: 2, i64: 3, u64: 4, f32: 5, f64: 6, bool: 7, string: 8, bytes: 9 } as const;
type Tag = keyof typeof TAGS;
type Arg = { type: Tag; value: bigint | Uint8Array };

const align8 = (n: number) => (n + 7) & ~7;

/** An MVH1 host-call record as a guest writes it: header, slots, name, then string/bytes data. */
export function hostCallRecord(name: string, args: readonly Arg[], returnTag: number): Uint8Array {
  const nameBytes = Buffer.from(name, 'utf8');
  const nameOffset = 24 + 16 * args.length;
  let at = align8(nameOffset + nameBytes.length + 1);
  const places = args.map((a) => {
    if (!(a.value instanceof Uint8Array)) return -1;
    const place = at;
    at = align8(at + a.value.length + 1);
    return place;
  });
  const bytes = new Uint8Array(at);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x3148564d, true);
  view.setUint32(4, at, true);
  view.setUint32(8, nameOffset, true);
  view.setUint32(12, nameBytes.length, true);
  view.setUint32(16, args.length, true);
  view.setUint32(20, returnTag, true);
  bytes.set(nameBytes, nameOffset);
  args.forEach((a, i) => {
    const slot = 24 + 16 * i;
    bytes[slot] = TAGS[a.type];
    if (a.value instanceof Uint8Array) {
      bytes.set(a.value, places[i]);
      view.setUint32(slot + 4, a.value.length, true);
      view.setBigUint64(slot + 8, OUTPUT_ADDRESS + BigInt(places[i]), true);
    } else {
      view.setBigUint64(slot + 8, BigInt.asUintN(64, a.value), true);
    }
  });
  return bytes;
}

/** An MVR1 return record: status, the result slot, its data at offset 32. */
export function returnRecord(status: number, result: Arg): Uint8Array {
  const data = result.value instanceof Uint8Array ? result.value : undefined;
  const total = 32 + (data ? align8(data.length + 1) : 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x3152564d, true);
  view.setUint32(4, status, true);
  view.setUint32(8, total, true);
  bytes[16] = TAGS[result.type];
  if (data) {
    bytes.set(data, 32);
    view.setUint32(20, data.length, true);
    view.setBigUint64(24, OUTPUT_ADDRESS + 32n, true);
  } else {
    view.setBigUint64(24, BigInt.asUintN(64, result.value as bigint), true);
  }
  return bytes;
}

export function abortRecord(code: number, message: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(16 + message.length + 1);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x4241564d, true);
  view.setInt32(4, code, true);
  view.setUint32(8, message.length, true);
  bytes.set(message, 16);
  return bytes;
}

const withSelector = (selector: number, record: Uint8Array, pad = 0): Uint8Array => {
  const out = new Uint8Array(1 + record.length + pad);
  out[0] = selector;
  out.set(record, 1);
  return out;
};

const argArbitrary: fc.Arbitrary<Arg> = fc.oneof(
  fc.record({ type: fc.constantFrom<Tag>('i32', 'u32', 'i64', 'u64', 'f32', 'f64', 'bool'), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) as fc.Arbitrary<bigint | Uint8Array> }),
  fc.record({ type: fc.constant<Tag>('string'), value: fc.oneof<fc.Arbitrary<Uint8Array>[]>(fc.string({ unit: 'binary' }).map((s) => new Uint8Array(Buffer.from(s.replace(/\0/g, ''), 'utf8'))), fc.uint8Array({ maxLength: 40 })) }),
  fc.record({ type: fc.constant<Tag>('bytes'), value: fc.uint8Array({ maxLength: 64 }) }),
);

/** Well-formed (and nearly well-formed) records of every kind, with the selector byte of the records target. */
export function structuredRecords(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc
      .record({ name: fc.oneof(fc.constant('HostPrint'), fc.string({ unit: 'binary', maxLength: 20 })), args: fc.array(argArbitrary, { maxLength: 17 }), ret: fc.nat(11), pad: fc.nat(64) })
      .map(({ name, args, ret, pad }) => withSelector(0, hostCallRecord(name.replace(/\0/g, ''), args, ret), pad)),
    fc.record({ status: fc.nat(3), result: argArbitrary, ret: fc.nat(9), pad: fc.nat(64) }).map(({ status, result, ret, pad }) => withSelector(1 + 3 * ret, returnRecord(status, result), pad)),
    fc.record({ code: fc.integer(), message: fc.uint8Array({ maxLength: 80 }), pad: fc.nat(64) }).map(({ code, message, pad }) => withSelector(2, abortRecord(code, message), pad)),
  );
}

function recordSeeds(): Seed[] {
  const text = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
  const whole = (bytes: Uint8Array): [number, number][] => [[0, bytes.length]];
  const list: [string, Uint8Array][] = [
    ['hostprint', withSelector(0, hostCallRecord('HostPrint', [{ type: 'string', value: text('Hello, World!\n') }], 1), 32)],
    ['hostcall-mixed', withSelector(0, hostCallRecord('Mixed', [
      { type: 'i32', value: 5n }, { type: 'f64', value: 0x400921fb54442d18n }, { type: 'string', value: text('héllo') },
      { type: 'bytes', value: Uint8Array.of(1, 2, 3) }, { type: 'bool', value: 1n }, { type: 'u64', value: 2n ** 64n - 1n },
    ], 8))],
    ['return-i32', withSelector(1 + 3 * 1, returnRecord(0, { type: 'i32', value: 42n }))],
    ['return-string', withSelector(1 + 3 * 8, returnRecord(0, { type: 'string', value: text('a result') }))],
    ['return-bytes', withSelector(1 + 3 * 9, returnRecord(0, { type: 'bytes', value: Uint8Array.of(9, 8, 7) }))],
    ['return-error', withSelector(1, returnRecord(1, { type: 'string', value: text('unknown function Nope') }))],
    ['abort', withSelector(2, abortRecord(3, text('assertion failed: x > 0')), 16)],
  ];
  return list.map(([name, bytes]) => ({ name, bytes, hot: whole(bytes) }));
}

// --- launch configurations --------------------------------------------------------------------

/** Launch configurations and converter calls as JSON text: every field with right and wrong values. */
export function structuredLaunch(context: TargetContext): fc.Arbitrary<Uint8Array> {
  const scratch = context.scratch ?? launchScratch();
  const guest = context.launchGuest ?? '';
  const fifo = path.join(scratch, 'fifo');
  const paths = fc.oneof(
    fc.constantFrom(guest, path.relative(scratch, guest), scratch, path.join(scratch, 'missing.elf'), path.join(scratch, 'not-elf.txt'),
      path.join(scratch, 'empty'), fifo, '/dev/null', '', ' ', '.', path.join(ROOT, 'test', 'fixtures', 'host-functions', 'host-add.js')),
    fc.stringMatching(/^[a-z0-9._-]{0,12}$/),
  );
  const anyJson = fc.jsonValue({ maxDepth: 2 });
  const value = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: anyJson });
  const config = fc.record(
    {
      type: fc.constant('microvm'),
      request: fc.constant('launch'),
      program: value(paths),
      function: value(fc.oneof(fc.constantFrom('Add', 'PrintOutput', 'EchoBytes', 'Nope', ''), fc.string({ maxLength: 12 }))),
      args: value(fc.array(anyJson, { maxLength: 4 })),
      stopOnEntry: value(fc.boolean()),
      timeoutMs: value(fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, 1, 2 ** 31, 2 ** 31 + 1))),
      memorySize: value(fc.oneof(fc.integer(), fc.constantFrom(0, 4096, 4095, 256 * 1024 * 1024, 256 * 1024 * 1024 + 4096))),
      crashDumpDir: value(fc.oneof(fc.constantFrom(path.join(scratch, 'crashes'), path.join(scratch, 'not-elf.txt'), fifo, ''), fc.stringMatching(/^[a-z0-9._-]{1,12}$/))),
      hostFunctions: value(paths),
      coreDump: value(paths),
      cwd: value(fc.constantFrom(scratch, path.join(scratch, 'missing'), '')),
    },
    { requiredKeys: [] },
  );
  const types = fc.array(fc.constantFrom('i32', 'u32', 'i64', 'u64', 'f32', 'f64', 'bool', 'string', 'bytes'), { maxLength: 6 });
  const converter = fc.record({ paramTypes: types, args: fc.array(anyJson, { maxLength: 6 }), text: fc.string({ unit: 'binary', maxLength: 60 }) }, { requiredKeys: ['paramTypes'] });
  return fc.oneof(config, converter, anyJson).map((v) => new Uint8Array(Buffer.from(JSON.stringify(v) ?? 'null', 'utf8')));
}

/** The scratch folder's files: a non-ELF, an empty file and a FIFO (reading one would block). */
export function prepareLaunchScratch(scratch: string): void {
  fs.writeFileSync(path.join(scratch, 'not-elf.txt'), 'not an ELF\n');
  fs.writeFileSync(path.join(scratch, 'empty'), '');
  const fifo = path.join(scratch, 'fifo');
  if (!fs.existsSync(fifo)) {
    try {
      require('node:child_process').execFileSync('mkfifo', [fifo]);
    } catch {
      // no mkfifo: no FIFO among the paths
    }
  }
}

// --- per target -------------------------------------------------------------------------------

const isDebug = (name: string) => name.startsWith('.debug_') || name.startsWith('.zdebug_');
const isCfi = (name: string) => name === '.eh_frame' || name === '.eh_frame_hdr' || name === '.debug_frame';

export interface TargetSeeds {
  readonly seeds: Seed[];
  readonly context: TargetContext;
}

export function seedsFor(target: string): TargetSeeds {
  switch (target) {
    case 'elf':
      return {
        seeds: elfSeeds([...guestElfPaths(), ...dwarfElfPaths()], (name, type) =>
          type === elfConstants.SHT_SYMTAB || type === elfConstants.SHT_STRTAB || type === elfConstants.SHT_NOTE || type === elfConstants.SHT_DYNSYM || name === '.microvm.functions' || isDebug(name)),
        context: {},
      };
    case 'dwarf':
      return { seeds: elfSeeds(dwarfElfPaths(), (name, type) => isDebug(name) || type === elfConstants.SHT_SYMTAB), context: {} };
    case 'cfi':
      return { seeds: elfSeeds([...guestElfPaths(), ...dwarfElfPaths()], (name) => isCfi(name)), context: {} };
    case 'disasm':
      return { seeds: elfSeeds([...guestElfPaths().slice(0, 4), ...dwarfElfPaths().slice(0, 4)], (name, type) => name === '.text' || type === elfConstants.SHT_SYMTAB || name === '.debug_line'), context: {} };
    case 'core': {
      const cores = coreSeedPaths().map((p) => read(p));
      const all = [...cores, syntheticCore()];
      const guest = fs.existsSync(CORE_GUEST()) ? read(CORE_GUEST()) : undefined;
      return { seeds: all.map((bytes, i) => ({ name: i < cores.length ? `core ${i}` : 'synthetic core', bytes, hot: coreRegions(bytes) })), context: { guestElf: guest } };
    }
    case 'wasm': {
      const modules = [...filesIn(path.join(ROOT, 'test', 'wasm-guests', 'build'), '.wasm').map((p) => ({ name: path.relative(ROOT, p), bytes: read(p) })), { name: 'handmade', bytes: handmadeModule() }];
      return { seeds: modules.map((m) => ({ ...m, hot: [[0, m.bytes.length] as const] })), context: {} };
    }
    case 'records':
      return { seeds: recordSeeds(), context: {} };
    case 'launch': {
      const scratch = launchScratch();
      prepareLaunchScratch(scratch);
      const guest = guestElfPaths().find((p) => path.basename(p).startsWith('types-')) ?? guestElfPaths()[0];
      return { seeds: [], context: { launchGuest: guest, scratch } };
    }
    default:
      throw new Error(`no seeds for ${target}`);
  }
}

/** Seed files of the native targets, written to build-fuzz/seeds/<target>/ for libFuzzer. */
export function writeNativeSeeds(target: string): string {
  const dir = path.join(WORK, 'seeds', target);
  fs.mkdirSync(dir, { recursive: true });
  if (target === 'guest_image') {
    for (const p of [...guestElfPaths(), ...dwarfElfPaths().filter((f) => path.basename(f).startsWith('guest-'))]) {
      fs.copyFileSync(p, path.join(dir, path.basename(p)));
    }
  } else if (target === 'host_print') {
    const text = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
    const samples = ['Hello, World! I am executing inside of a VM :)\n', 'héllo wörld ✓ 𝄞', '', 'x'.repeat(300)];
    samples.forEach((s, i) => {
      const record = hostCallRecord('HostPrint', [{ type: 'string', value: text(s) }], 1);
      const buffer = new Uint8Array(record.length + 64);
      buffer.set(record);
      fs.writeFileSync(path.join(dir, `hostprint-${i}`), buffer);
    });
    fs.writeFileSync(path.join(dir, 'utf8-edges'), Buffer.from([0xc2, 0x80, 0xe0, 0xa0, 0x80, 0xed, 0x9f, 0xbf, 0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf]));
  }
  return dir;
}
