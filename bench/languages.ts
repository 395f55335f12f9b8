// Guests in other languages beside C, in the same run: the rust-hello and wasm-c-hello templates'
// warm PrintOutput beside c-hello's (targets: Rust ≤ 1.1× C, Wasm ≤ 2× C), the translation of the
// Wasm module (Wasm → C, then C → guest ELF, from an empty cache) and the cold start of a module
// the cache already holds.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sandbox } from '../native/lib';
import { HELLO_MESSAGE, summarise, type TimingSummary } from '../native/lib/server';
import { wasmGuest } from '../native/lib/wasm';
import { buildGuest, newGuestProject, repoRoot } from '../guest-templates/toolchain';

export interface WasmResults {
  /** PrintOutput(HELLO) + restore, callSync: c-hello, rust-hello and wasm-c-hello, measured in turn. */
  readonly warm_c: TimingSummary;
  readonly warm_wasm: TimingSummary;
  /** Absent when no usable rustc was found (then `rust_skipped` says why). */
  readonly warm_rust?: TimingSummary;
  readonly rust_skipped?: string;
  /** Translating wasm-c-hello.wasm into C, and compiling that C (with the C SDK) into a guest ELF, from an empty cache. */
  readonly translate_ms: number;
  readonly compile_ms: number;
  /** Sandbox.create(module.wasm) with the translation cached + PrintOutput + dispose. */
  readonly cold_cached: TimingSummary;
}

/** Builds a template into build/bench/<output file>; the reason when its toolchain is missing. */
function buildTemplate(template: string): { file: string } | { skipped: string } {
  const project = path.join(repoRoot(), 'build', 'bench', `${template}-${process.pid}`);
  fs.rmSync(project, { recursive: true, force: true });
  try {
    newGuestProject(template, project);
    const built = buildGuest(project).elfPath;
    const file = path.join(repoRoot(), 'build', 'bench', path.basename(built));
    fs.copyFileSync(built, file);
    return { file };
  } catch (error) {
    return { skipped: `${template} could not be built: ${(error as Error).message.split('\n')[0]}` };
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
}

/** Builds wasm-c-hello (clang for wasm32); the reason when the toolchain is missing. */
export function buildWasmHello(): { wasm: string } | { skipped: string } {
  const built = buildTemplate('wasm-c-hello');
  return 'skipped' in built ? built : { wasm: built.file };
}

/** Builds rust-hello; the reason when no usable rustc is there. */
export function buildRustHello(): { elf: string } | { skipped: string } {
  const built = buildTemplate('rust-hello');
  return 'skipped' in built ? built : { elf: built.file };
}

export function measureWasm(cHello: string, wasm: string, rust: { elf: string } | { skipped: string }, options: { iterations: number; coldIterations: number }): WasmResults {
  // Translation from scratch: a private, empty cache.
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-bench-wasm-'));
  let translate_ms: number;
  let compile_ms: number;
  try {
    const fresh = wasmGuest(fs.readFileSync(wasm), { file: wasm, cacheDir: cache });
    assert.ok(fresh.built);
    ({ translateMs: translate_ms, compileMs: compile_ms } = fresh);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }

  const c = Sandbox.create(cHello);
  const w = Sandbox.create(wasm);
  const r = 'elf' in rust ? Sandbox.create(rust.elf) : undefined;
  const warmC: number[] = [];
  const warmWasm: number[] = [];
  const warmRust: number[] = [];
  const timed = (sandbox: Sandbox, into: number[], keep: boolean) => {
    const start = process.hrtime.bigint();
    sandbox.callSync('PrintOutput', HELLO_MESSAGE);
    if (keep) into.push(Number(process.hrtime.bigint() - start) / 1000);
  };
  try {
    assert.equal(w.callSync('PrintOutput', HELLO_MESSAGE).output, HELLO_MESSAGE);
    if (r) assert.equal(r.callSync('PrintOutput', HELLO_MESSAGE).output, HELLO_MESSAGE);
    // The languages in turn, so that drift of the machine weighs on each alike.
    const warmup = Math.max(1, Math.floor(options.iterations / 10));
    for (let i = 0; i < warmup + options.iterations; i++) {
      timed(c, warmC, i >= warmup);
      if (r) timed(r, warmRust, i >= warmup);
      timed(w, warmWasm, i >= warmup);
    }
  } finally {
    c.dispose();
    w.dispose();
    r?.dispose();
  }

  const cold: number[] = [];
  for (let i = 0; i < options.coldIterations + 1; i++) {
    const t0 = process.hrtime.bigint();
    const sandbox = Sandbox.create(wasm);
    try {
      sandbox.callSync('PrintOutput', HELLO_MESSAGE);
    } finally {
      sandbox.dispose();
    }
    if (i > 0) cold.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return {
    warm_c: summarise(warmC),
    warm_wasm: summarise(warmWasm),
    ...('elf' in rust ? { warm_rust: summarise(warmRust) } : { rust_skipped: rust.skipped }),
    translate_ms,
    compile_ms,
    cold_cached: summarise(cold),
  };
}
