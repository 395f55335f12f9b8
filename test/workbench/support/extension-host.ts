// Runs an extensionTestsPath module inside code-server's real extension host, the way
// @vscode/test-electron does with desktop VS Code: the workbench is opened with a `payload` that
// names the extension under development and the test module, and the test module's exit code
// comes back through `codeAutomationExit`, a function the workbench calls in the page.
// Both paths must be vscode-remote:// URIs of this server: plain paths make it hang silently.
import fs from 'node:fs';
import path from 'node:path';
import type { TestResult } from '../extension-host/harness';
import { launchBrowser } from './browser';
import { CodeServer, makeDirs, QUIET_SETTINGS, startCodeServer, writeUserSettings } from './code-server';
import { ARTIFACTS_DIR } from './session';

export interface ExtensionHostRun {
  /** The test module's exit code (0: run() resolved), undefined when it never reported one. */
  exitCode: number | undefined;
  /** Per-test results the module wrote (test/workbench/extension-host/index.ts does). */
  results: TestResult[];
  /** Where the logs were kept, when the run failed. */
  artifacts?: string;
  durationMs: number;
}

export interface ExtensionHostOptions {
  /** Names the artifacts folder. */
  name: string;
  /** The folder the workbench opens. */
  folder: string;
  /** A folder holding the extension's package.json (the repository, or an unpacked .vsix). */
  extensionDevelopmentPath: string;
  /** The compiled test module (exports `run()`). */
  extensionTestsPath: string;
  /** Extra environment for the extension host (e.g. MICROVM_WB_FILTER). */
  env?: Record<string, string>;
  /** Default 5 minutes. */
  timeoutMs?: number;
}

export async function runExtensionHostTests(options: ExtensionHostOptions): Promise<ExtensionHostRun> {
  const started = Date.now();
  const dirs = makeDirs('microvm-wb-exthost-');
  const resultsFile = path.join(dirs.home, 'results.json');
  const consoleLog: string[] = [];
  writeUserSettings(dirs, QUIET_SETTINGS);
  let server: CodeServer;
  try {
    server = await startCodeServer({ folder: options.folder, dirs, env: { ...options.env, MICROVM_WB_RESULTS: resultsFile } });
  } catch (err) {
    // The error carries code-server's output.
    fs.rmSync(dirs.home, { recursive: true, force: true });
    throw err;
  }
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  let exitCode: number | undefined;
  let failure: string | undefined;
  try {
    browser = await launchBrowser();
    const { page } = browser;
    page.on('console', (m) => consoleLog.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLog.push(`[pageerror] ${e.message}`));
    let exited: (code: number) => void = () => undefined;
    const exit = new Promise<number>((resolve) => {
      exited = resolve;
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => exited(code));
    const payload = [
      ['extensionDevelopmentPath', server.remoteUri(options.extensionDevelopmentPath)],
      ['extensionTestsPath', server.remoteUri(options.extensionTestsPath)],
    ];
    await page.goto(`${server.url}/?folder=${encodeURIComponent(options.folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const timeoutMs = options.timeoutMs ?? 300_000;
    let timer: NodeJS.Timeout | undefined;
    exitCode = await Promise.race([
      exit,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (exitCode === undefined) failure = `the extension tests did not finish within ${timeoutMs / 1000} s`;
    else if (exitCode !== 0) failure = `the extension tests exited with ${exitCode}`;
    if (failure) await page.screenshot({ path: path.join(dirs.home, 'failure.png') }).catch(() => undefined);
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  } finally {
    await browser?.close();
    await server.stop({ keep: true });
  }

  const results: TestResult[] = fs.existsSync(resultsFile) ? (JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as TestResult[]) : [];
  let artifacts: string | undefined;
  if (failure || results.some((r) => !r.ok)) {
    artifacts = path.join(ARTIFACTS_DIR, options.name.replace(/[^\w.-]+/g, '-'));
    fs.rmSync(artifacts, { recursive: true, force: true });
    fs.mkdirSync(artifacts, { recursive: true });
    fs.writeFileSync(path.join(artifacts, 'failure.txt'), `${failure ?? 'some tests failed'}\n`);
    fs.writeFileSync(path.join(artifacts, 'browser-console.log'), `${consoleLog.join('\n')}\n`);
    for (const file of ['failure.png', 'results.json', ...fs.readdirSync(dirs.home).filter((f) => f.endsWith('.log'))]) {
      if (fs.existsSync(path.join(dirs.home, file))) fs.copyFileSync(path.join(dirs.home, file), path.join(artifacts, file));
    }
    if (fs.existsSync(server.logsDir)) fs.cpSync(server.logsDir, path.join(artifacts, 'logs'), { recursive: true });
    console.log(`# workbench: ${failure ?? 'extension-host tests failed'}; screenshot and logs in ${artifacts}`);
  }
  fs.rmSync(dirs.home, { recursive: true, force: true });
  return { exitCode, results, artifacts, durationMs: Date.now() - started };
}
