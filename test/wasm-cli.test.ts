// The microvm CLI on Wasm guests, as a user runs it: the wasm-c-hello template (new, build,
// functions, run, a trap) and a module built by hand with clang.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot, wasmSdkDir } from '../guest-templates/toolchain';
import { needsKvm } from './support/kvm';
import { wasmToolchainMissing } from './wasm-guests/build';

const CLI = path.join(repoRoot(), 'bin', 'microvm.js');

function microvm(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('microvm with Wasm guests', { skip: needsKvm || wasmToolchainMissing() }, () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-wasm-cli-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('new wasm-c-hello, build, functions, run, and a trap', () => {
    const project = path.join(dir, 'w');
    assert.equal(microvm(dir, 'new', 'wasm-c-hello', 'w').status, 0);
    const build = microvm(dir, 'build', 'w');
    assert.equal(build.status, 0, build.stderr);
    const wasm = path.join(project, 'build', 'wasm-c-hello.wasm');
    assert.equal(build.stdout.trim().split('\n').pop(), wasm);
    assert.equal(microvm(dir, 'functions', wasm).stdout, 'PrintOutput(string) -> i32\nFibonacci(u32) -> u64\nAdd(i32, i32) -> i32\nDivide(i32, i32) -> i32\n');
    assert.deepEqual(microvm(dir, 'run', wasm, 'PrintOutput', 'Hello'), { status: 0, stdout: 'Hello\n=> 5\n', stderr: '' });
    assert.equal(microvm(dir, 'run', wasm, 'Fibonacci', '50').stdout, '=> 12586269025\n');
    const source = path.join(project, 'hello.c');
    const line = fs.readFileSync(source, 'utf8').split('\n').findIndex((l) => l.includes('return a / divisor;')) + 1;
    const trap = microvm(dir, 'run', wasm, 'Divide', '1', '0');
    assert.equal(trap.status, 1);
    assert.match(trap.stderr, new RegExp(`^microvm run: WASM_TRAP: guest function Divide: integer divide by zero in Wasm function Divide at ${source.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${line} \\(function \\d+, module offset 0x[0-9a-f]+\\)\n$`));
    assert.equal(fs.existsSync(path.join(dir, 'microvm-crashes')), false, 'a trap writes no core file');
    const json = JSON.parse(microvm(dir, 'run', '--json', wasm, 'Divide', '1', '0').stdout) as { ok: boolean; error: { code: string; function: string } };
    assert.equal(json.ok, false);
    assert.equal(json.error.code, 'WASM_TRAP');
    assert.equal(json.error.function, 'Divide');
  });

  test('a module built by hand with clang', () => {
    const source = path.join(dir, 'x.c');
    fs.writeFileSync(source, '#include "microvm.h"\nint32_t PrintOutput(const char *m) { return HostPrint(m); }\nMV_GUEST_FUNCTION(PrintOutput, i32, string);\n');
    const wasm = path.join(dir, 'x.wasm');
    const clang = spawnSync('clang', ['--target=wasm32', '-nostdlib', '-g', `-I${path.join(wasmSdkDir(), 'include')}`, '-Wl,--no-entry', '-Wl,--export-all', '-o', wasm, source], { encoding: 'utf8' });
    assert.equal(clang.status, 0, clang.stderr);
    assert.deepEqual(microvm(dir, 'run', 'x.wasm', 'PrintOutput', 'Hello'), { status: 0, stdout: 'Hello\n=> 5\n', stderr: '' });
    // Not a module at all: a worded error, exit 1.
    fs.writeFileSync(path.join(dir, 'bad.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x01, 0x05, 0x01]));
    const bad = microvm(dir, 'run', 'bad.wasm', 'PrintOutput', 'Hello');
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr, `microvm run: WASM_INVALID: ${path.join(dir, 'bad.wasm')}: type section, offset 0x8: the type section's size 5 runs past the end of the module (1 bytes left)\n`);
  });
});
