// A C guest compiled to WebAssembly ("target": "wasm32"): clang compiles the sources and the Wasm
// SDK's runtime for wasm32, wasm-ld links a module, a second link exports exactly the functions
// the module declares (MV_GUEST_FUNCTION records them; a declaration after the definition cannot
// carry export_name), and the host's translator turns the module into a native guest right away,
// so translation problems show at build time and the first run finds it in the cache.
import fs from 'node:fs';
import path from 'node:path';
import { decodeModule, declaredSignatures, wasmGuest } from '../native/lib/wasm';
import { GuestBuildError, runBuildCommand, type BuildLog } from './build-process';
import type { BuildOptions, BuildResult } from './toolchain';

const WASM_CFLAGS: readonly string[] = ['--target=wasm32', '-std=c11', '-ffreestanding', '-nostdlib', '-g', '-Wall', '-Wextra'];

const MISSING = (cmd: string): string =>
  `C compiler '${cmd}' not found: Wasm guests are compiled with clang (Debian/Ubuntu: sudo apt install clang lld), or name one with --cc`;

/** clang for wasm32: the --cc compiler when it is a clang, else `clang`. */
function wasmCompiler(options: BuildOptions, isClang: (cc: string) => boolean): string {
  const cc = options.cc ?? process.env.MICROVM_CC;
  return cc !== undefined && isClang(cc) ? cc : 'clang';
}

function link(cc: string, args: readonly string[], log: BuildLog): void {
  try {
    runBuildCommand(cc, args, log, { missing: MISSING });
  } catch (error) {
    if (error instanceof GuestBuildError && /wasm-ld/.test(error.message)) {
      throw new GuestBuildError(`${error.message}\nwasm-ld, the WebAssembly linker, is missing: install it (Debian/Ubuntu: sudo apt install lld)`, error.command, error.stderr);
    }
    throw error;
  }
}

export function buildWasmCGuest(
  sources: readonly string[],
  sdk: string,
  outFile: string,
  objDir: string,
  options: BuildOptions,
  isClang: (cc: string) => boolean = (cc) => /clang/.test(path.basename(cc)),
): BuildResult {
  const cc = wasmCompiler(options, isClang);
  const optimize = options.optimize ?? '0';
  fs.rmSync(objDir, { recursive: true, force: true });
  fs.mkdirSync(objDir, { recursive: true });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const log: BuildLog = { commands: [], warnings: [] };
  const cflags = [...WASM_CFLAGS, `-O${optimize}`, `-I${path.join(sdk, 'include')}`, ...(options.extraCflags ?? [])];
  const used = new Set<string>();
  const objects = [...sources, path.join(sdk, 'runtime', 'string.c')].map((src, i) => {
    let name = `${i >= sources.length ? 'microvm-' : ''}${path.basename(src).replace(/\.[^.]+$/, '')}.o`;
    for (let k = 2; used.has(name); k++) name = name.replace(/(-\d+)?\.o$/, `-${k}.o`);
    used.add(name);
    const obj = path.join(objDir, name);
    runBuildCommand(cc, [...cflags, '-c', src, '-o', obj], log, { missing: MISSING });
    return obj;
  });
  const linkFlags = ['--target=wasm32', '-nostdlib', '-Wl,--no-entry'];
  // First link: which functions does the module declare?
  const probe = path.join(objDir, 'declarations.wasm');
  link(cc, [...linkFlags, ...objects, '-o', probe], log);
  const declared = declaredSignatures(decodeModule(fs.readFileSync(probe), probe)).map((s) => s.name);
  link(cc, [...linkFlags, ...declared.map((name) => `-Wl,--export=${name}`), ...objects, '-o', outFile], log);
  const guest = wasmGuest(fs.readFileSync(outFile), { file: outFile, cc: options.cc });
  log.warnings.push(...guest.warnings);
  return { elfPath: outFile, commands: log.commands, warnings: log.warnings };
}
