// `npm run fuzz -- [--seconds N] [--target T[,T...]] [--hang-ms N] [--list] [--no-build]`
// Compiles the TypeScript (tsc, as npm test does; --no-build skips it) and runs the fuzz targets of
// scripts/fuzz/fuzz.ts one after another. See docs/reliability.md#fuzzing.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const build = !args.includes('--no-build');
if (build) {
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], { stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.error('fuzz: tsc failed');
    process.exit(1);
  }
}
const require = createRequire(import.meta.url);
const { main } = require(path.join(root, 'out', 'scripts', 'fuzz', 'fuzz.js'));
process.exitCode = await main(args.filter((a) => a !== '--no-build'));
