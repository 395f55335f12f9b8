// Runs the extension-host tests (test/workbench/extension-host/*.wb.ts) in code-server's real
// extension host and reports each one as a node:test subtest.
// The extension is loaded as the extension under development from the repository, as F5 and
// @vscode/test-electron load it: these tests are about the extension's behaviour and should run
// on what was just built (`npm run build`), without packaging. With MICROVM_WB_EXTHOST_FROM=vsix
// they run on the packaged extension instead (the .vsix unpacked into a temporary folder).
// What the .vsix alone does in a workbench is the UI suite's subject (test/workbench/ui/).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runExtensionHostTests } from './support/extension-host';
import { packagedVsix, REPO_ROOT } from './support/session';
import { unpackVsix } from './support/vsix';

test('extension-host tests in code-server', { timeout: 600_000 }, async (t) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-wb-exthost-folder-'));
  try {
    let extensionDevelopmentPath = REPO_ROOT;
    if (process.env.MICROVM_WB_EXTHOST_FROM === 'vsix') {
      extensionDevelopmentPath = path.join(work, 'unpacked');
      unpackVsix(packagedVsix(), extensionDevelopmentPath);
    }
    const folder = path.join(work, 'workspace');
    fs.mkdirSync(folder);
    const run = await runExtensionHostTests({
      name: 'extension-host',
      folder,
      extensionDevelopmentPath,
      extensionTestsPath: path.join(__dirname, 'extension-host', 'index.js'),
      env: process.env.MICROVM_WB_FILTER ? { MICROVM_WB_FILTER: process.env.MICROVM_WB_FILTER } : {},
    });
    t.diagnostic(`extension from ${extensionDevelopmentPath}; ${run.results.length} tests in ${(run.durationMs / 1000).toFixed(1)} s`);
    for (const result of run.results) {
      await t.test(result.name, () => {
        if (!result.ok) throw new Error(result.error ?? 'failed');
      });
    }
    assert.ok(run.results.length > 0, `the extension host reported test results${run.artifacts ? ` (logs: ${run.artifacts})` : ''}`);
    assert.equal(run.exitCode, 0, `the test module's exit code${run.artifacts ? ` (logs: ${run.artifacts})` : ''}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
