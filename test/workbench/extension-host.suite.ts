// Runs the extension-host tests (test/workbench/extension-host/*.wb.ts) in code-server's real
// extension host and reports each one as a node:test test of this suite.
// The extension is loaded as the extension under development from the repository, as F5 and
// @vscode/test-electron load it: these tests are about the extension's behaviour and should run
// on what was just built (`npm run build`), without packaging. With MICROVM_WB_EXTHOST_FROM=vsix
// they run on the packaged extension instead (the .vsix unpacked into a temporary folder).
// What the .vsix alone does in a workbench is the UI suite's subject (test/workbench/ui/).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ExtensionHostRun, runExtensionHostTests } from './support/extension-host';
import { makeTempDir, packagedVsix, REPO_ROOT } from './support/session';
import { unpackVsix } from './support/vsix';

async function runInCodeServer(): Promise<{ run?: ExtensionHostRun; from: string; error?: unknown }> {
  const work = makeTempDir('microvm-wb-exthost-folder-');
  let from = REPO_ROOT;
  try {
    if (process.env.MICROVM_WB_EXTHOST_FROM === 'vsix') {
      from = path.join(work, 'unpacked');
      unpackVsix(packagedVsix(), from);
    }
    const folder = path.join(work, 'workspace');
    fs.mkdirSync(folder);
    const run = await runExtensionHostTests({
      name: 'extension-host',
      folder,
      extensionDevelopmentPath: from,
      extensionTestsPath: path.join(__dirname, 'extension-host', 'index.js'),
      env: process.env.MICROVM_WB_FILTER ? { MICROVM_WB_FILTER: process.env.MICROVM_WB_FILTER } : {},
    });
    return { run, from };
  } catch (error) {
    return { from, error };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// A suite, not a test, so that the summary counts the extension-host tests themselves: the run
// happens while the suite is built, then each result becomes a test.
describe('extension-host tests in code-server', async () => {
  const { run, from, error } = await runInCodeServer();
  const logs = run?.artifacts ? ` (screenshot and logs: ${run.artifacts})` : '';
  for (const result of run?.results ?? []) {
    test(result.name, { skip: result.skipped ?? false }, () => {
      if (!result.ok) throw new Error(`${result.error ?? 'failed'}${logs}`);
    });
  }
  // Only when the run itself went wrong (no results, or an exit code they do not explain).
  const failedTests = run?.results.some((r) => !r.ok) ?? false;
  if (error || !run || run.results.length === 0 || (run.exitCode !== 0) !== failedTests) {
    test(`the extension-host test run (extension from ${from})`, () => {
      if (error) throw error;
      assert.ok(run && run.results.length > 0, `the extension host reported test results${logs}`);
      assert.equal(run.exitCode, failedTests ? 1 : 0, `the test module's exit code${logs}`);
    });
  }
});
