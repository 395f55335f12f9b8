// Variables, types and values against gdb: the Linux builds of the DWARF test program run under
// gdb, stopping at breakpoints across the program; at each stop gdb records registers, a core
// file and every argument and local in scope (name, declaration line, whatis type, value as
// `info locals` prints it) for each frame of the inline group. The engine evaluates the same
// variables from the same registers and memory (the core) and must print the same text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ElfFile } from '../native/lib/elf';
import { DebugInfo, type FrameContext, type FunctionFrame, type Scope, type Variable } from '../debug-adapter/engine/dwarf';
import { buildFixture, CORE_BUILDS, EXTRA_BUILDS, type FixtureBuild } from './fixtures/dwarf/builds';
import { gdbStops, type GdbStop } from './fixtures/dwarf/oracles';
import { requireTools, scratch } from './support/oracles';

requireTools(['gcc', 'clang', 'gdb']);


const BREAKPOINTS = [
  'shapes.c:33', 'shapes.c:43', 'shapes.c:44', 'shapes.c:51', 'shapes.c:57', 'shapes.c:66', 'shapes.c:69',
  'numeric.c:11', 'numeric.c:15', 'numeric.c:25', 'numeric.c:33', 'numeric.c:41', 'numeric.c:56', 'numeric.c:61',
  'strings.c:8', 'strings.c:15', 'strings.c:21', 'strings.c:31', 'linux-main.c:6',
  'factorial', 'accumulate', 'collatz_steps', 'copy_name', 'flags_value', 'reinterpret',
];

function frameContext(stop: GdbStop, core: ElfFile, program: ElfFile, bias: bigint, cfa: bigint | undefined): FrameContext {
  const readMemory = (address: bigint, length: number): Uint8Array | undefined => core.bytesAt(address, length) ?? program.bytesAt(address - bias, length);
  const caller = stop.caller;
  return {
    pc: stop.pc,
    cfa,
    readRegister: (n) => stop.registers.get(n),
    readMemory,
    caller: caller && {
      returnAddress: caller.pc,
      context: { pc: caller.pc - 1n, cfa: caller.cfa, readRegister: (n) => caller.registers.get(n), readMemory },
    },
  };
}

interface Mismatch {
  stop: number;
  frame: string;
  variable: string;
  expected: string;
  actual: string;
}

function compareStops(build: FixtureBuild): { compared: number; mismatches: Mismatch[]; stops: number } {
  const elfPath = buildFixture(build);
  const dir = scratch('dwarf-vars');
  const stops = gdbStops(elfPath, BREAKPOINTS, dir);
  const program = ElfFile.fromFile(elfPath);
  const main = program.symbols().find((s) => s.name === 'main');
  assert.ok(main, 'main symbol');
  const mismatches: Mismatch[] = [];
  let compared = 0;
  for (const [index, stop] of stops.entries()) {
    const bias: bigint = stop.main - main.value;
    const info: DebugInfo = new DebugInfo(program, { loadBias: bias });
    const core = ElfFile.fromFile(stop.core);
    const frames: FunctionFrame[] = info.functionAt(stop.pc);
    assert.deepEqual(
      frames.map((f) => f.name),
      stop.frames.map((f) => f.function),
      `stop ${index} at 0x${stop.pc.toString(16)}: the inline frame chain`,
    );
    const scopes: Scope[] = info.scopesAt(stop.pc);
    const realCfa = stop.frames[stop.frames.length - 1].cfa;
    const ctx = frameContext(stop, core, program, bias, realCfa ? BigInt(realCfa) : undefined);
    for (const [frameIndex, gdbFrame] of stop.frames.entries()) {
      const mine: Variable[] = scopes.filter((s) => s.frame === frameIndex).flatMap((s) => s.variables);
      const remaining = [...mine];
      for (const expected of gdbFrame.variables) {
        const at = remaining.findIndex((v) => v.name === expected.name && (v.declLine ?? 0) === expected.line);
        const where = `stop ${index} (0x${stop.pc.toString(16)}) ${gdbFrame.function}`;
        if (at < 0) {
          mismatches.push({ stop: index, frame: where, variable: `${expected.name}:${expected.line}`, expected: 'in scope', actual: 'missing' });
          continue;
        }
        const [variable] = remaining.splice(at, 1);
        compared++;
        if (variable.typeName !== expected.type) mismatches.push({ stop: index, frame: where, variable: `whatis ${expected.name}`, expected: expected.type, actual: variable.typeName });
        const value = info.variableValue(variable, ctx).text;
        if (value !== expected.value) mismatches.push({ stop: index, frame: where, variable: expected.name, expected: expected.value, actual: value });
      }
      for (const extra of remaining) {
        mismatches.push({ stop: index, frame: `stop ${index} ${gdbFrame.function}`, variable: `${extra.name}:${extra.declLine}`, expected: 'not in scope', actual: 'listed' });
      }
    }
  }
  return { compared, mismatches, stops: stops.length };
}

for (const build of [...CORE_BUILDS, ...EXTRA_BUILDS].filter((b) => b.kind === 'linux' && !b.name.includes('sections'))) {
  test(`variables, types and values equal gdb at every stop: ${build.name}`, (t) => {
    const { compared, mismatches, stops } = compareStops(build);
    t.diagnostic(`${stops} stops, ${compared} variables compared`);
    assert.ok(stops >= 15, `gdb stopped ${stops} times`);
    assert.ok(compared >= 40, `compared ${compared} variables`);
    assert.deepEqual(mismatches, [], `${mismatches.length} mismatches`);
  });
}
