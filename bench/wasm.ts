// The Wasm row: the wasm-c-hello template's warm PrintOutput beside c-hello's in the same run
// (target: Wasm ≤ 2× C), the translation of the module (Wasm → C, then C → guest ELF, from an
// empty cache) and the cold start of a module the cache already holds.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sandbox } from '../native/lib';
import { HELLO_MESSAGE, summarise, type TimingSummary } from '../native/lib/server';
import { wasmGuest } from '../native/lib/wasm';
import { buildGuest, newGuestProject, repoRoot } from '../guest-templates/toolchain';

export interface WasmResults {
  /** PrintOutput(HELLO) + restore, callSync: c-hello and wasm-c-hello, measured alternately. */
  readonly warm_c: TimingSummary;
  readonly warm_wasm: TimingSummary;
  /** Translating wasm-c-hello.wasm into C, and compiling that C (with the C SDK) into a guest ELF, from an empty cache. */
  readonly translate_ms: number;
  readonly compile_ms: number;
  /** Sandbox.create(module.wasm) with the translation cached + PrintOutput + dispose. */
  readonly cold_cached: TimingSummary;
}

/** Builds wasm-c-hello (clang for wasm32); undefined with the reason when the toolchain is missing. */
export function buildWasmHello(): { wasm: string } | { skipped: string } {
  const project = path.join(repoRoot(), 'build', 'bench', `wasm-c-hello-${process.pid}`);
  fs.rmSync(project, { recursive: true, force: true });
  try {
    newGuestProject('wasm-c-hello', project);
    const built = buildGuest(project).elfPath;
    const wasm = path.join(repoRoot(), 'build', 'bench', 'wasm-c-hello.wasm');
    fs.copyFileSync(built, wasm);
    return { wasm };
  } catch (error) {
    return { skipped: `wasm-c-hello could not be built: ${(error as Error).message.split('\n')[0]}` };
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
}

export function measureWasm(cHello: string, wasm: string, options: { iterations: number; coldIterations: number }): WasmResults {
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
  const warmC: number[] = [];
  const warmWasm: number[] = [];
  try {
    assert.equal(w.callSync('PrintOutput', HELLO_MESSAGE).output, HELLO_MESSAGE);
    // C and Wasm alternately, so that drift of the machine weighs on both alike.
    const warmup = Math.max(1, Math.floor(options.iterations / 10));
    for (let i = 0; i < warmup + options.iterations; i++) {
      let start = process.hrtime.bigint();
      c.callSync('PrintOutput', HELLO_MESSAGE);
      if (i >= warmup) warmC.push(Number(process.hrtime.bigint() - start) / 1000);
      start = process.hrtime.bigint();
      w.callSync('PrintOutput', HELLO_MESSAGE);
      if (i >= warmup) warmWasm.push(Number(process.hrtime.bigint() - start) / 1000);
    }
  } finally {
    c.dispose();
    w.dispose();
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
  return { warm_c: summarise(warmC), warm_wasm: summarise(warmWasm), translate_ms, compile_ms, cold_cached: summarise(cold) };
}
