// Where the guest SDKs are and how every native guest is compiled: the flags, the C runtime's
// sources and the link flags. Shared by the guest builds (guest-templates/toolchain.ts) and the
// Wasm translator (native/lib/wasm/), which compiles a module's C into a guest at load time.
import fs from 'node:fs';
import path from 'node:path';

const SDK_MARKER = path.join('guest-templates', 'sdk', 'c', 'include', 'microvm.h');

let cachedRoot: string | undefined;

/**
 * The directory holding guest-templates/: the nearest at or above this file. Works from sources,
 * from tsc's out/ and from an esbuild bundle in dist/.
 */
export function guestSdkRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const start = path.resolve(__dirname);
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, SDK_MARKER))) {
      cachedRoot = dir;
      return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find ${SDK_MARKER} in ${start} or any directory above it`);
  }
}

/** Compile flags every guest gets (see guest-templates/sdk/c/README.md). */
export const BASE_CFLAGS: readonly string[] = [
  '-std=c11',
  '-ffreestanding',
  '-fno-builtin',
  '-fno-pie',
  '-fno-stack-protector',
  '-fno-omit-frame-pointer',
  '-fasynchronous-unwind-tables',
  '-fcf-protection=none',
  '-mno-red-zone',
  '-g',
  '-Wall',
  '-Wextra',
];

/**
 * The SDK runtime and the extra flags each file needs. Everything except float.c is built with
 * -mgeneral-regs-only so that the runtime never touches x87/SSE state on its own: a call that
 * involves no floating point then never uses the vector unit (float.c holds %f formatting and the
 * variadic entry points, whose prologues must be able to save XMM argument registers).
 */
export const RUNTIME_SOURCES: ReadonlyArray<{ file: string; flags: readonly string[] }> = [
  { file: 'runtime/entry.S', flags: [] },
  { file: 'runtime/runtime.c', flags: ['-mgeneral-regs-only'] },
  { file: 'runtime/print.c', flags: ['-mgeneral-regs-only'] },
  { file: 'runtime/heap.c', flags: ['-mgeneral-regs-only'] },
  { file: 'runtime/string.c', flags: ['-mgeneral-regs-only'] },
  { file: 'runtime/float.c', flags: [] },
];

/** The link flags of every guest (see microvm.ld). */
export function linkFlags(sdk: string, clang: boolean): string[] {
  return [
    '-nostdlib',
    '-static',
    // clang treats -no-pie as unused with -static and warns; -static alone already gives ET_EXEC.
    ...(clang ? [] : ['-no-pie']),
    '-g',
    '-T',
    path.join(sdk, 'microvm.ld'),
    '-Wl,--build-id=none',
    '-Wl,-z,max-page-size=4096',
    '-Wl,-z,noexecstack',
    '-Wl,--eh-frame-hdr',
  ];
}
