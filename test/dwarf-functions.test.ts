// lineForAddress and functionAt against llvm-symbolizer --verbose on every instruction of .text:
// file, line, column and discriminator of the innermost frame, the chain of inlined functions
// with their declaration lines and call sites, and each function's start address. Both Linux
// executables and guests, gcc and clang, -O0 to -O2, DWARF 4 and 5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DebugInfo } from '../debug-adapter/engine/dwarf';
import { CORE_BUILDS, EXTRA_BUILDS, fixturesBuiltBefore } from './fixtures/dwarf/builds';
import { instructionAddresses, llvmSymbolize } from './fixtures/dwarf/oracles';
import { hex, requireTools } from './support/oracles';

requireTools(['gcc', 'clang', 'objdump', 'llvm-symbolizer']);
const builds = [...CORE_BUILDS, ...EXTRA_BUILDS];
const paths = fixturesBuiltBefore(builds);

for (const build of builds) {
  test(`lineForAddress and functionAt equal llvm-symbolizer on every instruction: ${build.name}`, (t) => {
    const elf = paths.get(build.name) as string;
    const info = DebugInfo.fromFile(elf);
    const addresses = instructionAddresses(elf);
    const expected = llvmSymbolize(elf, addresses);
    assert.equal(expected.length, addresses.length);
    let inlined = 0;
    let withFunction = 0;
    for (const [i, address] of addresses.entries()) {
      const where = `${build.name} ${hex(address)}`;
      const llvm = expected[i];
      const row = info.lineForAddress(address);
      const innermost = llvm[0];
      if (row) {
        assert.deepEqual(
          { file: row.file ?? '??', line: row.line, column: row.column, discriminator: row.discriminator },
          { file: innermost.file, line: innermost.line, column: innermost.column, discriminator: innermost.discriminator },
          `${where}: line`,
        );
      } else {
        // No line row: llvm-symbolizer names at most the STT_FILE symbol's file, line 0.
        assert.equal(innermost.line, 0, `${where}: llvm has a line, the engine none`);
      }
      const frames = info.functionAt(address);
      if (frames.length === 0) {
        assert.equal(llvm.length, 1, `${where}: llvm has inline frames, the engine no function`);
        assert.equal(innermost.startLine, undefined, `${where}: llvm knows a function (${innermost.function}), the engine does not`);
        continue;
      }
      withFunction++;
      if (frames.length > 1) inlined++;
      // llvm-symbolizer names a split-off part (foo.cold, foo.part.0) by its ELF symbol; DWARF
      // (and gdb) name the function it belongs to.
      const llvmNames = llvm.map((f, k) => (k === llvm.length - 1 && f.function.startsWith(`${frames[k]?.name}.`) ? frames[k].name : f.function));
      assert.deepEqual(frames.map((f) => f.name), llvmNames, `${where}: inline chain`);
      for (const [k, frame] of frames.entries()) {
        const l = llvm[k];
        assert.equal(frame.declLine, l.startLine, `${where} frame ${k}: declaration line`);
        const loc = frame.location;
        assert.deepEqual([loc?.file ?? '??', loc?.line ?? 0, loc?.column ?? 0], [l.file, l.line, l.column], `${where} frame ${k}: location`);
        // llvm's "Function start address" is the start of the range holding the address.
        const range = frame.ranges.find((r) => address >= r.low && address < r.high);
        assert.ok(range, `${where} frame ${k}: no range of ${frame.name} holds the address`);
        if (l.startAddress !== undefined) assert.equal(hex(range.low), hex(l.startAddress), `${where} frame ${k}: start address`);
      }
    }
    t.diagnostic(`${addresses.length} instructions, ${withFunction} in functions, ${inlined} in inlined code`);
    assert.ok(withFunction > 200);
    if (build.optimize === '2') assert.ok(inlined > 10, `${inlined} addresses in inlined code`);
  });
}
