// `npm test`: rebuilds the TypeScript (so tests never run stale output), then runs node's test
// runner over every out/test/**/*.test.js. Usage:
//   node scripts/run-tests.mjs [--no-build] [file-substring...] [-- node-test-flags...]
// Node's runner prints the `# pass N` / `# fail N` summary; we exit with its status.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseCli(argv) {
  const opts = { build: true, filters: [], nodeFlags: [] };
  let passthrough = false;
  for (const arg of argv) {
    if (passthrough || arg.startsWith('--test-')) opts.nodeFlags.push(arg);
    else if (arg === '--') passthrough = true;
    else if (arg === '--no-build') opts.build = false;
    else if (arg.startsWith('-')) fail(`unknown option ${arg} (expected --no-build, file substrings, or node --test flags after --)`, 2);
    else opts.filters.push(arg);
  }
  return opts;
}

function fail(message, code = 1) {
  console.error(`run-tests: ${message}`);
  process.exit(code);
}

function run(cmd, args) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (res.error) fail(`could not start ${cmd}: ${res.error.message}`);
  return res.status ?? 1;
}

function findTests(dir) {
  if (!fs.existsSync(dir)) return [];
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTests(full));
    else if (entry.name.endsWith('.test.js')) found.push(full);
  }
  return found.sort();
}

// The addon is rebuilt only by `npm install` / `npm run build:native`; say so when it looks stale.
function warnIfAddonStale() {
  const addon = path.join(root, 'build', 'Release', 'microvm_native.node');
  const srcDir = path.join(root, 'native', 'src');
  if (!fs.existsSync(addon)) {
    console.log('note: build/Release/microvm_native.node is missing: run `npm install` or `npm run build:native`');
    return;
  }
  if (!fs.existsSync(srcDir)) return;
  const built = fs.statSync(addon).mtimeMs;
  const newer = fs.readdirSync(srcDir).filter((f) => fs.statSync(path.join(srcDir, f)).mtimeMs > built);
  if (newer.length > 0) console.log(`note: native/src changed since the addon was built (${newer.join(', ')}): run \`npm run build:native\``);
}

function reportKvm() {
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
  } catch (err) {
    const why = err && err.code === 'ENOENT' ? 'it does not exist' : `it is not accessible (${err.code})`;
    console.log(`note: /dev/kvm is unusable (${why}): tests that need a VM will skip`);
  }
}

const opts = parseCli(process.argv.slice(2));
if (opts.build) {
  if (run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']) !== 0) fail('tsc failed');
  if (run(process.execPath, [path.join(root, 'scripts', 'bundle.mjs')]) !== 0) fail('bundle failed');
}
warnIfAddonStale();
reportKvm();

let files = findTests(path.join(root, 'out', 'test'));
if (opts.filters.length > 0) files = files.filter((f) => opts.filters.some((s) => path.relative(root, f).includes(s)));
if (files.length === 0) fail(opts.filters.length > 0 ? `no test file matches ${opts.filters.join(', ')}` : 'no out/test/**/*.test.js found: did the build run?');

// TAP when piped (CI reads its `# pass` / `# fail` lines), the readable spec reporter on a terminal.
const reporter = process.stdout.isTTY ? 'spec' : 'tap';
const status = run(process.execPath, [
  '--test',
  `--test-reporter=${reporter}`,
  '--test-timeout=600000',
  ...opts.nodeFlags,
  ...files.map((f) => path.relative(root, f)),
]);
process.exit(status);
