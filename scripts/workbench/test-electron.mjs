// `npm run test:vscode`: the extension-host tests (test/workbench/extension-host/*.wb.ts, the same
// module `npm run test:workbench` runs in code-server) in desktop VS Code via @vscode/test-electron.
// It downloads VS Code from update.code.visualstudio.com, so it only works where that is
// reachable (not on the CI machines, which run test:workbench instead); on Linux without a display
// run it under xvfb-run. Usage:
//   node scripts/workbench/test-electron.mjs [--no-build]
// Environment: MICROVM_VSCODE_VERSION (default 1.100.3, the VS Code that code-server 4.100.3
// bundles), MICROVM_WB_FILTER (only the tests whose name contains it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const version = process.env.MICROVM_VSCODE_VERSION ?? '1.100.3';
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

function fail(message) {
  console.error(`test:vscode: ${message}`);
  process.exit(1);
}

if (!process.argv.slice(2).includes('--no-build')) {
  const res = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) fail('npm run build failed');
}
const extensionTestsPath = path.join(root, 'out', 'test', 'workbench', 'extension-host', 'index.js');
if (!fs.existsSync(extensionTestsPath)) fail(`${path.relative(root, extensionTestsPath)} is missing: did the build run?`);

let vscodeExecutablePath;
try {
  let timer;
  vscodeExecutablePath = await Promise.race([
    downloadAndUnzipVSCode(version),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no download after ${DOWNLOAD_TIMEOUT_MS / 60_000} minutes`)), DOWNLOAD_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
} catch (err) {
  fail(`could not download VS Code ${version}: ${err instanceof Error ? err.message : String(err)}\n`
    + '  @vscode/test-electron downloads VS Code from https://update.code.visualstudio.com, which this machine cannot reach.\n'
    + '  Offline, run the same tests in code-server instead: npm run test:workbench');
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-vscode-'));
const folder = path.join(work, 'workspace');
fs.mkdirSync(folder);
let code = 1;
try {
  code = await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: root,
    extensionTestsPath,
    extensionTestsEnv: process.env.MICROVM_WB_FILTER ? { MICROVM_WB_FILTER: process.env.MICROVM_WB_FILTER } : {},
    launchArgs: [
      folder,
      '--user-data-dir', path.join(work, 'user-data'),
      '--extensions-dir', path.join(work, 'extensions'),
      '--disable-extensions', // other extensions; the one under development still loads
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
    ],
  });
} catch (err) {
  console.error(`test:vscode: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(code);
