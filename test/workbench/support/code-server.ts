// Starts and stops code-server (a real VS Code 1.100 workbench served to a browser) for workbench
// tests. Every server gets fresh folders of its own (user data, extensions, XDG config/data/cache,
// so nothing is written to the home folder), runs in its own process group, and is stopped by
// killing that whole group: killing only its PID would leave its file watcher and extension hosts
// running for hours, waiting for a reconnect. Servers still running when the process exits or is
// signalled are killed too, and each one is registered in $MICROVM_WB_RUN_DIR (when set) so that
// the suite runner can sweep up after a process that was killed outright.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';

/** code-server's entry script: $MICROVM_CODE_SERVER_BIN (set by the suite runner), else where
 *  scripts/workbench/install.mjs installs it. */
export function codeServerEntry(): string {
  if (process.env.MICROVM_CODE_SERVER_BIN) return process.env.MICROVM_CODE_SERVER_BIN;
  const dir = process.env.MICROVM_WORKBENCH_DIR
    ?? path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'microvm-studio', `code-server-${CODE_SERVER_VERSION}`);
  const entry = path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!fs.existsSync(entry)) throw new Error(`code-server is not installed (${entry} is missing): run \`node scripts/workbench/install.mjs\``);
  return entry;
}

/** The folders of one code-server instance, all under `home`. */
export interface CodeServerDirs {
  home: string;
  userDataDir: string;
  extensionsDir: string;
  xdg: { config: string; data: string; cache: string };
}

/** Fresh folders for a code-server instance in a new temporary folder. */
export function makeDirs(prefix = 'microvm-wb-'): CodeServerDirs {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const dirs: CodeServerDirs = {
    home,
    userDataDir: path.join(home, 'user-data'),
    extensionsDir: path.join(home, 'extensions'),
    xdg: { config: path.join(home, 'xdg', 'config'), data: path.join(home, 'xdg', 'data'), cache: path.join(home, 'xdg', 'cache') },
  };
  for (const dir of [dirs.userDataDir, dirs.extensionsDir, ...Object.values(dirs.xdg)]) fs.mkdirSync(dir, { recursive: true });
  return dirs;
}

function codeServerEnv(dirs: CodeServerDirs, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    XDG_CONFIG_HOME: dirs.xdg.config,
    XDG_DATA_HOME: dirs.xdg.data,
    XDG_CACHE_HOME: dirs.xdg.cache,
    ...extra,
  };
}

/** Installs a .vsix into the instance's extensions folder (`code-server --install-extension`). */
export function installExtension(dirs: CodeServerDirs, vsix: string): void {
  const res = spawnSync(process.execPath, [
    codeServerEntry(), '--user-data-dir', dirs.userDataDir, '--extensions-dir', dirs.extensionsDir, '--install-extension', vsix,
  ], { env: codeServerEnv(dirs), encoding: 'utf8', timeout: 120_000 });
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  if (res.status !== 0 || !/successfully installed/.test(output)) {
    throw new Error(`code-server --install-extension ${vsix} failed (${res.error?.message ?? `exit ${res.status}`}):\n${output}`);
  }
}

/** Writes the user settings.json of the instance (before it starts). */
export function writeUserSettings(dirs: CodeServerDirs, settings: Record<string, unknown>): void {
  const file = path.join(dirs.userDataDir, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
}

/**
 * Settings that keep the workbench quiet and deterministic without touching what is tested: no
 * Welcome page, tips, update checks or extension recommendations; git off (no repository here).
 */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'git.enabled': false,
  'security.workspace.trust.enabled': false,
};

export interface StartOptions {
  /** The folder the workbench opens (also given to `--ignore-last-opened`). */
  folder: string;
  /** Fresh folders (makeDirs) when not given. */
  dirs?: CodeServerDirs;
  /** Extra environment for code-server and the extension hosts it starts. */
  env?: Record<string, string>;
  /** Readiness timeout. Default 60 s. */
  timeoutMs?: number;
}

export interface CodeServer {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly dirs: CodeServerDirs;
  /** code-server's own stdout and stderr. */
  readonly logFile: string;
  /** The VS Code logs (`<user-data-dir>/logs`): extension host, remote agent, exthost output. */
  readonly logsDir: string;
  /** A path on this machine as the workbench's remote URI (vscode-remote://127.0.0.1:PORT/abs/path). */
  remoteUri(absPath: string): string;
  /** Kills the whole process group; removes the instance's folders unless `keep`. */
  stop(options?: { keep?: boolean }): Promise<void>;
}

/** Running servers: process group → the folder holding their user data and logs. */
const live = new Map<number, string>();

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

function registryFile(pgid: number): string | undefined {
  return process.env.MICROVM_WB_RUN_DIR ? path.join(process.env.MICROVM_WB_RUN_DIR, `code-server-${pgid}.pgid`) : undefined;
}

let handlersInstalled = false;
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const killAll = (): void => {
    for (const [pgid] of live) {
      killGroup(pgid, 'SIGKILL');
      const registered = registryFile(pgid);
      if (registered) fs.rmSync(registered, { force: true });
    }
    for (const home of live.values()) fs.rmSync(home, { recursive: true, force: true });
    live.clear();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(128 + os.constants.signals[signal]);
    });
  }
}

/** A free TCP port on 127.0.0.1 (free when asked; code-server takes it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(0);
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts code-server on a free port and waits until it answers. */
export async function startCodeServer(options: StartOptions): Promise<CodeServer> {
  const dirs = options.dirs ?? makeDirs();
  const entry = codeServerEntry();
  installExitHandlers();
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const logFile = path.join(dirs.home, `code-server-${port}.log`);
    const log = fs.openSync(logFile, 'a');
    // detached: the child calls setsid(2), so it leads a process group (and session) of its own
    // that holds everything it starts, and the group can be killed as one.
    const child: ChildProcess = spawn(process.execPath, [
      entry,
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--user-data-dir', dirs.userDataDir,
      '--extensions-dir', dirs.extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--ignore-last-opened',
      options.folder,
    ], { detached: true, stdio: ['ignore', log, log], env: codeServerEnv(dirs, options.env) });
    fs.closeSync(log);
    const pgid = child.pid;
    if (pgid === undefined) throw new Error(`could not start code-server (${entry})`);
    live.set(pgid, dirs.home);
    const registered = registryFile(pgid);
    if (registered) fs.writeFileSync(registered, `${pgid}\n${dirs.home}\n`);
    let exited: string | undefined;
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? code}`;
    });

    const stop = async ({ keep = false } = {}): Promise<void> => {
      killGroup(pgid, 'SIGTERM');
      for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
      if (groupAlive(pgid)) {
        killGroup(pgid, 'SIGKILL');
        for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
      }
      live.delete(pgid);
      if (registered) fs.rmSync(registered, { force: true });
      if (!keep) fs.rmSync(dirs.home, { recursive: true, force: true });
    };

    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    while (exited === undefined && Date.now() < deadline && (await httpStatus(`${url}/healthz`)) !== 200) await sleep(200);
    if (exited === undefined && Date.now() < deadline) {
      return {
        port,
        url,
        dirs,
        logFile,
        logsDir: path.join(dirs.userDataDir, 'logs'),
        remoteUri: (absPath: string) => `vscode-remote://127.0.0.1:${port}${path.resolve(absPath)}`,
        stop,
      };
    }
    const text = fs.readFileSync(logFile, 'utf8');
    await stop({ keep: true });
    lastError = new Error(`code-server ${exited ?? 'did not answer in time'} on port ${port}; the end of its output:\n${text.split('\n').slice(-30).join('\n')}`);
    // A port taken between freePort() and the bind is the one failure worth another try.
    if (!/EADDRINUSE/.test(text)) break;
  }
  throw lastError ?? new Error('could not start code-server');
}
