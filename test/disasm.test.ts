// The Disassembler API (iced-x86 underneath): formatting like objdump -M intel, symbolized branch
// targets and RIP-relative operands, AT&T syntax, instruction kinds, bad bytes, limits, disposal;
// and the bundled `microvm disasm` (iced-x86 must load from node_modules, not from the bundle).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Disassembler, formatSymbolReference, type Symbolizer } from '../debug-adapter/engine/disasm';

const code = Uint8Array.from([
  0x55, // push rbp
  0x48, 0x89, 0xe5, // mov rbp,rsp
  0x8b, 0x05, 0x10, 0x00, 0x00, 0x00, // mov eax,DWORD PTR [rip+0x10]
  0xe8, 0x07, 0x00, 0x00, 0x00, // call +7
  0x74, 0x02, // je +2
  0xff, 0xd0, // call rax
  0xc3, // ret
  0x0f, 0x0b, // ud2
  0x48, // a lone REX prefix at the end: not a whole instruction
]);

const symbols: Symbolizer = (address) => {
  if (address >= 0x401000n && address < 0x401020n) return { name: 'foo', offset: address - 0x401000n };
  if (address === 0x404010n) return { name: 'counter', offset: 0n };
  return undefined;
};

describe('Disassembler', () => {
  test('Intel syntax like objdump, with symbols', () => {
    const d = new Disassembler({ symbolize: symbols });
    try {
      const out = d.disassemble(code, 0x401000n);
      assert.deepEqual(out.map((i) => [Number(i.address - 0x401000n), i.length]), [[0, 1], [1, 3], [4, 6], [10, 5], [15, 2], [17, 2], [19, 1], [20, 2], [22, 1]]);
      assert.deepEqual(out.map((i) => i.text), [
        'push rbp',
        'mov rbp,rsp',
        'mov eax,DWORD PTR [rip+0x10]        # 0x40101a <foo+0x1a>',
        'call 0x401016 <foo+0x16>',
        'je 0x401013 <foo+0x13>',
        'call rax',
        'ret',
        'ud2',
        '(bad)',
      ]);
      assert.deepEqual(out.map((i) => i.kind), ['other', 'other', 'other', 'call', 'conditional-jump', 'indirect-call', 'return', 'exception', 'exception']);
      assert.equal(out[3].branchTarget, 0x401016n);
      assert.equal(out[2].memoryTarget, 0x40101an);
      assert.equal(out[8].valid, false);
      assert.deepEqual([...out[1].bytes], [0x48, 0x89, 0xe5]);
      // The formatter and instruction are reused: a second call gives the same result.
      assert.deepEqual(d.disassemble(code, 0x401000n).map((i) => i.text), out.map((i) => i.text));
      assert.equal(d.disassemble(code, 0x401000n, { maxInstructions: 2 }).length, 2);
      assert.deepEqual(d.disassemble(new Uint8Array(0), 0n), []);
    } finally {
      d.dispose();
    }
    assert.throws(() => d.disassemble(code, 0n), /disposed/);
    d.dispose(); // twice is harmless
  });

  test('AT&T syntax', () => {
    const d = new Disassembler({ syntax: 'att' });
    try {
      assert.deepEqual(d.disassemble(code.subarray(0, 4), 0x1000n).map((i) => i.text), ['push %rbp', 'mov %rsp,%rbp']);
    } finally {
      d.dispose();
    }
  });

  test('symbol references', () => {
    assert.equal(formatSymbolReference({ name: 'main', offset: 0n }), '<main>');
    assert.equal(formatSymbolReference({ name: 'main', offset: 0x1fn }), '<main+0x1f>');
  });

  const root = path.join(__dirname, '..', '..');
  test('the bundled CLI disassembles (iced-x86 is loaded from node_modules)', { skip: fs.existsSync(path.join(root, 'dist', 'cli.js')) ? false : 'dist/cli.js not built' }, () => {
    const run = spawnSync(process.execPath, [path.join(root, 'bin', 'microvm.js'), 'disasm', process.execPath, '--range', '0x0-0x1'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const help = spawnSync(process.execPath, [path.join(root, 'bin', 'microvm.js'), 'disasm', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: microvm disasm/);
  });
});
