// Rust guests end to end: `microvm new rust-hello`, `microvm build` (rustc, no cargo), `microvm
// run` of every template function (a host print, computations, a panic as GUEST_ABORT with its
// message and file:line, a null dereference whose core `microvm core` reads exactly as gdb's
// `bt`), the function table, the manifest's Rust fields, and what a missing or old rustc says.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GuestBuildError, buildGuest, listTemplates, newGuestProject, readManifest } from '../guest-templates/toolchain';
import { rustSkip } from './guests/build-rust-guests';
import { needsKvm } from './support/kvm';
import { gdbBacktrace } from './support/oracles';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'microvm.js');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-rust-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function cli(args: readonly string[], cwd = scratch): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('the rust-hello template', () => {
  test('is listed, with a Rust manifest whose defaults are filled in', () => {
    assert.ok(listTemplates().includes('rust-hello'));
    assert.ok(listTemplates().includes('c-hello'));
    const manifest = readManifest(path.join(ROOT, 'guest-templates', 'rust-hello'));
    assert.deepEqual(
      { language: manifest.language, sources: manifest.sources, crateName: manifest.crateName, edition: manifest.edition, rustflags: manifest.rustflags },
      { language: 'rust', sources: ['src/main.rs'], crateName: 'rust_hello', edition: '2021', rustflags: [] },
    );
  });

  test('microvm new vendors both SDKs, in the repository\'s layout', () => {
    const dir = path.join(scratch, 'layout');
    newGuestProject('rust-hello', dir);
    for (const file of ['microvm.json', 'Cargo.toml', 'src/main.rs', 'microvm-sdk/c/include/microvm.h', 'microvm-sdk/c/microvm.ld', 'microvm-sdk/rust/src/lib.rs', 'microvm-sdk/rust/Cargo.toml']) {
      assert.ok(fs.existsSync(path.join(dir, file)), `${file} is vendored`);
    }
    // The template's Cargo.toml finds the SDK crate where it was vendored.
    assert.match(fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf8'), /microvm = \{ path = "microvm-sdk\/rust" \}/);
  });
});

describe('rust manifests', () => {
  const write = (name: string, manifest: Record<string, unknown>): string => {
    const dir = path.join(scratch, `manifest-${name}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'microvm.json'), JSON.stringify(manifest));
    return dir;
  };

  test('Rust-only fields are refused on a C guest, and checked on a Rust one', () => {
    assert.throws(() => readManifest(write('c-edition', { name: 'x', language: 'c', sources: ['a.c'], edition: '2021' })), /field "edition" is only for Rust guests/);
    assert.throws(() => readManifest(write('bad-edition', { name: 'x', language: 'rust', sources: ['src/main.rs'], edition: '2020' })), /field "edition" must be one of 2015, 2018, 2021, 2024/);
    assert.throws(() => readManifest(write('bad-crate', { name: 'x', language: 'rust', sources: ['src/main.rs'], crateName: 'my-crate' })), /field "crateName" must be a Rust identifier/);
    assert.throws(() => readManifest(write('bad-name', { name: '9 lives', language: 'rust', sources: ['src/main.rs'] })), /field "name" of a Rust guest must make a crate name/);
    assert.throws(() => readManifest(write('fortran', { name: 'x', language: 'fortran', sources: ['a.f'] })), /field "language" must be "c" or "rust", got "fortran"/);
  });
});

describe('rustc checks', () => {
  let project: string;
  before(() => {
    project = path.join(scratch, 'toolcheck');
    newGuestProject('rust-hello', project);
  });

  test('a missing rustc names the packages to install', () => {
    assert.throws(
      () => buildGuest(project, { rustc: path.join(scratch, 'no-such-rustc') }),
      (e: unknown) => e instanceof GuestBuildError && /Rust compiler '.*no-such-rustc' not found: install Rust 1\.81 or newer \(Debian 12: sudo apt install rustc-web;/.test(e.message),
    );
  });

  test('a rustc older than the SDK needs is refused before anything is compiled, naming rustc-web', () => {
    const old = path.join(scratch, 'rustc-1.63');
    fs.writeFileSync(old, '#!/bin/sh\necho "rustc 1.63.0"\n', { mode: 0o755 });
    assert.throws(
      () => buildGuest(project, { rustc: old }),
      (e: unknown) => e instanceof GuestBuildError && /rustc 1\.63\.0 is too old for the Rust guest SDK, which needs rustc 1\.81 or newer \(Debian 12's rustc package is 1\.63: install rustc-web instead/.test(e.message),
    );
    assert.equal(fs.existsSync(path.join(project, 'build', 'obj')), false, 'nothing was compiled');
  });
});

describe('rust-hello built and run through the CLI', { skip: needsKvm || rustSkip }, () => {
  let dir: string;
  let elf: string;
  before(() => {
    assert.equal(cli(['new', 'rust-hello', 'r']).status, 0);
    dir = path.join(scratch, 'r');
    const built = cli(['build', 'r']);
    assert.equal(built.status, 0, built.stderr);
    const lines = built.stdout.trim().split('\n');
    elf = lines[lines.length - 1];
    assert.equal(elf, path.join(dir, 'build', 'rust-hello.elf'));
    assert.ok(lines.some((l) => /^\$ \S*rustc\S* --crate-name rust_hello --crate-type bin .* -C debuginfo=2 -C opt-level=0 /.test(l)), 'the rustc command is printed, with debug info');
  });

  test('the function table lists the declared functions with the C type tokens', () => {
    const listed = cli(['functions', elf]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(listed.stdout.trim().split('\n').sort(), [
      'Add(i32, i32) -> i32', 'DerefNull() -> i32', 'Fibonacci(u32) -> u64', 'Panic(string) -> i32', 'PrintOutput(string) -> i32',
    ]);
  });

  test('PrintOutput prints through HostPrint; Fibonacci and Add compute', () => {
    const printed = cli(['run', elf, 'PrintOutput', 'Hello']);
    assert.equal(printed.status, 0, printed.stderr);
    assert.equal(printed.stdout, 'Hello\n=> 5\n');
    assert.equal(cli(['run', elf, 'PrintOutput', 'h\u00e9llo \u{1f980}']).stdout, 'h\u00e9llo \u{1f980}\n=> 11\n');
    assert.equal(cli(['run', elf, 'Fibonacci', '90']).stdout, '=> 2880067194370816120\n');
    assert.equal(cli(['run', elf, 'Add', '40', '2']).stdout, '=> 42\n');
  });

  test('a panic ends the call with GUEST_ABORT, the message and file:line:column', () => {
    const source = path.join(dir, 'src', 'main.rs');
    const line = fs.readFileSync(source, 'utf8').split('\n').findIndex((l) => l.includes('panic!("the guest gave up')) + 1;
    const panicked = cli(['run', elf, 'Panic', 'bad input']);
    assert.equal(panicked.status, 1);
    assert.equal(panicked.stderr, `microvm run: GUEST_ABORT: guest function Panic aborted (code 4): panicked at ${source}:${line}:5: the guest gave up: bad input\n`);
    // Debug builds check arithmetic: an overflow is a panic too, located in the guest's source.
    const overflow = cli(['run', elf, 'Add', '2147483647', '1']);
    assert.match(overflow.stderr, new RegExp(`GUEST_ABORT: guest function Add aborted \\(code 4\\): panicked at ${source.replace(/[.]/g, '\\.')}:\\d+:5: attempt to add with overflow\\n$`));
    // The sandbox is unharmed: the next call works (each call is a fresh restore).
    assert.equal(cli(['run', elf, 'Add', '1', '1']).stdout, '=> 2\n');
  });

  test('the null dereference writes a core whose `microvm core` backtrace is gdb\'s', () => {
    const crashed = cli(['run', elf, 'DerefNull', '--crash-dump-dir', 'crashes'], dir);
    assert.equal(crashed.status, 1);
    assert.match(crashed.stderr, /GUEST_FAULT: guest function DerefNull faulted: null pointer dereference: read of address 0x0 .*crash dump written to /);
    const core = path.join(dir, 'crashes', fs.readdirSync(path.join(dir, 'crashes')).find((f) => f.endsWith('.core'))!);
    const summary = cli(['core', elf, core]);
    assert.equal(summary.status, 0, summary.stderr);
    const ours = summary.stdout.slice(summary.stdout.indexOf('\nBacktrace:\n') + 12).split('\n').filter((l) => l.startsWith('#'));
    const gdb = gdbBacktrace(elf, core);
    assert.deepEqual(ours, gdb);
    // Rust frames by path, the guest's own source, then the shim and the C runtime.
    assert.match(ours[0], /^#0 {2}core::ptr::read_volatile<i32> \(src=0x0\) at .*library\/core\/src\/ptr\/mod\.rs:\d+$/);
    assert.match(ours[1], new RegExp(`^#1 {2}0x[0-9a-f]{16} in rust_hello::deref_null \\(\\) at ${path.join(dir, 'src', 'main.rs')}:\\d+$`));
    assert.match(ours[2], /^#2 {2}0x[0-9a-f]{16} in rust_hello::DerefNull \(\) at .*microvm-sdk\/rust\/src\/function\.rs:\d+$/);
    assert.match(ours[3], / in mv_invoke \(\) at .*microvm-sdk\/c\/runtime\/entry\.S:\d+$/);
  });

  test('a declaration whose types do not match the function does not compile', () => {
    const bad = path.join(scratch, 'mismatch');
    newGuestProject('rust-hello', bad);
    const main = path.join(bad, 'src', 'main.rs');
    fs.writeFileSync(main, fs.readFileSync(main, 'utf8').replace('guest_function!(Fibonacci = fibonacci, u64, u32);', 'guest_function!(Fibonacci = fibonacci, u64, i64);'));
    assert.throws(() => buildGuest(bad), (e: unknown) => e instanceof GuestBuildError && /error\[E0308\]: mismatched types/.test(e.message) && /expected `u32`, found `i64`/.test(e.message));
    fs.writeFileSync(main, fs.readFileSync(main, 'utf8').replace('guest_function!(Fibonacci = fibonacci, u64, i64);', 'guest_function!(Fibonacci = fibonacci, u64, text);'));
    assert.throws(() => buildGuest(bad), /guest_function!: unknown type `text` \(types: void i32 u32 i64 u64 f32 f64 bool string bytes\)/);
  });

  test('optimised builds run too (-O2)', () => {
    const built = cli(['build', 'r', '-O', '2']);
    assert.equal(built.status, 0, built.stderr);
    assert.equal(cli(['run', elf, 'Fibonacci', '50']).stdout, '=> 12586269025\n');
    assert.equal(cli(['run', elf, 'PrintOutput', 'Hi']).stdout, 'Hi\n=> 2\n');
  });
});
