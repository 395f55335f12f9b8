// The unwinder on our guests' crash dumps: a fault three calls deep (Nested3 -> Level1 -> Level2 ->
// Level3, which reads address 0) is written to an ELF core; unwinding from the core's registers
// through its PT_LOAD memory, with the guest ELF's CFI, must give gdb's `bt` of the same core: same
// pcs and CFAs down to the guest entry point, whose `.cfi_undefined rip` ends the stack.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { readCoreStatus } from '../native/lib/coredump';
import { ElfFile, SymbolTable } from '../native/lib/elf';
import { coreLoadBias } from '../debug-adapter/engine/postmortem';
import { CfiModule, ElfSegmentMemory, LayeredMemory, unwind } from '../debug-adapter/engine/unwind';
import { buildTestGuest, COMPILER_MATRIX } from './guests/build-guests';
import { crashDump, needsKvm } from './support/kvm';
import { gdbBacktrace, gdbBatch, hexOrDash } from './support/oracles';

interface GdbFrame {
  readonly pc: bigint;
  readonly cfa?: bigint;
  readonly name: string;
}

/** gdb's frames of a core: pc and "frame at" of each, through `info frame` on every level. */
function gdbFrames(elf: string, core: string): GdbFrame[] {
  const levels = gdbBacktrace(elf, core).map((line) => Number(/^#(\d+)/.exec(line)![1]));
  const text = gdbBatch([elf, core], levels.flatMap((n) => [`frame ${n}`, 'info frame']));
  const frames: GdbFrame[] = [];
  for (const block of text.split(/^Stack level /m).slice(1)) {
    const m = /^(\d+), frame at (0x[0-9a-f]+):\n\s*rip = (0x[0-9a-f]+)(?: in (\S+))?/.exec(block);
    assert.ok(m, `info frame output:\n${block}`);
    const cfa = BigInt(m[2]);
    frames[Number(m[1])] = { pc: BigInt(m[3]), cfa: cfa === 0n ? undefined : cfa, name: m[4] ?? '??' };
  }
  return frames;
}

describe('unwinding guest crash dumps', { skip: needsKvm }, () => {
  for (const { cc, optimize } of COMPILER_MATRIX) {
    test(`faults.c (${cc} -O${optimize}): Nested3's core unwinds like gdb's bt`, () => {
      const elfPath = buildTestGuest('faults', { cc, optimize });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-unwind-core-'));
      try {
        const corePath = crashDump(elfPath, dir, 'Nested3');
        const core = ElfFile.fromFile(corePath);
        const elf = ElfFile.fromFile(elfPath);
        const status = readCoreStatus(core);
        const loadBias = coreLoadBias(elf, core);
        const module = new CfiModule(elf, { name: path.basename(elfPath), loadBias });
        const memory = new LayeredMemory([new ElfSegmentMemory(core), new ElfSegmentMemory(elf, loadBias)]);
        const result = unwind(status.registers, memory, [module]);

        const expected = gdbFrames(elfPath, corePath);
        const symbols = SymbolTable.fromElf(elf, loadBias);
        const ours = result.frames.map((f) => `#${f.index} ${hexOrDash(f.pc)} cfa ${hexOrDash(f.cfa)} ${symbols.functionAt(f.lookupPc)?.name ?? '??'} (${f.unwoundBy})`);
        const theirs = expected.map((f, i) => `#${i} ${hexOrDash(f.pc)} cfa ${hexOrDash(f.cfa)} ${f.name}`);
        const context = `ours (${result.stopReason}):\n${ours.join('\n')}\ngdb:\n${theirs.join('\n')}`;
        assert.equal(result.frames.length, expected.length, context);
        expected.forEach((want, i) => {
          assert.equal(hexOrDash(result.frames[i].pc), hexOrDash(want.pc), `frame ${i} pc\n${context}`);
          if (want.cfa !== undefined) assert.equal(hexOrDash(result.frames[i].cfa), hexOrDash(want.cfa), `frame ${i} CFA\n${context}`);
        });
        assert.equal(result.stopReason, 'outermost', context);
        const names = result.frames.map((f) => symbols.functionAt(f.lookupPc)?.name);
        assert.deepEqual(names.slice(0, 4), ['Level3', 'Level2', 'Level1', 'Nested3'], context);
        assert.ok(result.frames.slice(1).every((f) => f.unwoundBy === 'cfi'), context);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
