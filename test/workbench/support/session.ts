// One workbench for a UI test: a code-server with fresh folders (the given .vsix installed and
// nothing else), a headless Chromium page on it, and what to keep when a step fails: a screenshot
// and code-server's logs, copied to workbench-artifacts/<name>/ in the repository (git-ignored)
// and printed, so that CI shows where they are.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Browser, launchBrowser } from './browser';
import { CodeServer, installExtension, makeDirs, QUIET_SETTINGS, startCodeServer, writeUserSettings } from './code-server';
import { Workbench } from './workbench';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const ARTIFACTS_DIR = process.env.MICROVM_WB_ARTIFACTS ?? path.join(REPO_ROOT, 'workbench-artifacts');

const tempDirs = new Set<string>();
process.on('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new temporary folder that is removed when the process exits, however it ends (a test's
 *  `after` does not run when the process is signalled). */
export function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** The packaged extension under test: $MICROVM_WB_VSIX (set by the suite runner), else the
 *  newest microvm-studio-*.vsix in the repository root. */
export function packagedVsix(): string {
  if (process.env.MICROVM_WB_VSIX) return process.env.MICROVM_WB_VSIX;
  const found = fs.readdirSync(REPO_ROOT).filter((f) => /^microvm-studio-.*\.vsix$/.test(f))
    .map((f) => path.join(REPO_ROOT, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (found.length === 0) throw new Error('no microvm-studio-*.vsix in the repository root: run `npm run package`');
  return found[0];
}

export interface SessionOptions {
  /** Names the artifacts folder. */
  name: string;
  /** The folder the workbench opens. */
  folder: string;
  /** Extensions to install (.vsix paths). Default: the packaged extension alone. */
  vsixes?: string[];
  /** User settings; QUIET_SETTINGS are the default. */
  settings?: Record<string, unknown>;
  viewport?: { width: number; height: number };
}

export class WorkbenchSession {
  private failed = false;

  private constructor(
    readonly name: string,
    readonly server: CodeServer,
    readonly browser: Browser,
    readonly workbench: Workbench,
  ) {}

  static async start(options: SessionOptions): Promise<WorkbenchSession> {
    const dirs = makeDirs();
    let server: CodeServer;
    try {
      for (const vsix of options.vsixes ?? [packagedVsix()]) installExtension(dirs, vsix);
      writeUserSettings(dirs, options.settings ?? QUIET_SETTINGS);
      server = await startCodeServer({ folder: options.folder, dirs });
    } catch (err) {
      // The error carries code-server's output.
      fs.rmSync(dirs.home, { recursive: true, force: true });
      throw err;
    }
    let browser: Browser;
    try {
      browser = await launchBrowser({ viewport: options.viewport });
    } catch (err) {
      await server.stop();
      throw err;
    }
    const session = new WorkbenchSession(options.name, server, browser, new Workbench(browser.page));
    try {
      await session.step('open the workbench', () => session.workbench.open(server.url, options.folder));
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  get page() {
    return this.browser.page;
  }

  /** Runs one step; when it throws, keeps a screenshot and the logs, says where, and rethrows
   *  with the step's name. */
  async step<T>(what: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      const where = await this.keepArtifacts(what);
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`step "${what}" failed: ${message}\n  screenshot and code-server logs: ${where}`, { cause: err });
    }
  }

  artifactsDir(): string {
    return path.join(ARTIFACTS_DIR, this.name.replace(/[^\w.-]+/g, '-'));
  }

  private async keepArtifacts(step: string): Promise<string> {
    this.failed = true;
    const dir = this.artifactsDir();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    await this.page.screenshot({ path: path.join(dir, 'failure.png') }).catch(() => undefined);
    fs.writeFileSync(path.join(dir, 'step.txt'), `${step}\n${new Date().toISOString()}\n`);
    if (fs.existsSync(this.server.logsDir)) fs.cpSync(this.server.logsDir, path.join(dir, 'logs'), { recursive: true });
    if (fs.existsSync(this.server.logFile)) fs.copyFileSync(this.server.logFile, path.join(dir, 'code-server.log'));
    console.log(`# workbench: step "${step}" failed; screenshot and logs in ${dir}`);
    return dir;
  }

  /** Closes the browser and stops code-server (the whole process group), always. */
  async close(): Promise<void> {
    if (this.failed && fs.existsSync(this.server.logsDir)) {
      // Again, with what the extension host wrote after the failing step.
      fs.cpSync(this.server.logsDir, path.join(this.artifactsDir(), 'logs'), { recursive: true });
    }
    try {
      await this.browser.close();
    } finally {
      await this.server.stop({ keep: false });
    }
    if (this.failed) console.log(`# workbench: artifacts of ${this.name} kept in ${this.artifactsDir()}`);
  }
}
