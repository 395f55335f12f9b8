import fs from 'node:fs';
import path from 'node:path';
import type { Io } from '../io';

/** Resolves a guest ELF path against the working directory; a missing file fails with exit 1. */
export function resolveGuest(io: Io, given: string): string {
  const full = path.resolve(io.cwd, given);
  if (!fs.existsSync(full)) throw new Error(`no such guest ELF: ${given}`);
  if (!fs.statSync(full).isFile()) throw new Error(`not a file: ${given}`);
  return full;
}
