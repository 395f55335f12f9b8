// HTTP figures: `hey` against `microvm serve` (a child process, as users run it) on the warm and
// cold routes and on its no-VM route, in the same run, so that the VM's share is a ratio.
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { HELLO_MESSAGE, ROUTES } from '../native/lib/server';

export interface HeyResult {
  readonly requests: number;
  readonly concurrency: number;
  readonly ok: number;
  readonly failed: number;
  readonly average_us: number;
  readonly p50_us: number;
  readonly p99_us: number;
  readonly fastest_us: number;
  readonly slowest_us: number;
  readonly requests_per_sec: number;
}

export interface HttpResults {
  readonly pool: number;
  /** Status of one plain GET per route before the load, each checked against the expected answer. */
  readonly route_checks: Readonly<Record<string, number>>;
  readonly noop: HeyResult;
  readonly warm: HeyResult;
  readonly cold: HeyResult;
  /** `microvm serve` stopped on SIGTERM with exit 0 and no VM left. */
  readonly clean_shutdown: boolean;
}

export interface HttpOptions {
  readonly requests: number;
  readonly concurrency: number;
  /** Unreported requests per route first (JIT, caches, the vCPU threads). */
  readonly warmupRequests: number;
}

/** Why HTTP cannot be measured here, or undefined when it can. */
export function httpUnavailable(): string | undefined {
  const probe = spawnSync('hey', [], { stdio: 'ignore' });
  return probe.error ? 'hey is not installed (Debian package `hey`)' : undefined;
}

export type ServeChild = ChildProcessByStdio<null, Readable, Readable>;

export async function measureHttp(root: string, guest: string, options: HttpOptions): Promise<HttpResults> {
  const pool = options.concurrency; // one sandbox per concurrent client: warm requests never queue
  const child: ServeChild = spawn(process.execPath, [path.join(root, 'bin', 'microvm.js'), 'serve', '--port', '0', '--pool', String(pool), '--guest', guest], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const base = await listeningUrl(child, exited, () => output);
    const route_checks = await checkRoutes(base);
    const run = (route: string): HeyResult => {
      if (options.warmupRequests > 0) hey(`${base}${route}`, options.warmupRequests, options.concurrency);
      return hey(`${base}${route}`, options.requests, options.concurrency);
    };
    const noop = run(ROUTES.noop);
    const warm = run(ROUTES.warm);
    const cold = run(ROUTES.cold);
    child.kill('SIGTERM');
    const code = await exited;
    const clean_shutdown = code === 0 && /stopped; 0 micro-VMs remain/.test(output);
    return { pool, route_checks, noop, warm, cold, clean_shutdown };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

export function listeningUrl(child: ServeChild, exited: Promise<number | null>, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`microvm serve did not start within 60 s:\n${output()}`)), 60_000);
    child.stdout.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(output());
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`microvm serve exited with status ${code}:\n${output()}`));
    });
  });
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

export async function checkRoutes(base: string): Promise<Record<string, number>> {
  const expected: [string, number, (body: string) => boolean][] = [
    [ROUTES.cold, 200, (body) => body === HELLO_MESSAGE],
    [ROUTES.warm, 200, (body) => body === HELLO_MESSAGE],
    [ROUTES.noop, 200, (body) => body === HELLO_MESSAGE],
    [ROUTES.vmCount, 200, (body) => typeof (JSON.parse(body) as { vm_count?: unknown }).vm_count === 'number'],
    [ROUTES.derefNull, 500, (body) => (JSON.parse(body) as { fault?: { vector?: unknown } }).fault?.vector === 14],
  ];
  const statuses: Record<string, number> = {};
  for (const [route, status, good] of expected) {
    const answer = await get(`${base}${route}`);
    if (answer.status !== status || !good(answer.body)) throw new Error(`GET ${route} answered ${answer.status}: ${answer.body}`);
    statuses[route] = answer.status;
  }
  return statuses;
}

// hey's summary rounds to 0.1 ms; its per-request CSV does too, but the mean of 1,000 rounded
// samples is far more precise than one rounded mean, and the percentiles come from the samples.
function hey(url: string, requests: number, concurrency: number): HeyResult {
  const run = spawnSync('hey', ['-n', String(requests), '-c', String(Math.min(concurrency, requests)), '-o', 'csv', url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw new Error(`could not run hey: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`hey exited with ${run.status}: ${run.stderr}`);
  return parseHeyCsv(run.stdout, requests, concurrency);
}

/** Reads `hey -o csv`: response-time (s), ..., status-code, offset (s) per request. */
export function parseHeyCsv(text: string, requests: number, concurrency: number): HeyResult {
  const rows = text.split('\n').filter((line) => /^[\d.]+,/.test(line)).map((line) => line.split(','));
  const okRows = rows.filter((row) => row[6] === '200');
  const times = okRows.map((row) => Number(row[0]) * 1e6).sort((a, b) => a - b);
  const at = (q: number): number => (times.length ? times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)] : NaN);
  const wallSeconds = Math.max(0, ...rows.map((row) => Number(row[7]) + Number(row[0])));
  return {
    requests,
    concurrency,
    ok: okRows.length,
    failed: requests - okRows.length,
    average_us: times.length ? times.reduce((sum, t) => sum + t, 0) / times.length : NaN,
    p50_us: at(0.5),
    p99_us: at(0.99),
    fastest_us: times.length ? times[0] : NaN,
    slowest_us: times.length ? times[times.length - 1] : NaN,
    requests_per_sec: wallSeconds > 0 ? rows.length / wallSeconds : NaN,
  };
}
