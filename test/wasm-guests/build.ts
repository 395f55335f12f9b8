// Builds the Wasm test guests of this directory (C compiled to wasm32 with clang and wasm-ld) for
// the wasm-*.test.ts tests, and says when the toolchain is missing so they can skip. Modules go
// to test/wasm-guests/build/<name>-O<level>.wasm and are reused while newer than their source and
// the Wasm SDK; each build goes to a temporary name first, so parallel test files are safe.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, wasmSdkDir } from '../../guest-templates/toolchain';
import { buildWasmCGuest } from '../../guest-templates/wasm-build';

export function wasmGuestsDir(): string {
  return path.join(repoRoot(), 'test', 'wasm-guests');
}

/** Why Wasm guests cannot be built here (no clang with wasm32, no wasm-ld), or false. */
export function wasmToolchainMissing(): string | false {
  const clang = spawnSync('clang', ['--target=wasm32', '-print-prog-name=wasm-ld'], { encoding: 'utf8' });
  if (clang.error) return 'clang is not installed (sudo apt install clang lld)';
  const ld = (clang.stdout ?? '').trim();
  const found = spawnSync(ld || 'wasm-ld', ['--version'], { encoding: 'utf8' });
  if (found.error) return 'wasm-ld is not installed (sudo apt install lld)';
  return false;
}

function newest(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
    const p = path.join(dir, e.name);
    return Math.max(m, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }, 0);
}

/** The wasm-c-hello template's source. */
export function wasmHelloSource(): string {
  return path.join(repoRoot(), 'guest-templates', 'wasm-c-hello', 'hello.c');
}

/** Builds (or reuses) test/wasm-guests/<name>.c, or the wasm-c-hello template for 'wasm-c-hello'. */
export function buildWasmTestGuest(name: string, optimize: '0' | '2' = '0'): string {
  const source = name === 'wasm-c-hello' ? wasmHelloSource() : path.join(wasmGuestsDir(), `${name}.c`);
  const outDir = path.join(wasmGuestsDir(), 'build');
  const out = path.join(outDir, `${name}-O${optimize}.wasm`);
  if (fs.existsSync(out)) {
    const built = fs.statSync(out).mtimeMs;
    if (built >= fs.statSync(source).mtimeMs && built >= newest(path.join(wasmSdkDir(), 'include')) && built >= newest(path.join(wasmSdkDir(), 'runtime'))) return out;
  }
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = path.join(outDir, `${name}-O${optimize}.${process.pid}.tmp.wasm`);
  const objDir = path.join(outDir, `obj-${name}-O${optimize}-${process.pid}`);
  try {
    buildWasmCGuest([source], wasmSdkDir(), tmp, objDir, { optimize });
    fs.renameSync(tmp, out);
  } finally {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(objDir, { recursive: true, force: true });
  }
  return out;
}
