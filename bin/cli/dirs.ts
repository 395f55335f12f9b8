// Where commands may write their caches.
import fs from 'node:fs';

/** The first of `candidates` that exists (or can be created) and is writable. */
export function writableDir(candidates: readonly string[]): string {
  for (const dir of candidates) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.accessSync(dir, fs.constants.W_OK);
      return dir;
    } catch {
      // try the next place
    }
  }
  throw new Error(`cannot create a build directory (tried ${candidates.join(', ')})`);
}
