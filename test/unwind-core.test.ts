// The unwinder on our guests' crash dumps: a fault three calls deep (Nested3 -> Level1 -> Level2 ->
// Level3, which reads address 0) is written to an ELF core; unwinding from the core's registers
// through its PT_LOAD memory, with the guest ELF's CFI, must give gdb's `bt` of the same core: same
// pcs and CFAs down to the guest entry point, whose `.cfi_undefined rip` ends the stack.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { MicroVmError, Sandbox } from '../native/lib';
import { readCoreStatus } from '../native/lib/coredump';
import { ElfFile, SymbolTable } from '../native/lib/elf';
import { coreLoadBias } from '../debug-adapter/engine/postmortem';
import { CfiModule, ElfSegmentMemory, LayeredMemory, unwind } from '../debug-adapter/engine/unwind';
import { buildTestGuest } from './guests/build-guests';
import { needsKvm, toolEnv } from './support/kvm';

const hex = (n: bigint | undefined) => (n === undefined ? '-' : `0x${n.toString(16)}`);

interface GdbFrame {
  readonly pc: bigint;
  readonly cfa?: bigint;
  readonly name: string;
}

/** gdb's frames of a core: pc and "frame at" of each, through `info frame` on every level. */
function gdbFrames(elf: string, core: string): GdbFrame[] {
  const bt = execFileSync('gdb', ['-batch', '-nx', '-ex', 'bt', elf, core], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: toolEnv() });
  const levels = new Set([...bt.matchAll(/^#(\d+)\s/gm)].map((m) => Number(m[1])));
  const commands = [...levels].sort((a, b) => a - b).flatMap((n) => ['-ex', `frame ${n}`, '-ex', 'info frame']);
  const text = execFileSync('gdb', ['-batch', '-nx', ...commands, elf, core], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: toolEnv() });
  const frames: GdbFrame[] = [];
  for (const block of text.split(/^Stack level /m).slice(1)) {
    const m = /^(\d+), frame at (0x[0-9a-f]+):\n\s*rip = (0x[0-9a-f]+)(?: in (\S+))?/.exec(block);
    assert.ok(m, `info frame output:\n${block}`);
    const cfa = BigInt(m[2]);
    frames[Number(m[1])] = { pc: BigInt(m[3]), cfa: cfa === 0n ? undefined : cfa, name: m[4] ?? '??' };
  }
  return frames;
}

function faultCore(elf: string, dir: string): string {
  const sandbox = Sandbox.create(elf, { crashDumpDir: dir });
  try {
    sandbox.callSync('Nested3');
  } catch (error) {
    assert.ok(error instanceof MicroVmError && error.crashDumpPath, String(error));
    return error.crashDumpPath;
  } finally {
    sandbox.dispose();
  }
  assert.fail('Nested3 returned');
}

describe('unwinding guest crash dumps', { skip: needsKvm }, () => {
  for (const [cc, optimize] of [['gcc', '0'], ['gcc', '2'], ['clang', '0'], ['clang', '2']] as const) {
    test(`faults.c (${cc} -O${optimize}): Nested3's core unwinds like gdb's bt`, () => {
      const elfPath = buildTestGuest('faults', { cc, optimize });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-unwind-core-'));
      try {
        const corePath = faultCore(elfPath, dir);
        const core = ElfFile.fromFile(corePath);
        const elf = ElfFile.fromFile(elfPath);
        const status = readCoreStatus(core);
        const loadBias = coreLoadBias(elf, core);
        const module = new CfiModule(elf, { name: path.basename(elfPath), loadBias });
        const memory = new LayeredMemory([new ElfSegmentMemory(core), new ElfSegmentMemory(elf, loadBias)]);
        const result = unwind(status.registers, memory, [module]);

        const expected = gdbFrames(elfPath, corePath);
        const symbols = SymbolTable.fromElf(elf, loadBias);
        const ours = result.frames.map((f) => `#${f.index} ${hex(f.pc)} cfa ${hex(f.cfa)} ${symbols.functionAt(f.lookupPc)?.name ?? '??'} (${f.unwoundBy})`);
        const theirs = expected.map((f, i) => `#${i} ${hex(f.pc)} cfa ${hex(f.cfa)} ${f.name}`);
        const context = `ours (${result.stopReason}):\n${ours.join('\n')}\ngdb:\n${theirs.join('\n')}`;
        assert.equal(result.frames.length, expected.length, context);
        expected.forEach((want, i) => {
          assert.equal(hex(result.frames[i].pc), hex(want.pc), `frame ${i} pc\n${context}`);
          if (want.cfa !== undefined) assert.equal(hex(result.frames[i].cfa), hex(want.cfa), `frame ${i} CFA\n${context}`);
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
