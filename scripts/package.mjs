// `npm run package`: builds the extension and packs it into microvm-studio-linux-x64-<version>.vsix
// (vsce's name for a linux-x64 package) in the repository root. Usage:
//   node scripts/package.mjs [--no-build] [--out FILE] [--keep-staging]
//
// Why a staging directory rather than a .vscodeignore in the repository root: the addon must ship
// stripped (the debug build in build/Release is 4x larger and the tests use it), and vsce packs
// files only from the folder it runs in, so a stripped copy needs a folder of its own anyway.
// Staging an allowlist (below) also makes "exactly these files" the rule instead of a list of
// exclusions that every new folder in the repository would have to be added to. The root
// .vscodeignore only keeps a bare `vsce package` in the root from producing a wrong package.
//
// The staged package.json is the repository's without the fields that only mean something in the
// repository: `scripts` (vsce would run vscode:prepublish, a TypeScript build, in the staging
// folder), `devDependencies`, and the bundled `dependencies`: it lists iced-x86 alone, the one
// module that ships unbundled in node_modules/ (vsce packs the dependencies `npm ls` reports).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { checkVsix, manifestFileReferences, VSIX_SIZE_BUDGET } from './workbench/vsix.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = 'linux-x64';
/** The one runtime dependency that is not bundled: its JS loads its .wasm from its own folder. */
const UNBUNDLED = 'iced-x86';

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

function parseCli(argv) {
  const opts = { build: true, out: undefined, keepStaging: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--no-build') opts.build = false;
    else if (argv[i] === '--keep-staging') opts.keepStaging = true;
    else if (argv[i] === '--out' && argv[i + 1]) opts.out = path.resolve(argv[++i]);
    else fail(`unknown argument ${argv[i]} (expected --no-build, --out FILE, --keep-staging)`);
  }
  return opts;
}

function run(cmd, args, cwd) {
  const res = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (res.error) fail(`could not start ${cmd}: ${res.error.message}`);
  if (res.status !== 0) fail(`${cmd} ${args.join(' ')} exited with ${res.status ?? res.signal}`);
}

function copy(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

/** Copies a tree, leaving out build outputs (make's build/, cargo's target/) and crash dumps,
 *  which guest projects may hold. */
function copyTree(from, to) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (['build', 'target', 'microvm-crashes', 'node_modules'].includes(entry.name) || /\.(o|elf|core)$/.test(entry.name)) continue;
    const src = path.join(from, entry.name);
    if (entry.isDirectory()) copyTree(src, path.join(to, entry.name));
    else if (entry.isFile()) copy(src, path.join(to, entry.name));
  }
}

/**
 * A bundle as shipped: minified, which takes about 100 KB off the .vsix and keeps it within its
 * 1 MiB budget with the README's screenshot, but with `keepNames`, so the function and class
 * names in stack traces stay readable; no sourceMappingURL comment, since the maps are not shipped.
 */
function copyBundle(from, to) {
  const { code } = transformSync(fs.readFileSync(from, 'utf8'), {
    loader: 'js', format: 'cjs', platform: 'node', target: 'node20', minify: true, keepNames: true, sourcemap: false,
  });
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.writeFileSync(to, code.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n'));
}

/** iced-x86's JS (wasm-bindgen glue, mostly doc comments) without comments and whitespace:
 *  about 35 KB less in the .vsix, the same code. */
function copyMinifiedWhitespace(from, to) {
  const { code } = transformSync(fs.readFileSync(from, 'utf8'), { loader: 'js', minifyWhitespace: true });
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.writeFileSync(to, code);
}

function stage(dir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const { scripts: _scripts, devDependencies: _dev, dependencies = {}, ...shipped } = manifest;
  if (!dependencies[UNBUNDLED]) fail(`package.json no longer depends on ${UNBUNDLED}: update scripts/package.mjs`);
  shipped.dependencies = { [UNBUNDLED]: dependencies[UNBUNDLED] };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(shipped, null, 2)}\n`);
  // Everything staged ships; the file only keeps vsce from warning that there is none.
  fs.writeFileSync(path.join(dir, '.vscodeignore'), '# staged by scripts/package.mjs: every file here ships\n');

  for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md']) copy(path.join(root, file), path.join(dir, file));

  // The extension and its stdio adapter. The CLI ships with the npm package, not here: nothing in
  // the extension runs it, and a third copy of the engine would push the .vsix past 1 MiB.
  for (const name of ['extension', 'debug-adapter']) {
    const bundle = path.join(root, 'dist', `${name}.js`);
    if (!fs.existsSync(bundle)) fail(`${path.relative(root, bundle)} is missing: run \`npm run build\` (or drop --no-build)`);
    copyBundle(bundle, path.join(dir, 'dist', `${name}.js`));
  }

  const addon = path.join(root, 'build', 'Release', 'microvm_native.node');
  if (!fs.existsSync(addon)) fail('build/Release/microvm_native.node is missing: run `npm install` or `npm run build:native`');
  const stagedAddon = path.join(dir, 'build', 'Release', 'microvm_native.node');
  fs.mkdirSync(path.dirname(stagedAddon), { recursive: true });
  execFileSync('strip', ['--strip-unneeded', '-o', stagedAddon, addon]);

  // The guest SDKs and every project template (a folder with a microvm.json): `microvm new`/`build`
  // and the toolchain bundled in dist/ find them by walking up from dist/ to guest-templates/.
  const templates = path.join(root, 'guest-templates');
  for (const entry of fs.readdirSync(templates, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const isTemplate = fs.existsSync(path.join(templates, entry.name, 'microvm.json'));
    if (entry.name === 'sdk' || isTemplate) copyTree(path.join(templates, entry.name), path.join(dir, 'guest-templates', entry.name));
  }

  // iced-x86 is loaded with module.require at run time: its package.json (for `main`), that JS
  // file and the .wasm it reads beside itself; its licence travels with it.
  const iced = path.join(root, 'node_modules', UNBUNDLED);
  const icedManifest = JSON.parse(fs.readFileSync(path.join(iced, 'package.json'), 'utf8'));
  const icedFiles = ['package.json', icedManifest.main ?? 'index.js', ...fs.readdirSync(iced).filter((f) => f.endsWith('.wasm') || /^LICEN[CS]E/i.test(f))];
  for (const file of new Set(icedFiles)) {
    const [from, to] = [path.join(iced, file), path.join(dir, 'node_modules', UNBUNDLED, file)];
    if (file.endsWith('.js')) copyMinifiedWhitespace(from, to);
    else copy(from, to);
  }

  // Whatever else the manifest points at: walkthrough media, icons, grammars, schemas...
  const isFile = (rel) => fs.existsSync(path.join(root, rel)) && fs.statSync(path.join(root, rel)).isFile();
  for (const rel of manifestFileReferences(manifest, isFile)) {
    if (!fs.existsSync(path.join(dir, rel))) copy(path.join(root, rel), path.join(dir, rel));
  }

  const images = path.join(root, 'docs', 'images');
  if (fs.existsSync(images)) {
    for (const file of fs.readdirSync(images).filter((f) => /\.(png|jpe?g|gif|svg)$/i.test(f))) copy(path.join(images, file), path.join(dir, 'docs', 'images', file));
  }
  return shipped;
}

function humanSize(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

const opts = parseCli(process.argv.slice(2));
if (opts.build) run('npm', ['run', '--silent', 'vscode:prepublish'], root);

const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-vsix-'));
let vsix;
try {
  const shipped = stage(staging);
  vsix = opts.out ?? path.join(root, `${shipped.name}-${TARGET}-${shipped.version}.vsix`);
  fs.rmSync(vsix, { force: true });
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  run(process.execPath, [vsce, 'package', '--target', TARGET, '--no-rewrite-relative-links', '--out', vsix], staging);
} finally {
  if (opts.keepStaging) console.log(`package: staging folder kept: ${staging}`);
  else fs.rmSync(staging, { recursive: true, force: true });
}

const { entries, problems, size } = checkVsix(vsix, { repoRoot: root });
if (problems.length > 0) fail(`${path.relative(root, vsix)} breaks the packaging rules:\n  ${problems.join('\n  ')}`);
const unpacked = entries.reduce((sum, e) => sum + e.size, 0);
console.log(`package: ${entries.length} files, ${humanSize(unpacked)} unpacked`);
if (size > VSIX_SIZE_BUDGET) console.log(`package: warning: larger than the ${humanSize(VSIX_SIZE_BUDGET)} budget`);
console.log(`${vsix} ${size} bytes (${humanSize(size)})`);
