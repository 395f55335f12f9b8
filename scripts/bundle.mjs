// Bundles the CLI, the VS Code extension, the stdio debug adapter and the host API with esbuild
// after `tsc -p .` has typechecked them, and emits the host API's type declarations.
// The native addon is never bundled: the host API finds build/Release/microvm_native.node at run
// time by path, so `*.node` stays external as a guard against an accidental static require.
import { build } from 'esbuild';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const entries = [
  { entry: 'bin/cli/main.ts', out: 'dist/cli.js' },
  { entry: 'extension/extension.ts', out: 'dist/extension.js' },
  { entry: 'debug-adapter/main.ts', out: 'dist/debug-adapter.js' },
  // The package's "exports" entry "." (package.json "main" is the extension, which needs vscode).
  { entry: 'native/lib/index.ts', out: 'dist/host-api.js' },
];

const HOST_API = path.join(root, 'native', 'lib');
const TYPES_DIR = path.join(root, 'dist', 'types');
const TYPES_ENTRY = path.join(TYPES_DIR, 'native', 'lib', 'index.d.ts');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * dist/types/: the host API's declarations (package.json "types"). Emitting them typechecks
 * native/lib, which takes seconds, so it happens only when a source there is newer.
 */
async function emitHostApiTypes() {
  if (fs.existsSync(TYPES_ENTRY) && fs.statSync(TYPES_ENTRY).mtimeMs >= newestMtime(HOST_API)) return false;
  const { default: ts } = await import('typescript');
  const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error('cannot read tsconfig.json');
  fs.rmSync(TYPES_DIR, { recursive: true, force: true });
  const options = { ...config.options, declaration: true, emitDeclarationOnly: true, sourceMap: false, declarationMap: false, outDir: TYPES_DIR, rootDir: root };
  const result = ts.createProgram([path.join(HOST_API, 'index.ts')], options).emit();
  if (result.emitSkipped || !fs.existsSync(TYPES_ENTRY)) throw new Error(`emitting ${path.relative(root, TYPES_ENTRY)} failed`);
  fs.utimesSync(TYPES_ENTRY, new Date(), new Date()); // the mark of freshness checked above
  return true;
}

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
  if (await emitHostApiTypes()) console.log(`emitted the host API's declarations -> ${path.relative(root, TYPES_ENTRY)}`);
} catch (err) {
  // esbuild has already printed the located errors; a one-line summary keeps the exit obvious.
  console.error(`bundle failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  process.exit(1);
}
