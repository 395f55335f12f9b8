// Every input a fuzz target once found a bug with (test/fixtures/fuzz/<target>/) goes through the
// same target function again (scripts/fuzz/targets.ts) and must now end as the target allows: the
// reader's own worded error, or accepted. The native targets' inputs are replayed by libFuzzer in
// `npm run fuzz` (that folder is part of their corpus); a FIFO found by the launch target is
// test/input-files.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DebugInfo } from '../debug-adapter/engine/dwarf';
import { ElfFile } from '../native/lib/elf';
import { runInput, targetNamed, type TargetContext } from '../scripts/fuzz/targets';
import { buildTestGuest } from './guests/build-guests';

const FIXTURES = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'fuzz');

/** The files each TypeScript target needs besides the input, as scripts/fuzz/seeds.ts gives them. */
function contextFor(target: string): TargetContext {
  if (target === 'core') return { guestElf: fs.readFileSync(buildTestGuest('faults', { cc: 'gcc', optimize: '0' })) };
  return {};
}

/** What each regression input must now be refused with, or 'accepted' where the reader now copes with it. */
const EXPECTED: Record<string, RegExp | 'accepted'> = {
  // Was a RangeError (a typed array of length -63): a variable whose type's size is negative.
  'dwarf/negative-object-size.elf': 'accepted',
  'dwarf/negative-object-size-register.elf': 'accepted', // the same, of a variable in a register
  // Was a hang: a DWARF 5 line header with an empty file-entry format and a count of 2^40 entries.
  'dwarf/line-file-count-empty-format.elf': /^\.debug_addr: index 0 \(offset 0x8000002\) is past the end$/,
  // Was a stack overflow (RangeError) in typeName: a type DIE whose DW_AT_type chain loops.
  // Was a stack overflow in formatComposite: a struct whose member is an array of that struct.
  'dwarf/array-of-struct-holding-itself.elf': /^DIE 0x1a9: the const type's DW_AT_type holds the const type itself by value$/,
  'dwarf/pointer-type-cycle.elf': /^DIE 0x3b: its DW_AT_type chain comes back to it without passing a struct, union or enum$/,
  'core/no-prstatus.core': /^the core file has no NT_PRSTATUS note \(no registers\): not a core file of a process$/,
  'core/short-prstatus.core': /^NT_PRSTATUS descriptor is 324 bytes; x86-64 elf_prstatus is 336 \(note at file offset 0x[0-9a-f]+, PT_NOTE segment \d+\)$/,
  'core/note-json-control-character.core': /^the MICROVM note is not valid JSON: .* \(note at file offset 0x[0-9a-f]+, PT_NOTE segment \d+\)$/,
};

/** Problems the DWARF reader must record for a unit (a unit's bad line table is a problem, not an error). */
const UNIT_PROBLEMS: Record<string, RegExp> = {
  'dwarf/line-file-count-empty-format.elf': /^\.debug_line: file count 1976183087651 at offset 0x37 with an empty entry format$/,
};

const nativeTargets = new Set(['guest_image', 'host_print']);
const targets = fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).filter((t) => !nativeTargets.has(t)) : [];

describe('fuzz regressions: inputs that once were findings', () => {
  test('every regression input has its expected error listed here', () => {
    const files = targets.flatMap((t) => fs.readdirSync(path.join(FIXTURES, t)).map((f) => `${t}/${f}`));
    assert.ok(files.length > 0, `no regression inputs under ${FIXTURES}`);
    assert.deepEqual(files.filter((f) => !(f in EXPECTED)), []);
  });

  for (const target of targets) {
    test(`${target}: each input is refused with the reader's own error, or now read`, () => {
      const fuzzTarget = targetNamed(target);
      const context = contextFor(target);
      for (const file of fs.readdirSync(path.join(FIXTURES, target))) {
        const input = new Uint8Array(fs.readFileSync(path.join(FIXTURES, target, file)));
        const outcome = runInput(fuzzTarget, input, context);
        const what = outcome.kind === 'accepted' ? 'accepted' : `${outcome.kind}: ${(outcome.error as Error)?.stack ?? String(outcome.error)}`;
        const expected = EXPECTED[`${target}/${file}`];
        assert.equal(outcome.kind, expected === 'accepted' ? 'accepted' : 'refused', `${target}/${file}: ${what}`);
        if (outcome.kind === 'refused' && expected !== 'accepted') assert.match(outcome.error.message, expected, `${target}/${file}`);
        const problem = UNIT_PROBLEMS[`${target}/${file}`];
        if (problem) {
          const info = new DebugInfo(new ElfFile(input));
          for (const unit of info.units) info.lineTable(unit);
          assert.ok(info.problems.some((p) => problem.test(p.message)), `${target}/${file}: no problem matching ${problem}`);
        }
      }
    });
  }
});
