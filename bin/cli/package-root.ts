// Finds the repository root at run time. The same code runs from out/bin/cli/ (tsc output) and
// from dist/ (the esbuild bundle), so it walks up instead of assuming a fixed depth.
import fs from 'node:fs';
import path from 'node:path';

const PACKAGE_NAME = 'microvm-studio';

export interface PackageInfo {
  readonly root: string;
  readonly version: string;
}

let cached: PackageInfo | undefined;

export function packageInfo(startDir: string = __dirname): PackageInfo {
  if (cached) return cached;
  for (let dir = path.resolve(startDir); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const parsed: unknown = JSON.parse(fs.readFileSync(manifest, 'utf8'));
      if (isManifest(parsed) && parsed.name === PACKAGE_NAME) {
        cached = { root: dir, version: parsed.version };
        return cached;
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package.json above ${startDir}`);
  }
}

function isManifest(value: unknown): value is { name: string; version: string } {
  return typeof value === 'object' && value !== null
    && typeof (value as { name?: unknown }).name === 'string'
    && typeof (value as { version?: unknown }).version === 'string';
}
