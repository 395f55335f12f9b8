import fs from 'node:fs';
import path from 'node:path';
import { checkInputFile, readInputFile } from '../../../native/lib/input-file';
import type { GuestFile } from '../../../native/lib/types';
import type { Io } from '../io';

/** Resolves a guest ELF path against the working directory; a missing file fails with exit 1. */
export function resolveGuest(io: Io, given: string): string {
  const full = path.resolve(io.cwd, given);
  if (!fs.existsSync(full)) throw new Error(`no such guest ELF: ${given}`);
  try {
    checkInputFile(full);
  } catch (error) {
    throw new Error(`guest ELF ${(error as Error).message}`);
  }
  return full;
}

/**
 * Resolves and reads a guest ELF once; the commands hand the bytes to inspectGuest and
 * Sandbox.create, which then read nothing themselves.
 */
export function readGuestFile(io: Io, given: string): GuestFile {
  const full = resolveGuest(io, given);
  try {
    return { path: full, bytes: readInputFile(full) };
  } catch (error) {
    throw new Error(`guest ELF ${(error as Error).message}`);
  }
}
