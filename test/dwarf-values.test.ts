// Types and values of globals against gdb, which prints them from the ELF file alone: `whatis`,
// `ptype` and `print` of every global of the DWARF test program (values.c exercises strings,
// escapes, repeats, the 200-element limit, floats of every width, inf/nan, enums and flag enums,
// bitfields, nested and anonymous aggregates, and pointers to data, strings and functions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ElfFile, elfConstants as C } from '../native/lib/elf';
import { DebugInfo } from '../debug-adapter/engine/dwarf';
import { buildFixture, CORE_BUILDS, EXTRA_BUILDS } from './fixtures/dwarf/builds';
import { requireTools, runTool } from './support/oracles';

requireTools(['gcc', 'clang', 'gdb']);

// The shapes.c globals first: gdb resolves 'shapes.c'::greeting to its definition only before
// other units' declarations of it (incomplete `const char []`) have been read.
const GLOBALS = [
  'global_counter', 'greeting', 'global_shapes', 'sink', 'text_escapes', 'blob', 'negative_chars', 'repeated', 'eleven_a', 'all_nul', 'one_char', 'not_terminated', 'long_text', 'matrix',
  'numbers', 'mostly_zero', 'counting', 'grid', 'shorts', 'ushorts', 'ulls', 'lls', 'longs', 'ulongs', 'floats', 'doubles',
  'ldoubles', 'specials', 'fspecials', 'bools', 'colors', 'perms', 'flag_values', 'nested_value', 'string_pointers',
  'const_string', 'mutable_string', 'byte_pointer', 'int_pointer', 'null_pointer', 'function_table', 'single_function',
  'void_pointer', 'code_pointer', 'shape_pointer', 'answer', 'volatile_value', 'typedef_shape',
];

const SHAPES_GLOBALS = new Set(['global_counter', 'greeting', 'global_shapes', 'sink']);
const fileOf = (name: string): string => (SHAPES_GLOBALS.has(name) ? 'shapes.c' : 'values.c');

/** gdb -batch on the file: for each name (looked up in its defining file), whatis, ptype and print. */
function gdbGlobals(elf: string): Map<string, { whatis: string; ptype: string; print: string }> {
  const args = ['-nx', '-batch', '-ex', 'set width 0', '-ex', 'set height 0'];
  for (const name of GLOBALS) {
    for (const command of ['whatis', 'ptype', 'print']) args.push('-ex', `echo @@${command} ${name}\\n`, '-ex', `${command} '${fileOf(name)}'::${name}`);
  }
  const result = runTool('gdb', [...args, elf], { env: { LC_ALL: 'C' } });
  const out = new Map<string, { whatis: string; ptype: string; print: string }>();
  for (const part of `${result.stdout}`.split('@@').slice(1)) {
    const newline = part.indexOf('\n');
    const [command, name] = part.slice(0, newline).split(' ');
    const body = part.slice(newline + 1).replace(/\n$/, '').replace(/^(type = |\$\d+ = )/, '');
    const entry = out.get(name) ?? { whatis: '', ptype: '', print: '' };
    entry[command as 'whatis' | 'ptype' | 'print'] = body;
    out.set(name, entry);
  }
  return out;
}

// -ffunction-sections with --gc-sections and LTO drop the unused globals this test prints.
const builds = [...CORE_BUILDS, ...EXTRA_BUILDS].filter((b) => !b.name.includes('sections') && !b.name.includes('lto'));

for (const build of builds) {
  test(`whatis, ptype and print of every global equal gdb: ${build.name}`, () => {
    const path = buildFixture(build);
    const expected = gdbGlobals(path);
    const elf = ElfFile.fromFile(path);
    const info = new DebugInfo(elf);
    const globals = info.globals();
    const readMemory = (address: bigint, length: number): Uint8Array | undefined => {
      const bytes = elf.bytesAt(address, length);
      if (bytes) return bytes;
      const bss = elf.sections.find((s) => s.type === C.SHT_NOBITS && (s.flags & C.SHF_ALLOC) !== 0n && address >= s.addr && address + BigInt(length) <= s.addr + s.size);
      return bss ? new Uint8Array(length) : undefined;
    };
    const frame = { pc: 0n, readRegister: () => undefined, readMemory };
    const problems: string[] = [];
    for (const name of GLOBALS) {
      const gdb = expected.get(name);
      assert.ok(gdb, `gdb said nothing about ${name}`);
      const named = globals.filter((v) => v.name === name);
      const variable = named.find((v) => v.unit.name?.endsWith(fileOf(name))) ?? named.find((v) => v.declFile?.endsWith(fileOf(name))) ?? named[0];
      if (!variable) {
        problems.push(`${name}: not among the globals`);
        continue;
      }
      const value = info.variableValue(variable, frame);
      if (variable.typeName !== gdb.whatis) problems.push(`whatis ${name}:\n  gdb:  ${gdb.whatis}\n  mine: ${variable.typeName}`);
      if (info.ptype(variable.type) !== gdb.ptype) problems.push(`ptype ${name}:\n  gdb:  ${gdb.ptype}\n  mine: ${info.ptype(variable.type)}`);
      if (value.printText !== gdb.print) problems.push(`print ${name}:\n  gdb:  ${gdb.print}\n  mine: ${value.printText}`);
    }
    assert.deepEqual(problems, []);
  });
}
