// Bundles the CLI, the VS Code extension and the stdio debug adapter with esbuild after `tsc -p .` has typechecked them.
// The native addon is never bundled: the host API finds build/Release/microvm_native.node at run
// time by path, so `*.node` stays external as a guard against an accidental static require.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const entries = [
  { entry: 'bin/cli/main.ts', out: 'dist/cli.js' },
  { entry: 'extension/extension.ts', out: 'dist/extension.js' },
  { entry: 'debug-adapter/main.ts', out: 'dist/debug-adapter.js' },
];

try {
  for (const { entry, out } of entries) {
    await build({
      absWorkingDir: root,
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode', '*.node'],
      sourcemap: true,
      logLevel: 'warning',
    });
    console.log(`bundled ${entry} -> ${out}`);
  }
} catch (err) {
  // esbuild has already printed the located errors; a one-line summary keeps the exit obvious.
  console.error(`bundle failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  process.exit(1);
}
