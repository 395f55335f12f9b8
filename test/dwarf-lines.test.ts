// Line number programs against llvm-dwarfdump: every row (address, line, column, file, ISA,
// discriminator, flags) of every line program of gcc and clang output, DWARF 4 and 5, -O0..-O2,
// Linux executables and guests, compressed or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ElfFile } from '../native/lib/elf';
import { DwarfFile, decodeLineProgram } from '../debug-adapter/engine/dwarf';
import { CORE_BUILDS, EXTRA_BUILDS, fixturesBuiltBefore } from './fixtures/dwarf/builds';
import { llvmLineTables } from './fixtures/dwarf/oracles';
import { requireTools } from './support/oracles';

requireTools(['gcc', 'clang', 'llvm-dwarfdump']);
const builds = [...CORE_BUILDS, ...EXTRA_BUILDS];
const paths = fixturesBuiltBefore(builds);

for (const build of builds) {
  test(`line rows equal llvm-dwarfdump --debug-line: ${build.name}`, () => {
    const path = paths.get(build.name) as string;
    const expected = llvmLineTables(path);
    const dwarf = DwarfFile.fromElf(ElfFile.fromFile(path));
    const offsets = new Set(dwarf.units.map((u) => u.stmtList).filter((o): o is number => o !== undefined));
    assert.deepEqual([...offsets].sort((a, b) => a - b), [...expected.keys()].sort((a, b) => a - b), 'line program offsets');
    let rows = 0;
    for (const unit of dwarf.units) {
      if (unit.stmtList === undefined) continue;
      const program = decodeLineProgram(dwarf.sections, unit.stmtList, { addressSize: unit.addressSize });
      const actual = program.rows.map((r) => ({
        address: r.address,
        line: r.line,
        column: r.column,
        file: r.file,
        isa: r.isa,
        discriminator: r.discriminator,
        flags: [
          ...(r.isStmt ? ['is_stmt'] : []),
          ...(r.basicBlock ? ['basic_block'] : []),
          ...(r.endSequence ? ['end_sequence'] : []),
          ...(r.prologueEnd ? ['prologue_end'] : []),
          ...(r.epilogueBegin ? ['epilogue_begin'] : []),
        ].sort(),
      }));
      assert.deepEqual(actual, expected.get(unit.stmtList), `rows of the line program at ${unit.stmtList} (${unit.name})`);
      rows += actual.length;
    }
    assert.ok(rows > 100, `compared ${rows} rows`);
  });
}
