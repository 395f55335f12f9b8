// The Rust half of a Rust guest build: the SDK crate (sdk/rust) as an rlib, then the guest crate
// as a `no_std`, `no_main` binary that rustc links (through the C compiler) with the C SDK's
// runtime objects and linker script. Plain rustc, no cargo: nothing is fetched, every command is
// printed, and the flags are the same for every project.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GuestBuildError, runBuildCommand, type BuildLog } from './build-process';

/** The oldest rustc the SDK compiles with (PanicInfo::message is 1.81). */
export const MINIMUM_RUSTC: readonly [number, number] = [1, 81];

export interface RustCrateBuild {
  /** The guest crate's root file (absolute). */
  readonly crateRoot: string;
  readonly crateName: string;
  readonly edition: string;
  /** The Rust SDK crate directory (holding src/lib.rs). */
  readonly sdk: string;
  readonly outFile: string;
  /** Where the SDK rlib goes; also rustc's working directory (see below). */
  readonly objDir: string;
  readonly optimize: '0' | '1' | '2' | 's';
  readonly rustc: string;
  /** The C compiler rustc links with. */
  readonly linker: string;
  /** Linker flags and the runtime objects, passed through as `-C link-arg`s. */
  readonly linkArgs: readonly string[];
  readonly rustflags: readonly string[];
}

const INSTALL_HINT =
  'install Rust 1.81 or newer (Debian 12: sudo apt install rustc-web; Debian 13 / Ubuntu 24.04: sudo apt install rustc; or rustup), ' +
  'or name a rustc with MICROVM_RUSTC';

/** rustc to use: $MICROVM_RUSTC, else `rustc` on PATH, else rustup's default ~/.cargo/bin/rustc. */
export function findRustc(explicit?: string): string {
  const chosen = explicit ?? process.env.MICROVM_RUSTC;
  if (chosen) return chosen;
  const onPath = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, 'rustc'));
  const cargoHome = process.env.CARGO_HOME ?? path.join(os.homedir(), '.cargo');
  // VS Code started from a desktop often lacks ~/.cargo/bin on PATH.
  return [...onPath, path.join(cargoHome, 'bin', 'rustc')].find((p) => isExecutable(p)) ?? 'rustc';
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `rustc --version`, checked against MINIMUM_RUSTC; names the package to install otherwise. */
export function rustcVersion(rustc: string): string {
  const result = spawnSync(rustc, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error !== undefined) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GuestBuildError(`Rust compiler '${rustc}' not found: ${INSTALL_HINT}`, `${rustc} --version`, '');
    throw new GuestBuildError(`could not run ${rustc}: ${result.error.message}`, `${rustc} --version`, '');
  }
  const text = (result.stdout ?? '').trim();
  const match = /^rustc (\d+)\.(\d+)\.(\d+)/.exec(text);
  if (result.status !== 0 || !match) {
    throw new GuestBuildError(`${rustc} --version did not print a rustc version (${(result.stderr ?? '').trim() || text || 'no output'}): ${INSTALL_HINT}`, `${rustc} --version`, result.stderr ?? '');
  }
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major < MINIMUM_RUSTC[0] || (major === MINIMUM_RUSTC[0] && minor < MINIMUM_RUSTC[1])) {
    throw new GuestBuildError(
      `${text} is too old for the Rust guest SDK, which needs rustc ${MINIMUM_RUSTC.join('.')} or newer ` +
        `(Debian 12's rustc package is 1.63: install rustc-web instead; or rustup)`,
      `${rustc} --version`,
      '',
    );
  }
  return text;
}

/** Flags of both crates: panics abort the call, debug info for the debugger, frame pointers like the C SDK. */
function commonFlags(build: RustCrateBuild): string[] {
  return [
    '-C', 'panic=abort',
    '-C', 'debuginfo=2',
    '-C', `opt-level=${build.optimize}`,
    '-C', 'force-frame-pointers=yes',
    // An ET_EXEC at 0x100000 needs no position-independent code.
    '-C', 'relocation-model=static',
    // One object per crate: function-table entries and code keep a stable order.
    '-C', 'codegen-units=1',
  ];
}

/** Compiles the SDK rlib and the guest crate, linking the guest ELF. */
export function buildRustCrate(build: RustCrateBuild, log: BuildLog): void {
  const missing = (cmd: string): string => `Rust compiler '${cmd}' not found: ${INSTALL_HINT}`;
  // rustc writes paths under its working directory relative into DWARF, and gdb then prints
  // them relative while the debugger shows absolute ones; from objDir no source is under it.
  const run = { cwd: build.objDir, missing };
  const sdkRoot = path.join(build.sdk, 'src', 'lib.rs');
  if (!fs.existsSync(sdkRoot)) throw new Error(`the Rust SDK in ${build.sdk} is incomplete: src/lib.rs is missing`);
  runBuildCommand(build.rustc, ['--crate-name', 'microvm', '--crate-type', 'rlib', '--edition', '2021', ...commonFlags(build), '--out-dir', build.objDir, sdkRoot], log, run);

  const linkArgs = [
    // rustc 1.90+ links with its bundled lld by default; the C SDK's guests use GNU ld, and so do
    // these, whatever the rustc version.
    '-fuse-ld=bfd',
    ...build.linkArgs,
  ];
  runBuildCommand(
    build.rustc,
    [
      '--crate-name', build.crateName,
      '--crate-type', 'bin',
      '--edition', build.edition,
      ...commonFlags(build),
      '--extern', `microvm=${path.join(build.objDir, 'libmicrovm.rlib')}`,
      '-L', `dependency=${build.objDir}`,
      '-C', `linker=${build.linker}`,
      ...linkArgs.flatMap((arg) => ['-C', `link-arg=${arg}`]),
      ...build.rustflags,
      '-o', build.outFile,
      build.crateRoot,
    ],
    log,
    run,
  );
}
