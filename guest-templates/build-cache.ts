// Where guest builds are cached, and the c-hello guest that `microvm serve`, the benches and their
// tests run. Here rather than in the CLI because the benches and tests need it without the CLI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeDirectory } from '../native/lib/crash-dump';
import { buildGuest, newGuestProject, repoRoot } from './toolchain';

/** The first of `candidates` that exists (or can be created) and is writable. */
export function writableDir(candidates: readonly string[]): string {
  const problems: string[] = [];
  for (const dir of candidates) {
    try {
      // Not fs.mkdirSync's recursive mode: it never returns where a directory cannot be made (/proc).
      makeDirectory(dir);
      fs.accessSync(dir, fs.constants.W_OK);
      return dir;
    } catch (error) {
      problems.push(`${dir}: ${(error as Error).message}`); // then try the next place
    }
  }
  throw new Error(`cannot create a build directory (tried ${problems.join('; ')})`);
}

/**
 * Builds the c-hello template from the repository's current SDK and returns a stable ELF path
 * (<repo>/build/serve/c-hello.elf). Each build happens in its own directory and is renamed into
 * place, so concurrent servers, benches and tests never see a half-written ELF.
 */
export function buildHelloGuest(): string {
  const cache = writableDir([path.join(repoRoot(), 'build', 'serve'), path.join(os.tmpdir(), 'microvm-serve')]);
  const project = path.join(cache, `c-hello-${process.pid}`);
  const elf = path.join(cache, 'c-hello.elf');
  fs.rmSync(project, { recursive: true, force: true });
  try {
    newGuestProject('c-hello', project);
    const built = buildGuest(project, {}).elfPath;
    const staged = `${elf}.${process.pid}.tmp`;
    fs.copyFileSync(built, staged);
    fs.renameSync(staged, elf);
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
  return elf;
}
