// Builds the Rust test guests of this directory (rust-types/, a guest project) for the tests.
//
//   import { buildRustTestGuest, rustSkip } from './guests/build-rust-guests';
//   describe('…', { skip: needsKvm || rustSkip }, () => { const elf = buildRustTestGuest('rust-types'); });
//
// ELFs go to test/guests/build/<name>-O<level>.elf (git-ignored) and are reused while they are
// newer than the project's files and both SDKs. Parallel test processes are safe: each builds
// with its own object directory and output name, then renames the result into place.
import fs from 'node:fs';
import path from 'node:path';
import { buildGuest, repoRoot, rustSdkDir, sdkDir, type BuildOptions } from '../../guest-templates/toolchain';
import { findRustc, rustcVersion } from '../../guest-templates/rust-build';
import { testGuestsDir } from './build-guests';

export const RUST_TEST_GUESTS = ['rust-types'] as const;
export type RustTestGuest = (typeof RUST_TEST_GUESTS)[number];

/** `false` when a rustc the SDK accepts is installed, else the reason to pass as `{ skip }`. */
export const rustSkip: string | false = (() => {
  try {
    rustcVersion(findRustc());
    return false;
  } catch (error) {
    const reason = `skipped: ${(error as Error).message}`;
    console.log(reason);
    return reason;
  }
})();

export function rustTestGuestDir(name: RustTestGuest): string {
  return path.join(testGuestsDir(), name);
}

function newestMtime(entry: string): number {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of fs.readdirSync(entry)) if (child !== 'build' && child !== 'target') newest = Math.max(newest, newestMtime(path.join(entry, child)));
  return newest;
}

/** Builds (or reuses) test/guests/<name>/ and returns the ELF path. */
export function buildRustTestGuest(name: RustTestGuest, options: BuildOptions = {}): string {
  const project = rustTestGuestDir(name);
  const level = options.optimize ?? '0';
  const outDir = path.join(testGuestsDir(), 'build');
  const elf = path.join(outDir, `${name}-O${level}.elf`);
  if (fs.existsSync(elf)) {
    const built = fs.statSync(elf).mtimeMs;
    if ([project, sdkDir(), rustSdkDir()].every((input) => newestMtime(input) <= built)) return elf;
  }
  const objDir = path.join(outDir, 'obj', `${name}-O${level}.${process.pid}`);
  try {
    const tmp = buildGuest(project, { ...options, objDir, outFile: path.join(objDir, `${name}.elf`) }).elfPath;
    fs.renameSync(tmp, elf);
  } finally {
    fs.rmSync(objDir, { recursive: true, force: true });
  }
  return elf;
}

/** The repository path of a Rust test guest's source file. */
export function rustTestSource(name: RustTestGuest, file = 'src/main.rs'): string {
  return path.join(repoRoot(), 'test', 'guests', name, file);
}
