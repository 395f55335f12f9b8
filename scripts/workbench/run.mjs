// `npm run test:workbench`: the extension in a real VS Code workbench (code-server + headless
// Chromium). Builds, packages the .vsix, installs code-server on first use, then runs with node's
// test runner, one file at a time:
//   out/test/workbench/vsix.suite.js            the .vsix's contents and its unpacked CLI/adapter
//   out/test/workbench/extension-host.suite.js  test/workbench/extension-host/*.wb.ts inside
//                                               code-server's extension host (the repository's build)
//   out/test/workbench/ui/*.ui.js               UI tests: the .vsix installed alone, driven by Chromium
// Usage: node scripts/workbench/run.mjs [--no-build] [--update-screenshots] [file-substring...]
//   --update-screenshots  the UI tests write the README's screenshots into docs/images/ (quantized
//                         with pngquant when it is installed)
// The runner's `# pass N` / `# fail N` lines are what .ci/run adds up. A failing step keeps its
// screenshot and code-server's logs in workbench-artifacts/ and prints where.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCodeServer } from './install.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const started = Date.now();
const elapsed = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

function parseCli(argv) {
  const opts = { build: true, updateScreenshots: false, filters: [] };
  for (const arg of argv) {
    if (arg === '--no-build') opts.build = false;
    else if (arg === '--update-screenshots') opts.updateScreenshots = true;
    else if (arg.startsWith('-')) fatal(`unknown option ${arg} (expected --no-build, --update-screenshots, file substrings)`, 2);
    else opts.filters.push(arg);
  }
  return opts;
}

/** Fails the whole run as one failed test, so CI's summary counts it. */
function fatal(message, code = 1) {
  console.error(`test:workbench: ${message}`);
  console.log('not ok 1 - workbench setup\n# pass 0\n# fail 1');
  process.exit(code);
}

function step(what, cmd, args) {
  const since = Date.now();
  console.log(`test:workbench: ${what}`);
  const res = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.error || res.status !== 0) fatal(`${what} failed (${res.error?.message ?? `exit ${res.status ?? res.signal}`})`);
  console.log(`test:workbench: ${what}: ${elapsed(since)}`);
}

function findFiles(dir, suffix) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith(suffix)).sort().map((f) => path.join(dir, f));
}

// code-servers the test processes started register their process group here; whatever is still
// alive at the end (a test process killed before its cleanup ran) is killed and reported.
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-wb-run-'));
function sweep() {
  const leaked = [];
  for (const file of fs.existsSync(runDir) ? fs.readdirSync(runDir) : []) {
    const pgid = Number(fs.readFileSync(path.join(runDir, file), 'utf8').split('\n')[0]);
    try {
      process.kill(-pgid, 'SIGKILL');
      leaked.push(pgid);
    } catch {
      // already gone
    }
  }
  fs.rmSync(runDir, { recursive: true, force: true });
  return leaked;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    sweep();
    process.exit(128 + os.constants.signals[signal]);
  });
}

const opts = parseCli(process.argv.slice(2));
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const vsix = path.join(root, `${manifest.name}-linux-x64-${manifest.version}.vsix`);

// Artifacts of an earlier run would be taken for this one's.
fs.rmSync(path.join(root, 'workbench-artifacts'), { recursive: true, force: true });
if (opts.build) step('npm run build', 'npm', ['run', '--silent', 'build']);
step('package the .vsix', process.execPath, [path.join(root, 'scripts', 'package.mjs'), '--no-build', '--out', vsix]);

let codeServer;
const installStarted = Date.now();
try {
  codeServer = ensureCodeServer({ log: (line) => console.log(line) });
} catch (err) {
  fatal(err instanceof Error ? err.message : String(err));
}
console.log(`test:workbench: code-server ready (${elapsed(installStarted)}): ${codeServer}`);

const out = path.join(root, 'out', 'test', 'workbench');
let files = [
  path.join(out, 'vsix.suite.js'),
  path.join(out, 'extension-host.suite.js'),
  ...findFiles(path.join(out, 'ui'), '.ui.js'),
];
if (opts.filters.length > 0) files = files.filter((f) => opts.filters.some((s) => path.relative(root, f).includes(s)));
if (files.length === 0) fatal(opts.filters.length > 0 ? `no workbench test file matches ${opts.filters.join(', ')}` : 'no workbench tests in out/test/workbench: did the build run?');

const env = {
  ...process.env,
  MICROVM_CODE_SERVER_BIN: codeServer,
  MICROVM_WB_VSIX: vsix,
  MICROVM_WB_RUN_DIR: runDir,
  ...(opts.updateScreenshots ? { MICROVM_WB_UPDATE_SCREENSHOTS: '1' } : {}),
};
const testsStarted = Date.now();
const res = spawnSync(process.execPath, [
  '--test',
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
  // One file at a time: each starts its own code-server, and the machine may have 2 cores.
  '--test-concurrency=1',
  '--test-timeout=600000',
  ...files.map((f) => path.relative(root, f)),
], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });

const leaked = sweep();
if (leaked.length > 0) console.log(`test:workbench: killed ${leaked.length} code-server process group(s) left running by a test process: ${leaked.join(', ')}`);
console.log(`test:workbench: tests ${elapsed(testsStarted)}, total ${elapsed(started)}`);
const artifacts = path.join(root, 'workbench-artifacts');
if (res.status !== 0 && fs.existsSync(artifacts)) console.log(`test:workbench: failure screenshots and code-server logs: ${artifacts}`);
process.exit(res.status ?? 1);
