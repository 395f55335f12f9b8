// Installs code-server (VS Code 1.100.3 as a web workbench, the last release that runs on Node 20)
// from npm into a cache folder outside the project's node_modules, once; later runs reuse it.
//   node scripts/workbench/install.mjs        installs if needed, prints the code-server entry
// Where: $MICROVM_WORKBENCH_DIR, else ${XDG_CACHE_HOME:-~/.cache}/microvm-studio/code-server-4.100.3.
// Needs Debian packages that only root can install (.ci/run installs them); missing ones are named.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';

/** Debian packages the workbench needs: rg for code-server's search, libkrb5-dev to build
 *  its `kerberos` module, chromium to drive it, and a C/C++ toolchain for its native modules. */
export const APT_PACKAGES = ['ripgrep', 'libkrb5-dev', 'chromium', 'build-essential', 'python3', 'pkg-config'];

// code-server pins @vscode/ripgrep 1.15.11, whose postinstall downloads rg from GitHub (and rolls
// the whole install back when it cannot) unless this archive is in its cache folder.
const RIPGREP_CACHE = path.join(os.tmpdir(), 'vscode-ripgrep-cache-1.15.11');
const RIPGREP_ARCHIVE = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

export function installDir() {
  if (process.env.MICROVM_WORKBENCH_DIR) return path.resolve(process.env.MICROVM_WORKBENCH_DIR);
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'microvm-studio', `code-server-${CODE_SERVER_VERSION}`);
}

/** The script that starts code-server (run it with this Node). */
export function codeServerEntry(dir = installDir()) {
  return path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

const MARKER = '.microvm-installed';

export function isInstalled(dir = installDir()) {
  return fs.existsSync(path.join(dir, MARKER)) && fs.existsSync(codeServerEntry(dir));
}

/** The Debian packages of APT_PACKAGES that are not installed (all of them when dpkg is absent). */
export function missingPackages() {
  return APT_PACKAGES.filter((pkg) => {
    const res = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
    return res.status !== 0 || !/ installed$/.test(res.stdout.trim());
  });
}

function ensureRipgrepCache() {
  const archive = path.join(RIPGREP_CACHE, RIPGREP_ARCHIVE);
  if (fs.existsSync(archive)) return;
  fs.mkdirSync(RIPGREP_CACHE, { recursive: true });
  const pack = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-rg-'));
  try {
    fs.copyFileSync('/usr/bin/rg', path.join(pack, 'rg'));
    fs.chmodSync(path.join(pack, 'rg'), 0o755);
    // Written under another name first: a half-written archive must never be found by npm.
    execFileSync('tar', ['-czf', `${archive}.partial`, '-C', pack, 'rg']);
    fs.renameSync(`${archive}.partial`, archive);
  } finally {
    fs.rmSync(pack, { recursive: true, force: true });
  }
}

/**
 * Installs code-server if it is not there yet and returns its entry script. Throws with a precise
 * message when a prerequisite is missing or npm fails; a failed install leaves nothing behind.
 */
export function ensureCodeServer({ log = (line) => console.log(line) } = {}) {
  const dir = installDir();
  if (isInstalled(dir)) return codeServerEntry(dir);

  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 20) throw new Error(`code-server ${CODE_SERVER_VERSION} needs Node 20 (this is Node ${process.versions.node})`);
  const missing = missingPackages();
  if (missing.length > 0) {
    throw new Error(`the workbench needs these Debian packages, which are not installed: ${missing.join(' ')}\n`
      + `  install them as root: apt-get install -y --no-install-recommends ${missing.join(' ')}   (.ci/run does this)`);
  }
  ensureRipgrepCache();

  const started = Date.now();
  log(`workbench: installing code-server@${CODE_SERVER_VERSION} into ${dir} (about a minute, once)`);
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  fs.writeFileSync(path.join(partial, 'package.json'), `${JSON.stringify({ private: true, description: 'code-server for Micro-VM Studio workbench tests' }, null, 2)}\n`);
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: partial,
    encoding: 'utf8',
    env: {
      ...process.env,
      npm_config_unsafe_perm: 'true', // its postinstall refuses to run as root otherwise
      npm_config_yes: 'true', // node-pty's postinstall runs npx
      npm_config_update_notifier: 'false',
    },
  });
  const output = `${npm.stdout ?? ''}${npm.stderr ?? ''}`;
  if (npm.status !== 0 || !fs.existsSync(codeServerEntry(partial))) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw new Error(`npm install code-server@${CODE_SERVER_VERSION} failed (${npm.error?.message ?? `exit ${npm.status}`}):\n${output.split('\n').slice(-40).join('\n')}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
  fs.writeFileSync(path.join(dir, MARKER), `code-server@${CODE_SERVER_VERSION} ${new Date().toISOString()}\n`);
  log(`workbench: code-server installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return codeServerEntry(dir);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(ensureCodeServer());
  } catch (err) {
    console.error(`workbench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
