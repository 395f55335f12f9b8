// The guests the bench runs: the c-hello template (as `microvm serve` builds it) and bench/guests/
// bytes.c for the large-argument figure, built with -O2 so that summing 1 MiB does not dominate.
import fs from 'node:fs';
import path from 'node:path';
import { buildHelloGuest } from '../guest-templates/build-cache';
import { buildGuestSources, repoRoot } from '../guest-templates/toolchain';

export interface BenchGuests {
  readonly hello: string;
  readonly bytes: string;
}

export function buildBenchGuests(): BenchGuests {
  const root = repoRoot();
  const dir = path.join(root, 'build', 'bench');
  const elf = path.join(dir, 'bytes.elf');
  // Built under a private name and renamed, so concurrent benches never load a half-written ELF.
  const staged = path.join(dir, `bytes-${process.pid}.elf`);
  try {
    buildGuestSources([path.join(root, 'bench', 'guests', 'bytes.c')], staged, { optimize: '2' });
    fs.renameSync(staged, elf);
  } finally {
    fs.rmSync(staged, { force: true });
    fs.rmSync(path.join(dir, 'obj', `bytes-${process.pid}`), { recursive: true, force: true });
  }
  return { hello: buildHelloGuest(), bytes: elf };
}
