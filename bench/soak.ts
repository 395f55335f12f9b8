// `npm run bench -- --soak`: long runs that look for leaks, not speed. Four parts, one at a time:
//   host API    one process (bench/soak-child.ts) doing warm calls, create/dispose cycles and
//               faulting calls interleaved round by round; its RSS, descriptors and threads sampled
//   HTTP        `microvm serve` under two `hey` processes for a fixed time, one client in ten on
//               the fault route; the server's VmRSS, descriptors and threads sampled from /proc
//   DAP inline  MicroVmDebugSession objects in one process, as the VS Code extension runs them
//   DAP stdio   `node dist/debug-adapter.js` processes, each of which must exit by itself
// Each part says what it did, the curve it saw, and whether it stayed flat.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ROUTES } from '../native/lib/server';
import { buildTestGuest, testGuestSource } from '../test/guests/build-guests';
import { adapterPath, DapClient } from './dap';
import { checkRoutes, listeningUrl, type ServeChild } from './http';
import type { SoakDapInlineOptions, SoakDapInlineResult, SoakHostApiOptions, SoakHostApiResult } from './soak-child';
import { census, flatness, type Flatness, type ProcessCensus, type SoakSample } from './soak-process';

export interface SoakOptions {
  readonly calls: number;
  readonly cycles: number;
  readonly faults: number;
  readonly rounds: number;
  /** 0 skips the HTTP part. */
  readonly httpSeconds: number;
  /** hey clients in all; one of them on the fault route. */
  readonly httpConcurrency: number;
  /** microvm serve --pool (its default, 4: with 10 clients, requests queue for a sandbox). */
  readonly httpPool: number;
  readonly httpSampleSeconds: number;
  /** 0 skips the inline DAP part. */
  readonly dapSessions: number;
  /** 0 skips the stdio DAP part. */
  readonly dapProcesses: number;
}

export const SOAK_DEFAULTS: SoakOptions = {
  calls: 1_000_000,
  cycles: 100_000,
  faults: 10_000,
  rounds: 100,
  httpSeconds: 300,
  httpConcurrency: 10,
  httpPool: 4,
  httpSampleSeconds: 10,
  dapSessions: 1000,
  dapProcesses: 1000,
};

/** What "flat" allows: RSS may grow this much after the warm-up (the issue's 5 MiB). */
export const RSS_GROWTH_LIMIT_KIB = 5 * 1024;
/** The first tenth of a run is its warm-up. */
export const WARMUP_FRACTION = 0.1;

/** Machine load around a part: the soaks share 2 cores with whatever else runs. */
export interface Load {
  readonly load_before: readonly number[];
  readonly load_after: readonly number[];
}

export interface HostApiSoak extends SoakHostApiResult, Load {
  readonly flatness: Flatness;
}

export interface DapInlineSoak extends SoakDapInlineResult, Load {
  readonly flatness: Flatness;
}

export interface HeySummary {
  readonly route: string;
  readonly concurrency: number;
  /** Responses by status code. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Requests that got no response (connection errors, timeouts), with hey's wording. */
  readonly errors: number;
  readonly error_kinds: readonly string[];
  readonly requests_per_sec: number;
  readonly average_ms: number;
  readonly p99_ms: number;
  readonly slowest_ms: number;
}

export interface HttpSoak extends Load {
  readonly seconds: number;
  readonly pool: number;
  readonly route_checks: Readonly<Record<string, number>>;
  readonly warm: HeySummary;
  readonly fault: HeySummary;
  /** Requests in all, and the fault route's share of them. */
  readonly requests: number;
  readonly fault_share: number;
  /** Warm answers other than 200, fault answers other than 500, and requests with no answer. */
  readonly failed: number;
  readonly samples: readonly SoakSample[];
  readonly flatness: Flatness;
  /** GET vm-count after the load: the pool, and nothing else, alive. */
  readonly vm_count_after: number;
  readonly clean_shutdown: boolean;
  readonly shutdown_ms: number;
  readonly server_output_tail: string;
}

export interface StdioSession {
  readonly kind: 'disconnect' | 'stdin-closed';
  /** The adapter process at its breakpoint stop. */
  readonly at_stop: ProcessCensus;
  /** Processes the adapter had started (none expected). */
  readonly children: number;
  readonly exit_code: number | null;
  readonly exit_signal: string | null;
  /** The bench had to kill it (it did not exit within 5 s). */
  readonly killed: boolean;
  /** From the disconnect (or the end of its input) to its exit. */
  readonly exit_ms: number;
  readonly error?: string;
}

export interface DapStdioSoak extends Load {
  readonly processes: number;
  readonly sessions: readonly StdioSession[];
  /** Sessions whose process exited 0 by itself. */
  readonly clean_exits: number;
  /** The bench process before the first adapter and after the last: its pipes to them all closed. */
  readonly bench_before: ProcessCensus;
  readonly bench_after: ProcessCensus;
}

export interface SoakResults {
  readonly date: string;
  readonly command: string;
  readonly host_api: HostApiSoak;
  readonly http: HttpSoak | { readonly skipped: string };
  readonly dap_inline: DapInlineSoak | { readonly skipped: string };
  readonly dap_stdio: DapStdioSoak | { readonly skipped: string };
}

const progress = (text: string): void => void process.stderr.write(`bench: soak: ${text}\n`);
const loadNow = (): number[] => os.loadavg().map((x) => Math.round(x * 100) / 100);

/**
 * Copies a guest into a directory of the soak's own: a soak runs for many minutes, and a rebuild
 * elsewhere in the tree (node-gyp rebuild empties build/) must not pull the file from under it.
 */
function privateCopy(dir: string, file: string): string {
  const copy = path.join(dir, path.basename(file));
  fs.copyFileSync(file, copy);
  return copy;
}

/** Runs a soak-child mode, its progress passed through to stderr, and parses its JSON. */
function runChild<T>(root: string, mode: string, options: object): Promise<T> {
  const script = path.join(root, 'out', 'bench', 'soak-child.js');
  const child = spawn(process.execPath, ['--expose-gc', script, mode, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    process.stderr.write(chunk.replace(/^soak: /gm, 'bench: soak: '));
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) reject(new Error(`soak-child ${mode} failed (${signal ?? `status ${code}`}): ${stderr.trim().split('\n').slice(-5).join('\n')}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}

export async function measureSoak(root: string, helloElf: string, options: SoakOptions): Promise<SoakResults> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-soak-'));
  try {
    const guest = privateCopy(dir, helloElf);
    const debuggee = privateCopy(dir, buildTestGuest('debuggee', { optimize: '0' }));
    const source = path.resolve(testGuestSource('debuggee'));
    const breakLine = fs.readFileSync(source, 'utf8').split('\n').findIndex((line) => line.includes('MARK: loop body')) + 1;
    if (breakLine === 0) throw new Error(`${source} has no "MARK: loop body"`);

    progress(`host API: ${options.calls} warm calls, ${options.cycles} create/dispose cycles, ${options.faults} faulting calls in ${options.rounds} rounds, one process`);
    let load_before = loadNow();
    const hostOptions: SoakHostApiOptions = { guest, calls: options.calls, cycles: options.cycles, faults: options.faults, rounds: options.rounds };
    const hostResult = await runChild<SoakHostApiResult>(root, 'host-api', hostOptions);
    const host_api: HostApiSoak = { ...hostResult, load_before, load_after: loadNow(), flatness: flatness(hostResult.samples, WARMUP_FRACTION) };

    let httpResult: SoakResults['http'];
    if (options.httpSeconds === 0) httpResult = { skipped: '--no-http' };
    else {
      progress(`HTTP: microvm serve --pool ${options.httpPool} under hey for ${options.httpSeconds} s, ${options.httpConcurrency - 1} clients on /warm and 1 on the fault route`);
      httpResult = await soakHttp(root, guest, options);
    }

    let dap_inline: SoakResults['dap_inline'];
    if (options.dapSessions === 0) dap_inline = { skipped: '--no-dap' };
    else {
      progress(`debug adapter inline: ${options.dapSessions} sessions of MicroVmDebugSession in one process`);
      load_before = loadNow();
      const inlineOptions: SoakDapInlineOptions = { program: debuggee, source, breakLine, sessions: options.dapSessions, samples: Math.min(50, options.dapSessions) };
      const inline = await runChild<SoakDapInlineResult>(root, 'dap-inline', inlineOptions);
      dap_inline = { ...inline, load_before, load_after: loadNow(), flatness: flatness(inline.samples, WARMUP_FRACTION) };
    }

    let dap_stdio: SoakResults['dap_stdio'];
    const adapter = adapterPath(root);
    if (options.dapProcesses === 0) dap_stdio = { skipped: '--no-dap' };
    else if (!fs.existsSync(adapter)) dap_stdio = { skipped: `${path.relative(root, adapter)} is missing (run \`npm run build\`)` };
    else {
      progress(`debug adapter over stdio: ${options.dapProcesses} adapter processes`);
      dap_stdio = await soakDapStdio(adapter, { program: debuggee, source, breakLine }, options.dapProcesses);
    }
    return { date: new Date().toISOString(), command: '', host_api, http: httpResult, dap_inline, dap_stdio };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// -----------------------------------------------------------------------------------------------
// HTTP

/** Reads hey's text summary (status code and error distributions, latency). */
export function parseHeySummary(text: string, route: string, concurrency: number): HeySummary {
  const seconds = (label: string): number => Number(new RegExp(`${label}:\\s+([\\d.]+) secs`).exec(text)?.[1] ?? NaN);
  const statuses: Record<string, number> = {};
  const statusBlock = /Status code distribution:\n([\s\S]*?)(?:\n\s*\n|$)/.exec(text)?.[1] ?? '';
  for (const match of statusBlock.matchAll(/\[(\d+)\]\s+(\d+) responses/g)) statuses[match[1]] = Number(match[2]);
  let errors = 0;
  const kinds: string[] = [];
  const errorBlock = /Error distribution:\n([\s\S]*?)(?:\n\s*\n|$)/.exec(text)?.[1] ?? '';
  for (const match of errorBlock.matchAll(/\[(\d+)\]\s+(.*)/g)) {
    errors += Number(match[1]);
    kinds.push(`${match[1]}× ${match[2].trim()}`);
  }
  return {
    route,
    concurrency,
    statuses,
    errors,
    error_kinds: kinds,
    requests_per_sec: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN),
    average_ms: seconds('Average') * 1000,
    p99_ms: Number(/99% in ([\d.]+) secs/.exec(text)?.[1] ?? NaN) * 1000,
    slowest_ms: seconds('Slowest') * 1000,
  };
}

function runHey(url: string, seconds: number, concurrency: number): Promise<string> {
  const child = spawn('hey', ['-z', `${seconds}s`, '-c', String(concurrency), url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', (error) => reject(new Error(`could not run hey: ${error.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`hey exited with ${code}: ${err}`))));
  });
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(error);
        }
      });
    }).on('error', reject);
  });
}

async function soakHttp(root: string, guest: string, options: SoakOptions): Promise<HttpSoak> {
  const load_before = loadNow();
  const child: ServeChild = spawn(process.execPath, [path.join(root, 'bin', 'microvm.js'), 'serve', '--port', '0', '--pool', String(options.httpPool), '--guest', guest], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const pid = child.pid!;
  const samples: SoakSample[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    const base = await listeningUrl(child, exited, () => output);
    const route_checks = await checkRoutes(base);
    const started = process.hrtime.bigint();
    const elapsed = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    const sample = (): void => {
      const s = elapsed();
      samples.push({ at: `${Math.round(s)} s`, progress: Math.min(1, s / options.httpSeconds), elapsed_s: s, ...census(pid) });
    };
    sample();
    timer = setInterval(() => {
      try {
        sample();
      } catch {
        // The server is gone; the run fails below.
      }
    }, options.httpSampleSeconds * 1000);
    const faultClients = 1;
    const warmClients = Math.max(1, options.httpConcurrency - faultClients);
    const [warmText, faultText] = await Promise.all([
      runHey(`${base}${ROUTES.warm}`, options.httpSeconds, warmClients),
      runHey(`${base}${ROUTES.derefNull}`, options.httpSeconds, faultClients),
    ]);
    clearInterval(timer);
    timer = undefined;
    sample();
    const warm = parseHeySummary(warmText, ROUTES.warm, warmClients);
    const fault = parseHeySummary(faultText, ROUTES.derefNull, faultClients);
    const total = (h: HeySummary): number => Object.values(h.statuses).reduce((a, b) => a + b, 0) + h.errors;
    const requests = total(warm) + total(fault);
    const failed = total(warm) - (warm.statuses['200'] ?? 0) + total(fault) - (fault.statuses['500'] ?? 0);
    const vmCount = (await getJson(`${base}${ROUTES.vmCount}`)) as { vm_count?: number };
    const stopAt = process.hrtime.bigint();
    child.kill('SIGTERM');
    const code = await exited;
    const shutdown_ms = Number(process.hrtime.bigint() - stopAt) / 1e6;
    return {
      seconds: options.httpSeconds,
      pool: options.httpPool,
      route_checks,
      warm,
      fault,
      requests,
      fault_share: requests > 0 ? total(fault) / requests : NaN,
      failed,
      samples,
      flatness: flatness(samples, WARMUP_FRACTION),
      vm_count_after: vmCount.vm_count ?? NaN,
      clean_shutdown: code === 0 && /stopped; 0 micro-VMs remain/.test(output),
      shutdown_ms,
      server_output_tail: output.trim().split('\n').slice(-2).join('\n'),
      load_before,
      load_after: loadNow(),
    };
  } finally {
    if (timer) clearInterval(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

// -----------------------------------------------------------------------------------------------
// DAP over stdio: one adapter process per session, as VS Code runs `node dist/debug-adapter.js`.

/** Processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: the fields after the last ')' are plain.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

async function stdioSession(adapter: string, guest: { program: string; source: string; breakLine: number }, kind: StdioSession['kind']): Promise<StdioSession> {
  const client = new DapClient(adapter, undefined);
  const pid = client.pid!;
  let atStop: ProcessCensus = { rss_kib: NaN, fds: NaN, threads: NaN, kvm_threads: NaN, fd_kinds: {} };
  let children = 0;
  let error: string | undefined;
  let endedAt = process.hrtime.bigint();
  try {
    await client.request('initialize', { clientID: 'microvm-soak', adapterID: 'microvm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const initialized = client.event('initialized');
    const stopped = client.event<DebugProtocol.StoppedEvent>('stopped');
    await client.request('launch', { type: 'microvm', request: 'launch', name: 'soak', program: guest.program, function: 'Accumulate', args: [2_000_000_000], timeoutMs: 600_000 });
    await initialized;
    await client.request('setBreakpoints', { source: { path: guest.source }, breakpoints: [{ line: guest.breakLine }] });
    await client.request('configurationDone');
    const stop = await stopped;
    if (stop.message.body.reason !== 'breakpoint') throw new Error(`stopped for ${stop.message.body.reason}, not the breakpoint`);
    await client.request('stackTrace', { threadId: 1, startFrame: 0, levels: 20 });
    atStop = census(pid);
    children = childrenOf(pid).length;
    const next = client.event('stopped');
    await client.request('next', { threadId: 1 });
    await next;
    const step = client.event('stopped');
    await client.request('stepIn', { threadId: 1, granularity: 'instruction' });
    await step;
  } catch (failure) {
    error = (failure as Error).message.split('\n')[0];
  } finally {
    endedAt = process.hrtime.bigint();
    // 'disconnect': what VS Code sends; 'stdin-closed': a client that went away without a word.
    await client.close({ disconnect: kind === 'disconnect' });
  }
  const exit = client.exitStatus;
  return {
    kind,
    at_stop: atStop,
    children,
    exit_code: exit?.code ?? null,
    exit_signal: exit?.signal ?? null,
    killed: client.killed,
    exit_ms: Number(process.hrtime.bigint() - endedAt) / 1e6,
    ...(error ? { error } : {}),
  };
}

async function soakDapStdio(adapter: string, guest: { program: string; source: string; breakLine: number }, processes: number): Promise<DapStdioSoak> {
  const load_before = loadNow();
  const bench_before = census();
  const sessions: StdioSession[] = [];
  for (let i = 0; i < processes; i++) {
    // One session in five ends by closing the adapter's input, as a client that crashed would.
    sessions.push(await stdioSession(adapter, guest, i % 5 === 4 ? 'stdin-closed' : 'disconnect'));
    if ((i + 1) % Math.max(1, Math.round(processes / 5)) === 0) progress(`debug adapter over stdio: ${i + 1}/${processes} processes`);
  }
  // Let the pipes' handles close before counting this process's descriptors.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const bench_after = census();
  return {
    processes,
    sessions,
    clean_exits: sessions.filter((s) => s.exit_code === 0 && !s.killed && s.error === undefined).length,
    bench_before,
    bench_after,
    load_before,
    load_after: loadNow(),
  };
}
