// The unwinder against gdb: C programs (gcc/clang, -O0/-O2, with and without frame pointers,
// .debug_frame only, frame pointers only, static, PIE and static-pie) stopped in gdb deep inside a
// call chain (main -> a -> recurse x4 -> b -> c -> with_alloca -> many_live -> d). From gdb's
// registers and stack dump, unwind() must find exactly gdb's physical frames: the same pc and CFA
// (gdb's "frame at") in the same order, through libc to _start, where `.cfi_undefined rip` ends it.
// gdb also shows frames it synthesises (inline frames, tail-call frames from DW_TAG_call_site);
// those are not physical frames and are left out of the comparison. gdb gives its outermost frame
// no frame id ("frame at 0x0"); only its pc is compared.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ElfFile, SymbolTable } from '../native/lib/elf';
import { unwind, type PhysicalFrame, type UnwindResult } from '../debug-adapter/engine/unwind';
import { buildChain, describeBuild, stopInGdb, targetOf, type Build, type GdbStop } from './fixtures/unwind/gdb-oracle';
import { hexOrDash, skipWithoutTools } from './support/oracles';

const skip = skipWithoutTools(['gdb', 'gcc', 'clang']);

const NO_EH = ['-fno-asynchronous-unwind-tables', '-fno-unwind-tables'];

interface Case extends Build {
  /** The program's own functions are unwound through this. */
  readonly expect: 'eh_frame' | 'debug_frame' | 'frame-pointer';
}

const CASES: readonly Case[] = [
  { cc: 'gcc', flags: ['-O0', '-g'], expect: 'eh_frame' },
  { cc: 'gcc', flags: ['-O2', '-g'], expect: 'eh_frame' },
  { cc: 'clang', flags: ['-O0', '-g'], expect: 'eh_frame' },
  { cc: 'clang', flags: ['-O2', '-g'], expect: 'eh_frame' },
  { cc: 'gcc', flags: ['-O2', '-fomit-frame-pointer'], expect: 'eh_frame' },
  { cc: 'gcc', flags: ['-O2', '-fno-omit-frame-pointer'], expect: 'eh_frame' },
  { cc: 'clang', flags: ['-O2', '-fno-omit-frame-pointer'], expect: 'eh_frame' },
  { cc: 'gcc', flags: ['-O0', '-g', ...NO_EH], expect: 'debug_frame' },
  { cc: 'gcc', flags: ['-O2', '-g', ...NO_EH], expect: 'debug_frame' },
  { cc: 'clang', flags: ['-O2', '-g', ...NO_EH], expect: 'debug_frame' },
  { cc: 'gcc', flags: ['-O0', '-fno-omit-frame-pointer', ...NO_EH], expect: 'frame-pointer' },
  { cc: 'clang', flags: ['-O0', '-fno-omit-frame-pointer', ...NO_EH], expect: 'frame-pointer' },
  { cc: 'gcc', flags: ['-O2', '-g', '-static'], expect: 'eh_frame' },
  { cc: 'gcc', flags: ['-O0', '-static-pie'], expect: 'eh_frame' },
  { cc: 'clang', flags: ['-O2', '-no-pie'], expect: 'eh_frame' },
  { cc: 'gcc', flags: ['-O2', '-g', '-fno-omit-frame-pointer', '-static', ...NO_EH], expect: 'debug_frame' },
];

function table(stop: GdbStop, result: UnwindResult): string {
  const ours = result.frames.map((f) => `  #${f.index} pc ${hexOrDash(f.pc)} cfa ${hexOrDash(f.cfa)} ${f.unwoundBy}`).join('\n');
  return `gdb:\n${stop.backtrace}\nours (stop: ${result.stopReason} ${result.error ?? ''}):\n${ours}`;
}

function compare(stop: GdbStop, result: UnwindResult): void {
  const expected = stop.frames.filter((f) => f.normal);
  const context = table(stop, result);
  assert.equal(result.frames.length, expected.length, `frame count\n${context}`);
  expected.forEach((want, i) => {
    const got = result.frames[i];
    assert.equal(hexOrDash(got.pc), hexOrDash(want.pc), `frame ${i} pc\n${context}`);
    if (want.cfa !== undefined) assert.equal(hexOrDash(got.cfa), hexOrDash(want.cfa), `frame ${i} CFA\n${context}`);
  });
  assert.equal(result.stopReason, 'outermost', context);
}

function chainFrames(frames: readonly PhysicalFrame[], program: string): PhysicalFrame[] {
  const symbols = SymbolTable.fromElf(ElfFile.fromFile(program), frames.find((f) => f.module?.elf && program.endsWith(f.module.name))?.module?.loadBias ?? 0n);
  const names = new Set(['d', 'many_live', 'with_alloca', 'c', 'b', 'recurse', 'a']);
  // gcc -O2 moves the trap into d.cold (.text.unlikely).
  return frames.filter((f) => names.has((symbols.functionAt(f.lookupPc)?.name ?? '').replace(/\.cold$/, '')));
}

describe('unwinding C programs stopped in gdb', { skip }, () => {
  for (const build of CASES) {
    for (const stopAt of ['trap', 'entry of d'] as const) {
      test(`${describeBuild(build)}, stopped at the ${stopAt}`, () => {
        const program = buildChain(build);
        const stop = stopInGdb(program, stopAt === 'trap' ? undefined : 'd');
        const { modules, memory } = targetOf(stop);
        const result = unwind(stop.registers, memory, modules);
        compare(stop, result);
        const ours = chainFrames(result.frames, program);
        assert.ok(ours.length >= 9, `the chain's frames are found\n${table(stop, result)}`);
        // How the program's own callers were unwound: by the CFI we expect, or by the rbp chain.
        for (const frame of ours.slice(1)) {
          if (build.expect === 'frame-pointer') assert.equal(frame.unwoundBy, 'frame-pointer', `frame ${frame.index}`);
          else assert.equal(frame.unwoundBy, 'cfi', `frame ${frame.index}`);
        }
        for (const frame of ours) {
          if (build.expect === 'frame-pointer') assert.equal(frame.cfi, undefined, `frame ${frame.index} has no CFI`);
          else assert.equal(frame.cfi?.section, build.expect, `frame ${frame.index} CFI section`);
        }
      });
    }
  }

  test('the .eh_frame_hdr search table and a scan of .eh_frame find the same frames', () => {
    const program = buildChain({ cc: 'gcc', flags: ['-O2', '-g'] });
    const stop = stopInGdb(program);
    const viaHdr = targetOf(stop);
    const viaScan = targetOf(stop, { ignoreEhFrameHdr: true });
    assert.ok(viaHdr.modules.some((m) => m.ehFrameHdr?.searchable), 'the program has a searchable .eh_frame_hdr');
    assert.ok(viaScan.modules.every((m) => m.ehFrameHdr === undefined));
    const a = unwind(stop.registers, viaHdr.memory, viaHdr.modules);
    const b = unwind(stop.registers, viaScan.memory, viaScan.modules);
    assert.deepEqual(b.frames.map((f) => [f.pc, f.cfa]), a.frames.map((f) => [f.pc, f.cfa]));
    compare(stop, b);
  });
});
