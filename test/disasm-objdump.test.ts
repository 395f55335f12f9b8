// Acceptance test of `microvm disasm` against `objdump -d -M intel`: for gcc -O0/-O2 and clang
// -O0/-O2 builds of a multi-file C program (test/fixtures/unwind/chain.c + leaf.c, a Linux
// executable with crt and PLT code) and of our guests, every instruction objdump prints in every
// executable section must be in our listing at the same address, with the same length and the
// same mnemonic, and we must print nothing objdump does not (except inside the runs of zero bytes
// objdump elides as "...").
//
// Normalised in the comparison (formatting, not decoding, differences):
//  - prefixes are dropped from the mnemonic: objdump writes segment and operand-size prefixes
//    that do nothing in 64-bit mode as words (`cs nop`, `data16 cs nop`, `ds jmp`), iced folds
//    them into the operands or leaves them out; lock/rep/bnd/notrack/rex prefixes likewise;
//  - string instructions: objdump `stos`/`movs`/`lods`/`scas`/`cmps` with explicit operands,
//    iced `stosq` etc. with the size in the mnemonic: the size letter is dropped on both sides;
//  - objdump `movabs` is iced `mov` (the 64-bit immediate/moffs form).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ElfFile } from '../native/lib/elf';
import { disassembleElf } from '../debug-adapter/engine/disasm';
import { main } from '../bin/cli/main';
import { objdump, skipWithoutTools } from './support/oracles';
import { buildChain } from './fixtures/unwind/gdb-oracle';
import { buildTestGuest } from './guests/build-guests';

interface Line {
  readonly address: bigint;
  readonly length: number;
  readonly mnemonic: string;
  readonly text: string;
}

const PREFIX = /^(cs|ds|ss|es|fs|gs|data16|data32|addr16|addr32|lock|rep|repe|repz|repne|repnz|bnd|notrack|xacquire|xrelease|rex(\.[wrxb]+)?)$/i;
const STRING_OPS = /^(stos|lods|movs|scas|cmps|ins|outs)[bwdq]?$/;

export function normaliseMnemonic(text: string): string {
  const tokens = text.trim().split(/\s+/);
  let i = 0;
  while (i < tokens.length - 1 && PREFIX.test(tokens[i])) i++;
  let mnemonic = (tokens[i] ?? '').toLowerCase();
  if (PREFIX.test(mnemonic)) return mnemonic; // a lone prefix byte
  const string = STRING_OPS.exec(mnemonic);
  if (string) mnemonic = string[1];
  if (mnemonic === 'movabs') mnemonic = 'mov';
  return mnemonic;
}

interface Objdump {
  readonly instructions: Line[];
  /** [start, end) runs objdump printed as "..." (zero bytes it skips). */
  readonly skipped: { start: bigint; end: bigint }[];
}

function objdumpListing(file: string): Objdump {
  const text = objdump(['-d', '-w', '-M', 'intel', file]);
  const instructions: Line[] = [];
  const skipped: { start: bigint; end: bigint }[] = [];
  let pendingSkip: bigint | undefined;
  for (const line of text.split('\n')) {
    const m = /^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$/.exec(line);
    if (m) {
      const address = BigInt(`0x${m[1]}`);
      if (pendingSkip !== undefined) {
        skipped.push({ start: pendingSkip, end: address });
        pendingSkip = undefined;
      }
      const length = m[2].trim().split(' ').length;
      instructions.push({ address, length, mnemonic: normaliseMnemonic(m[3]), text: m[3].trim() });
      continue;
    }
    if (/^\s*\.\.\.\s*$/.test(line)) {
      const last = instructions[instructions.length - 1];
      pendingSkip = last ? last.address + BigInt(last.length) : 0n;
    } else if (/^\S.*:$/.test(line) || line.startsWith('Disassembly of section')) {
      if (pendingSkip !== undefined) {
        skipped.push({ start: pendingSkip, end: pendingSkip + 0x100000n }); // to the next symbol/section
        pendingSkip = undefined;
      }
    }
  }
  if (pendingSkip !== undefined) skipped.push({ start: pendingSkip, end: pendingSkip + 0x100000n });
  return { instructions, skipped };
}

function ours(file: string): Line[] {
  const lines: Line[] = [];
  for (const line of disassembleElf(ElfFile.fromFile(file))) {
    if (line.kind !== 'instruction') continue;
    const i = line.instruction;
    lines.push({ address: i.address, length: i.length, mnemonic: normaliseMnemonic(i.mnemonic), text: i.text });
  }
  return lines;
}

function compare(file: string): { instructions: number } {
  const theirs = objdumpListing(file);
  const mine = ours(file);
  const byAddress = new Map(mine.map((l) => [l.address, l]));
  const problems: string[] = [];
  for (const want of theirs.instructions) {
    const got = byAddress.get(want.address);
    if (!got) problems.push(`0x${want.address.toString(16)}: objdump '${want.text}' (${want.length} bytes), we have no instruction here`);
    else if (got.length !== want.length || got.mnemonic !== want.mnemonic) {
      problems.push(`0x${want.address.toString(16)}: objdump '${want.text}' (${want.length} bytes), we '${got.text}' (${got.length} bytes)`);
    }
  }
  const theirAddresses = new Set(theirs.instructions.map((l) => l.address));
  for (const got of mine) {
    if (theirAddresses.has(got.address)) continue;
    if (theirs.skipped.some((s) => got.address >= s.start && got.address < s.end)) continue;
    problems.push(`0x${got.address.toString(16)}: we '${got.text}', objdump has no instruction here`);
  }
  assert.equal(problems.length, 0, `${file}: ${problems.length} differences\n${problems.slice(0, 40).join('\n')}`);
  assert.ok(theirs.instructions.length > 0);
  return { instructions: theirs.instructions.length };
}

const OBJDUMP_SKIP = skipWithoutTools(['objdump', 'gcc', 'clang']);

describe('microvm disasm agrees with objdump -d -M intel', { skip: OBJDUMP_SKIP }, () => {
  for (const cc of ['gcc', 'clang'] as const) {
    for (const level of ['0', '2'] as const) {
      test(`chain.c + leaf.c, ${cc} -O${level} -g (Linux executable)`, () => {
        compare(buildChain({ cc, flags: [`-O${level}`, '-g'] }));
      });
      test(`chain.c + leaf.c, ${cc} -O${level} -static (with glibc)`, () => {
        compare(buildChain({ cc, flags: [`-O${level}`, '-static'] }));
      });
      for (const guest of ['faults', 'types'] as const) {
        test(`${guest} guest, ${cc} -O${level}`, () => {
          compare(buildTestGuest(guest, { cc, optimize: level }));
        });
      }
    }
  }
});

describe('microvm disasm', () => {
  const run = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(['disasm', ...args], { out: (t) => void (out += t), err: (t) => void (err += t), cwd: process.cwd() });
    return { code, out, err };
  };

  test('prints function headers, source headers and symbolized calls like objdump -d -l', { skip: OBJDUMP_SKIP }, async () => {
    const elf = buildChain({ cc: 'gcc', flags: ['-O0', '-g'] });
    const { code, out } = await run(elf, '--function', 'many_live');
    assert.equal(code, 0);
    assert.match(out, /^Disassembly of section \.text:$/m);
    assert.match(out, /^[0-9a-f]{16} <many_live>:$/m);
    assert.match(out, /^many_live\(\):$/m);
    assert.match(out, /^\/.*leaf\.c:14$/m);
    assert.match(out, /^\s+[0-9a-f]+: (?:[0-9a-f]{2} )+\s*call 0x[0-9a-f]+ <d>$/m);
    assert.match(out, /# 0x[0-9a-f]+ <sink>$/m);
    assert.doesNotMatch(out, /<d>:$/m, 'only the function asked for');
    const plain = await run(elf, '--function', 'many_live', '--no-lines');
    assert.doesNotMatch(plain.out, /leaf\.c/);
  });

  test('--range, --section and --syntax att', { skip: OBJDUMP_SKIP }, async () => {
    const elf = buildChain({ cc: 'gcc', flags: ['-O0'] });
    const all = await run(elf, '--section', '.text');
    const addresses = [...all.out.matchAll(/^\s+([0-9a-f]+): /gm)].map((m) => BigInt(`0x${m[1]}`));
    const [a, b] = [addresses[3], addresses[6]];
    const some = await run(elf, '--range', `0x${a.toString(16)}-0x${b.toString(16)}`);
    assert.deepEqual([...some.out.matchAll(/^\s+([0-9a-f]+): /gm)].map((m) => BigInt(`0x${m[1]}`)), addresses.slice(3, 6));
    const att = await run(elf, '--function', 'main', '--syntax', 'att');
    assert.match(att.out, /push %rbp/);
  });

  test('usage errors exit 2', async () => {
    assert.equal((await run('/bin/true', '--range', '0x10')).code, 2);
    assert.equal((await run('/bin/true', '--syntax', 'masm')).code, 2);
    assert.equal((await run('/nonexistent.elf')).code, 1);
    assert.equal((await run('/bin/true', '--function', 'no_such_function_here')).code, 1);
  });
});
