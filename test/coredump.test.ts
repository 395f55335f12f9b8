// The core writer against gdb. A real process is stopped under gdb where our guest would fault
// (ud2 three calls deep); its registers and memory, exactly as gdb saw them, go into buildCoreFile;
// then `gdb prog core` must show the same backtrace, registers and locals as the live session, and
// readelf must list our notes. No KVM involved.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  buildCoreFile, CoreDumpInput, faultNoteDetails, readCoreRegisters, readCoreStatus, readMicroVmNote,
  signalForVector, writeCoreFile, MICROVM_NOTE_NAME, NT_MICROVM_FAULT, PRSTATUS_SIZE, FXSAVE_SIZE,
  SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP,
} from '../native/lib/coredump';
import { ElfFile, elfConstants as C } from '../native/lib/elf';
import type { FpuState, GuestFault, MemoryRegion, Registers, SegmentRegister } from '../native/lib/types';
import { parseFileHeader, parseNotes, parseSegments } from './fixtures/elf/readelf';
import { littleEndianBytes, parseMappings, parseRawFloatRegisters, parseRawRegisters, parseRegisterLines } from './fixtures/elf/gdb';
import { fixture, gcc } from './fixtures/elf/tools';
import { missingTools, readelf, run, runGdb, scratch, section } from './support/oracles';

const work = scratch('core');
after(() => rmSync(work, { recursive: true, force: true }));

function gdbSkipReason(): string | false {
  const missing = missingTools(['gcc', 'gdb', 'readelf']);
  if (missing.length > 0) return `missing tools: ${missing.join(', ')}`;
  const probe = runGdb(['/bin/true'], ['run']);
  if (!/exited normally/.test(probe.output)) return `gdb cannot run a process here: ${probe.output.trim().split('\n').pop()}`;
  return false;
}
const gdbSkip = gdbSkipReason();

// --- synthetic input (no tools needed) ----------------------------------------------------------

function segment(selector: number, base = 0n): SegmentRegister {
  return { selector, base, limit: 0xfffff, type: 11, present: true, dpl: 0, db: false, s: true, l: selector === 0x08, g: true };
}

function filled(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 7) & 0xff);
}

function syntheticRegisters(): Registers {
  const names = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
  const gpr = Object.fromEntries(names.map((n, i) => [n, 0x0f01_0000_0000_0000n * BigInt(i + 1) + BigInt(i)])) as Record<(typeof names)[number], bigint>;
  const fpu: FpuState = {
    fcw: 0x37f, fsw: 0x3800, ftw: 0xc0, fop: 0x1d9, fip: 0x1234_5678_9abcn, fdp: 0xfedc_ba98n, mxcsr: 0x1fa0,
    st: Array.from({ length: 8 }, (_, i) => filled(10, i + 1)),
    xmm: Array.from({ length: 16 }, (_, i) => filled(16, i + 40)),
  };
  return {
    ...gpr, rip: 0x10_2a3bn, rflags: 0x10046n,
    cs: segment(0x08), ds: segment(0x10), es: segment(0x10), ss: segment(0x10), fs: segment(0x10, 0x7000_1000n), gs: segment(0x10, 0x7000_2000n),
    cr0: 0x80010033n, cr2: 0x8n, cr3: 0xa000n, cr4: 0x620n, efer: 0xd00n, fpu,
  };
}

function region(name: string, address: bigint, size: number, perms: string): MemoryRegion {
  return { name, address, size, readable: perms.includes('r'), writable: perms.includes('w'), executable: perms.includes('x') };
}

function syntheticInput(): CoreDumpInput {
  const regions = [
    region('image', 0x100000n, 0x3000, 'rx'),
    region('peb', 0x103000n, 0x1000, 'rw'),
    region('stack', 0x1f0000n, 0x10000, 'rw'),
    region('odd', 0x300000n, 100, 'r'),
  ];
  return {
    guestName: 'c-hello.elf',
    entry: 0x100040n,
    registers: syntheticRegisters(),
    signal: signalForVector(14),
    regions: regions.map((r, i) => ({ region: r, data: filled(r.size, i + 3) })),
    details: {
      vector: 14, mnemonic: '#PF', faultAddress: 0x8n, negative: -0x10n, nothing: undefined,
      hostCalls: [{ function: 'HostPrint', args: ['hi', new Uint8Array([1, 2, 255]), 5n], result: 2 }],
    },
    programHeaders: { address: 0x100040n, count: 4 },
    fault: { vector: 14, errorCode: 4, address: 0x8n },
  };
}

test('signalForVector follows what Linux delivers for each exception', () => {
  assert.equal(signalForVector(14), SIGSEGV); // #PF
  assert.equal(signalForVector(13), SIGSEGV); // #GP
  assert.equal(signalForVector(12), SIGSEGV); // #SS
  assert.equal(signalForVector(8), SIGSEGV); // #DF
  assert.equal(signalForVector(0), SIGFPE); // #DE
  assert.equal(signalForVector(19), SIGFPE); // #XM
  assert.equal(signalForVector(6), SIGILL); // #UD
  assert.equal(signalForVector(3), SIGTRAP); // #BP
  assert.equal(signalForVector(17), SIGBUS); // #AC
  assert.equal(signalForVector(31), SIGSEGV);
  assert.deepEqual([SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV], [4, 5, 7, 8, 11]);
});

test('core layout: ET_CORE, PT_NOTE first, one page-aligned PT_LOAD per region', () => {
  const input = syntheticInput();
  const core = buildCoreFile(input);
  const elf = new ElfFile(core);
  assert.equal(elf.header.type, C.ET_CORE);
  assert.equal(elf.header.machine, C.EM_X86_64);
  assert.equal(elf.sections.length, 0);
  assert.equal(elf.programHeaders.length, 1 + input.regions.length);
  assert.equal(elf.programHeaders[0].type, C.PT_NOTE);
  input.regions.forEach(({ region: r, data }, i) => {
    const ph = elf.programHeaders[i + 1];
    assert.equal(ph.type, C.PT_LOAD);
    assert.equal(ph.vaddr, r.address);
    assert.equal(ph.filesz, BigInt(r.size));
    assert.equal(ph.memsz, BigInt(r.size));
    assert.equal(ph.offset % 4096n, 0n, 'page-aligned file offset');
    assert.equal(ph.flags, (r.readable ? C.PF_R : 0) | (r.writable ? C.PF_W : 0) | (r.executable ? C.PF_X : 0));
    assert.deepEqual(elf.segmentData(ph), data);
    assert.deepEqual(elf.bytesAt(r.address + 5n, 4), data.subarray(5, 9));
  });
  const notes = elf.segmentNotes();
  assert.deepEqual(notes.map((n) => [n.name, n.type, n.desc.length]), [
    ['CORE', C.NT_PRSTATUS, PRSTATUS_SIZE], ['CORE', C.NT_PRPSINFO, 136], ['CORE', C.NT_SIGINFO, 128],
    ['CORE', C.NT_AUXV, 16 * 6], ['CORE', C.NT_FPREGSET, FXSAVE_SIZE], [MICROVM_NOTE_NAME, NT_MICROVM_FAULT, notes[5].desc.length],
  ]);
  // NT_SIGINFO: SIGSEGV, SEGV_MAPERR (error code P bit clear), si_addr = CR2.
  const siginfo = new DataView(notes[2].desc.buffer, notes[2].desc.byteOffset, 128);
  assert.deepEqual([siginfo.getInt32(0, true), siginfo.getInt32(8, true), siginfo.getBigUint64(16, true)], [SIGSEGV, 1, 0x8n]);
});

test('readCoreRegisters and readCoreStatus round-trip the registers, FPU state and auxv', () => {
  const input = syntheticInput();
  const status = readCoreStatus(buildCoreFile(input));
  const r = input.registers;
  const back = status.registers;
  for (const name of ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'rflags'] as const) {
    assert.equal(back[name], r[name], name);
  }
  assert.deepEqual(back.selectors, { cs: 0x08, ss: 0x10, ds: 0x10, es: 0x10, fs: 0x10, gs: 0x10 });
  assert.equal(back.fsBase, r.fs.base);
  assert.equal(back.gsBase, r.gs.base);
  assert.equal(back.origRax, 0xffffffffffffffffn);
  assert.deepEqual(back.fpu, r.fpu);
  assert.equal(status.signal, SIGSEGV);
  assert.equal(status.pid, 1);
  assert.equal(status.programName, 'c-hello.elf');
  assert.equal(status.commandLine, 'c-hello.elf');
  assert.deepEqual([...status.auxv], [[C.AT_PAGESZ, 4096n], [C.AT_PHDR, 0x100040n], [C.AT_PHENT, 56n], [C.AT_PHNUM, 4n], [C.AT_ENTRY, 0x100040n]]);
  assert.deepEqual(readCoreRegisters(buildCoreFile(input)), back);
  // pr_fname holds up to 16 bytes (gdb compares them with the executable's name), pr_psargs 79.
  const long = readCoreStatus(buildCoreFile({ ...input, guestName: 'dir/a-sixteen-char.elf', commandLine: 'x'.repeat(100) }));
  assert.equal(long.programName, 'a-sixteen-char.e');
  assert.equal(long.commandLine, 'x'.repeat(79));
});

test('readMicroVmNote round-trips the JSON payload, bigints as hex strings', () => {
  const note = readMicroVmNote(buildCoreFile(syntheticInput()));
  assert.deepEqual(note, {
    vector: 14, mnemonic: '#PF', faultAddress: '0x8', negative: '-0x10',
    hostCalls: [{ function: 'HostPrint', args: ['hi', { $bytes: '0102ff' }, '0x5'], result: 2 }],
  });
  const fault: GuestFault = {
    vector: 13, mnemonic: '#GP', exceptionName: 'general protection', errorCode: 0, rip: 0x100123n,
    registers: syntheticRegisters(), backtrace: [0x100123n, 0x100200n], functionName: 'Crash', stackOverflow: false,
    nullDereference: false, description: 'general protection fault at RIP 0x100123 in Crash',
  };
  const details = faultNoteDetails(fault, { call: 'guest function Crash', hostCalls: [{ function: 'HostPrint', args: ['x'], result: 1, durationUs: 3 }] });
  const back = readMicroVmNote(buildCoreFile({ ...syntheticInput(), details }));
  assert.deepEqual(back, {
    noteVersion: 1, abiVersion: 1, call: 'guest function Crash', vector: 13, mnemonic: '#GP', exception: 'general protection',
    errorCode: 0, rip: '0x100123', function: 'Crash', description: 'general protection fault at RIP 0x100123 in Crash',
    stackOverflow: false, nullDereference: false, backtrace: ['0x100123', '0x100200'],
    controlRegisters: { cr0: '0x80010033', cr2: '0x8', cr3: '0xa000', cr4: '0x620', efer: '0xd00' },
    hostCalls: [{ function: 'HostPrint', args: ['x'], result: 1, durationUs: 3 }],
  });
});

test('writeCoreFile creates directories and writes atomically the same bytes buildCoreFile gives', () => {
  const input = syntheticInput();
  const dir = join(work, 'nested', 'dumps');
  const path = join(dir, 'guest.core');
  writeCoreFile(path, input);
  assert.deepEqual(new Uint8Array(readFileSync(path)), buildCoreFile(input));
  assert.deepEqual(readdirSync(dir), ['guest.core'], 'no temporary file left behind');
  writeCoreFile(path, { ...input, details: { again: true } }); // replaces an existing file
  assert.deepEqual(readMicroVmNote(readFileSync(path)), { again: true });
});

test('bad regions are rejected before anything is written', () => {
  const input = syntheticInput();
  const short = { ...input, regions: [{ region: input.regions[0].region, data: new Uint8Array(10) }] };
  assert.throws(() => buildCoreFile(short), /region 'image' at 0x100000: data is 10 bytes but the region is 12288/);
  const overlapping = { ...input, regions: [input.regions[0], { region: region('dup', 0x102000n, 0x1000, 'r'), data: new Uint8Array(0x1000) }] };
  assert.throws(() => buildCoreFile(overlapping), /regions 'image' and 'dup' overlap at 0x102000/);
  const path = join(work, 'never', 'x.core');
  assert.throws(() => writeCoreFile(path, short));
  assert.equal(existsSync(path), false);
});

test('readelf -hlnW reads our core: header, segments and every note', { skip: gdbSkip }, () => {
  const input = syntheticInput();
  const path = join(work, 'readelf.core');
  writeCoreFile(path, input);
  assert.match(parseFileHeader(readelf('-hW', path)).get('Type') ?? '', /^CORE /);
  const segments = parseSegments(readelf('-lW', path));
  assert.equal(segments[0].type, 'NOTE');
  assert.deepEqual(segments.slice(1).map((s) => [s.type, s.vaddr, s.filesz, s.memsz, s.flags]),
    input.regions.map(({ region: r }) => ['LOAD', r.address, BigInt(r.size), BigInt(r.size), `${r.readable ? 'R' : ' '}${r.writable ? 'W' : ' '}${r.executable ? 'E' : ' '}`]));
  const [group, ...rest] = parseNotes(readelf('-nW', path));
  assert.equal(rest.length, 0);
  const note = readMicroVmNote(readFileSync(path));
  assert.deepEqual(group.notes.map((n) => [n.owner, n.size, n.description.split('\t')[0].trim()]), [
    ['CORE', 336, 'NT_PRSTATUS (prstatus structure)'],
    ['CORE', 136, 'NT_PRPSINFO (prpsinfo structure)'],
    ['CORE', 128, 'NT_SIGINFO (siginfo_t data)'],
    ['CORE', 96, 'NT_AUXV (auxiliary vector)'],
    ['CORE', 512, 'NT_FPREGSET (floating point registers)'],
    ['MICROVM', Buffer.byteLength(JSON.stringify(note)), 'Unknown note type: (0x4d560001)'],
  ]);
});

// --- gdb: live process vs our core --------------------------------------------------------------

/** Commands whose output must be identical live and post-mortem. */
const PROBES: readonly (readonly [string, string])[] = [
  ['bt', 'bt'],
  ['rip-rsp', 'info registers rip rsp'],
  ['general', 'info registers rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15 rip eflags cs ss ds es fs gs fs_base gs_base'],
  ['frame0', 'frame 0'], ['locals0', 'info locals'], ['args0', 'info args'], ['c_local', 'p c_local'], ['c_double', 'p c_double'],
  ['frame1', 'frame 1'], ['locals1', 'info locals'], ['b_local', 'p b_local'],
  ['frame2', 'frame 2'], ['locals2', 'info locals'], ['a_buf', 'p a_buf'], ['s', 'p s'],
  ['frame3', 'frame 3'], ['locals3', 'info locals'], ['argv0', 'p argv[0]'],
  ['frame0-again', 'frame 0'],
  ['globals', 'p g_scale'], ['g_counter', 'p g_counter'],
  ['x87', 'info registers st0 st1 st2 fctrl fstat ftag fiseg fioff foseg fooff fop'],
  ['xmm', 'p $xmm1.v2_double'], ['xmm0', 'p/x $xmm0.uint128'], ['xmm15', 'p/x $xmm15.uint128'], ['mxcsr', 'info registers mxcsr'],
  ['code', 'x/2i $pc'],
];

const probeCommands = (): string[] => PROBES.flatMap(([name, command]) => [section(name), command]);

interface LiveStop {
  probes: Map<string, string>;
  input: CoreDumpInput;
  gcorePath: string;
}

function selector(values: Map<string, bigint>, name: string, base = 0n): SegmentRegister {
  return { ...segment(Number(values.get(name) ?? 0n), base), dpl: 3, l: name === 'cs' };
}

/** Abridged FXSAVE tag (1 = valid) from the full x87 tag word gdb shows (3 = empty). */
function abridgedTag(full: number): number {
  let tag = 0;
  for (let i = 0; i < 8; i++) if (((full >> (2 * i)) & 3) !== 3) tag |= 1 << i;
  return tag;
}

function captureLive(program: string, dir: string): LiveStop {
  const gcorePath = join(dir, 'gcore.core');
  const awk = `awk '$1 ~ /^0x/ && $5 ~ /^r/ && $6 !~ /^\\[(vvar|vsyscall)/ { printf "dump binary memory ${dir}/mem-%s.bin %s %s\\n", $1, $1, $2 }' > ${dir}/dump.gdb`;
  const live = runGdb([program], [
    'run',
    ...probeCommands(),
    section('general-all'), 'info registers',
    section('bases'), 'info registers fs_base gs_base',
    section('float'), 'info registers float',
    section('raw'), 'maint print raw-registers',
    section('auxv'), 'info auxv',
    section('mappings'), 'info proc mappings',
    `pipe info proc mappings | ${awk}`,
    `source ${dir}/dump.gdb`,
    `gcore ${gcorePath}`,
    section('end'),
  ]);
  assert.match(live.output, /Program received signal SIGILL, Illegal instruction\./, live.output);
  const get = (name: string): string => {
    const text = live.sections.get(name);
    assert.ok(text !== undefined, `live section ${name} missing:\n${live.output}`);
    return text;
  };

  const gpr = parseRegisterLines(get('general-all'));
  const bases = parseRegisterLines(get('bases'));
  const float = parseRegisterLines(get('float'));
  const st = parseRawFloatRegisters(get('float'));
  const raw = parseRawRegisters(get('raw'));
  const value = (map: Map<string, bigint>, name: string): bigint => {
    const v = map.get(name);
    assert.ok(v !== undefined, `register ${name} not found`);
    return v;
  };
  const num = (name: string): number => Number(value(float, name));
  const fpu: FpuState = {
    fcw: num('fctrl'), fsw: num('fstat'), ftw: abridgedTag(num('ftag')), fop: num('fop'),
    fip: (value(float, 'fiseg') << 32n) | value(float, 'fioff'),
    fdp: (value(float, 'foseg') << 32n) | value(float, 'fooff'),
    mxcsr: Number(BigInt(`0x${raw.get('mxcsr')}`)),
    st: Array.from({ length: 8 }, (_, i) => littleEndianBytes(st.get(`st${i}`) ?? '')),
    xmm: Array.from({ length: 16 }, (_, i) => littleEndianBytes(raw.get(`xmm${i}`) ?? '')),
  };
  const g = (name: string): bigint => value(gpr, name);
  const registers: Registers = {
    rax: g('rax'), rbx: g('rbx'), rcx: g('rcx'), rdx: g('rdx'), rsi: g('rsi'), rdi: g('rdi'), rbp: g('rbp'), rsp: g('rsp'),
    r8: g('r8'), r9: g('r9'), r10: g('r10'), r11: g('r11'), r12: g('r12'), r13: g('r13'), r14: g('r14'), r15: g('r15'),
    rip: g('rip'), rflags: g('eflags'),
    cs: selector(gpr, 'cs'), ds: selector(gpr, 'ds'), es: selector(gpr, 'es'), ss: selector(gpr, 'ss'),
    fs: selector(gpr, 'fs', value(bases, 'fs_base')), gs: selector(gpr, 'gs', value(bases, 'gs_base')),
    cr0: 0n, cr2: 0n, cr3: 0n, cr4: 0n, efer: 0n, fpu,
  };

  const regions = parseMappings(get('mappings'))
    .filter((m) => existsSync(join(dir, `mem-0x${m.start.toString(16)}.bin`)))
    .map((m) => {
      const data = new Uint8Array(readFileSync(join(dir, `mem-0x${m.start.toString(16)}.bin`)));
      const r = region(m.name || 'anonymous', m.start, Number(m.end - m.start), m.perms);
      assert.equal(data.length, r.size, `dump of ${r.name}`);
      return { region: r, data };
    });
  assert.ok(regions.some((r) => r.region.name === '[stack]'), 'the stack was dumped');
  assert.ok(regions.some((r) => r.region.executable && r.region.name === program), 'the code was dumped');

  const auxv = new Map<string, bigint>();
  for (const line of get('auxv').split('\n')) {
    const m = /^\d+\s+(AT_\w+)\s.*\s(0x[0-9a-f]+|\d+)(?:\s+".*")?$/.exec(line);
    if (m) auxv.set(m[1], BigInt(m[2]));
  }
  const entry = auxv.get('AT_ENTRY');
  assert.ok(entry !== undefined, 'AT_ENTRY from info auxv');
  const phdr = auxv.get('AT_PHDR');
  const phnum = auxv.get('AT_PHNUM');

  const probes = new Map(PROBES.map(([name]) => [name, get(name)]));
  return {
    probes,
    gcorePath,
    input: {
      guestName: basename(program), // gdb checks it against the executable's name
      entry,
      registers,
      signal: signalForVector(6),
      regions,
      details: { vector: 6, mnemonic: '#UD', rip: registers.rip },
      programHeaders: phdr !== undefined && phnum !== undefined ? { address: phdr, count: Number(phnum) } : undefined,
      fault: { vector: 6 },
    },
  };
}

function checkAgainstGdb(flags: string[], label: string): void {
  const { program, dir, live } = liveCapture(flags, label);
  for (const [name, text] of live.probes) {
    assert.ok(text.trim().length > 0, `live ${name} printed something`);
    assert.doesNotMatch(text, /No symbol|Cannot access|not available|Invalid/, `live ${name}: ${text}`);
  }
  assert.match(live.probes.get('bt') ?? '', /^#0 +c \(depth=\d+, f=1\.25\) at .*crash\.c:\d+\n#1 +0x[0-9a-f]+ in b \(v=\d+\) at .*\n#2 +0x[0-9a-f]+ in a \(s=0x[0-9a-f]+ ".*crash"\) at .*\n#3 +0x[0-9a-f]+ in main \(argc=1, argv=0x[0-9a-f]+\) at .*\n$/);

  const corePath = join(dir, 'guest.core');
  writeCoreFile(corePath, live.input);
  const post = runGdb([program, corePath], probeCommands());
  assert.match(post.output, /Core was generated by `crash'\./, post.output);
  assert.match(post.output, /Program terminated with signal SIGILL, Illegal instruction\./, post.output);
  assert.doesNotMatch(post.output, /warning|error/i, post.output);
  for (const [name, text] of live.probes) {
    assert.equal(post.sections.get(name), text, `${label}: '${name}' differs between the live process and our core`);
  }

  // Our NT_PRSTATUS / NT_FPREGSET carry what gdb's own gcore wrote for the same stopped process.
  const ours = readCoreStatus(buildCoreFile(live.input));
  const theirs = readCoreStatus(new Uint8Array(readFileSync(live.gcorePath)));
  assert.deepEqual({ ...ours.registers, fpu: undefined }, { ...theirs.registers, fpu: undefined });
  assert.ok(theirs.registers.fpu && ours.registers.fpu);
  assert.deepEqual(ours.registers.fpu, theirs.registers.fpu);
  assert.equal(theirs.signal, SIGILL);
  assert.equal(readMicroVmNote(readFileSync(live.gcorePath)), undefined, 'a gcore core has no MICROVM note');
  // The ELF reader reads gdb's core (which, unlike ours, also has section headers) as readelf does.
  const gcoreElf = ElfFile.fromFile(live.gcorePath);
  assert.deepEqual(gcoreElf.programHeaders.map((p) => [p.type === C.PT_LOAD ? 'LOAD' : p.type === C.PT_NOTE ? 'NOTE' : '?', p.offset, p.vaddr, p.filesz, p.memsz]),
    parseSegments(readelf('-lW', live.gcorePath)).map((s) => [s.type, s.offset, s.vaddr, s.filesz, s.memsz]));
  assert.deepEqual(gcoreElf.segmentNotes().map((n) => [n.name, n.desc.length]),
    parseNotes(readelf('-nW', live.gcorePath)).flatMap((g) => g.notes.map((n) => [n.owner, n.size])));
  assert.deepEqual(readMicroVmNote(readFileSync(corePath)), { vector: 6, mnemonic: '#UD', rip: `0x${live.input.registers.rip.toString(16)}` });
}

test('gdb on our core of a static non-PIE program: same frames, registers and locals as live', { skip: gdbSkip, timeout: 180_000 }, () => {
  checkAgainstGdb(['-g', '-O0', '-static', '-fno-pie', '-no-pie'], 'static');
});

test('gdb on our core of a relocated static-pie program (AT_ENTRY/AT_PHDR locate the image)', { skip: gdbSkip, timeout: 180_000 }, () => {
  checkAgainstGdb(['-g', '-O0', '-static-pie', '-fpie'], 'static-pie');
});

function liveCapture(flags: string[], label: string): { program: string; dir: string; live: LiveStop } {
  const dir = join(work, label);
  run('mkdir', ['-p', dir]);
  const program = gcc(dir, 'crash', [fixture('crash.c')], flags);
  return { program, dir, live: captureLive(program, dir) };
}

test('the comparison is not vacuous: without the stack, or with an unrelocated AT_ENTRY, gdb loses the frames', { skip: gdbSkip, timeout: 180_000 }, () => {
  const fixed = liveCapture(['-g', '-O0', '-static', '-fno-pie', '-no-pie'], 'negative-static');
  const noStack = join(fixed.dir, 'nostack.core');
  writeFileSync(noStack, buildCoreFile({ ...fixed.live.input, regions: fixed.live.input.regions.filter((r) => r.region.name !== '[stack]') }));
  const withoutStack = runGdb([fixed.program, noStack], probeCommands());
  assert.notEqual(withoutStack.sections.get('bt'), fixed.live.probes.get('bt'));
  assert.notEqual(withoutStack.sections.get('locals1'), fixed.live.probes.get('locals1'));

  // A static-pie guest is relocated; gdb finds where from AT_ENTRY. Give it the link-time entry instead.
  const pie = liveCapture(['-g', '-O0', '-static-pie', '-fpie'], 'negative-static-pie');
  const linkTimeEntry = ElfFile.fromFile(pie.program).header.entry;
  assert.notEqual(linkTimeEntry, pie.live.input.entry, 'the live process was relocated');
  const wrong = join(pie.dir, 'wrong-entry.core');
  writeFileSync(wrong, buildCoreFile({ ...pie.live.input, entry: linkTimeEntry, programHeaders: undefined }));
  const unrelocated = runGdb([pie.program, wrong], probeCommands());
  assert.notEqual(unrelocated.sections.get('bt'), pie.live.probes.get('bt'));
  assert.doesNotMatch(unrelocated.sections.get('bt') ?? '', / in b \(v=/);
});
