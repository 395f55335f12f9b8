// `npm run fuzz -- [--seconds N] [--target T[,T...]] [--hang-ms N] [--list]`: runs every fuzz target
// (or the named ones) one after another for N seconds each, and prints one line per target and
// node-test-style `# pass` / `# fail` / `# skipped` counts (a target passes with zero findings).
//
// Native targets (libFuzzer, clang -fsanitize=fuzzer,address,undefined): guest_image, host_print.
// TypeScript targets (fast-check in a worker thread with a watchdog): scripts/fuzz/targets.ts.
// Findings are saved to build-fuzz/findings/<target>/ (input and what happened); results of every
// run are appended to build-fuzz/results.jsonl.
import { fork, spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TARGETS } from './targets';
import { ROOT, WORK, writeNativeSeeds } from './seeds';
import type { HostMessage } from './host';

interface NativeTarget {
  readonly name: string;
  readonly what: string;
  readonly sources: readonly string[];
  readonly maxLen: number;
}

export const NATIVE_TARGETS: readonly NativeTarget[] = [
  {
    name: 'guest_image',
    what: 'guest ELF loader/validator (native/src/guest_image.cc, parseGuestImage): HostError ELF_INVALID or a load plan that keeps its promises',
    sources: ['scripts/fuzz/native/guest_image_fuzzer.cc', 'native/src/guest_image.cc', 'native/src/host_error.cc'],
    maxLen: 256 * 1024,
  },
  {
    name: 'host_print',
    what: 'HostPrint fast path (native/src/host_print_record.cc): decodeHostPrint on guest-written output buffers, isWellFormedUtf8 against a reference decoder',
    sources: ['scripts/fuzz/native/host_print_fuzzer.cc', 'native/src/host_print_record.cc'],
    maxLen: 64 * 1024,
  },
];

export interface TargetResult {
  readonly target: string;
  readonly kind: 'native' | 'typescript';
  readonly seconds: number;
  readonly executions: number;
  readonly findings: number;
  /** TypeScript: inputs refused with the reader's own error / accepted; native: corpus size. */
  readonly detail: string;
  readonly skipped?: string;
  readonly findingFiles: string[];
}

interface Options {
  seconds: number;
  targets: string[];
  hangMs: number;
  list: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { seconds: 60, targets: [], hangMs: 10_000, list: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) usage(`${arg} needs a value`);
      return next;
    };
    if (arg === '--seconds') options.seconds = Number(value());
    else if (arg === '--target') options.targets.push(...value().split(',').filter(Boolean));
    else if (arg === '--hang-ms') options.hangMs = Number(value());
    else if (arg === '--list') options.list = true;
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  }
  if (!Number.isFinite(options.seconds) || options.seconds <= 0) usage('--seconds takes a positive number');
  const known = [...NATIVE_TARGETS.map((t) => t.name), ...TARGETS.map((t) => t.name)];
  for (const t of options.targets) if (!known.includes(t)) usage(`no fuzz target ${t} (targets: ${known.join(', ')})`);
  return options;
}

function usage(problem?: string): never {
  const text = 'usage: npm run fuzz -- [--seconds N (60)] [--target T[,T...]] [--hang-ms N (10000)] [--list]';
  if (problem) {
    console.error(`fuzz: ${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}


// --- TypeScript targets -------------------------------------------------------------------------

interface HostRun {
  executions: number;
  refused: number;
  accepted: number;
  slowest: number;
  findings: string[];
}

/**
 * One child process (scripts/fuzz/host.ts) fuzzing `target` until `milliseconds` pass, a hang (it
 * kills itself: a worker stuck in a system call cannot be stopped otherwise) or its worker dies.
 */
function runHost(target: string, milliseconds: number, seed: number, hangMs: number): Promise<HostRun> {
  const run: HostRun = { executions: 0, refused: 0, accepted: 0, slowest: 0, findings: [] };
  const child = fork(path.join(__dirname, 'host.js'), [target, String(milliseconds), String(seed), String(hangMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve) => {
    child.on('message', (message: HostMessage) => {
      if (message.kind === 'stats') Object.assign(run, { ...message.stats, findings: run.findings });
      else if (message.kind === 'finding') run.findings.push(message.file);
    });
    child.on('exit', () => resolve(run));
  });
}

async function fuzzTypeScript(name: string, options: Options): Promise<TargetResult> {
  const started = Date.now();
  const deadline = started + options.seconds * 1000;
  const total: HostRun = { executions: 0, refused: 0, accepted: 0, slowest: 0, findings: [] };
  let seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  // A worker ends at the deadline, after a hang (terminated) or when it dies; the next one goes on.
  while (deadline - Date.now() > 1000) {
    const run = await runHost(name, deadline - Date.now(), seed++, options.hangMs);
    total.executions += run.executions;
    total.refused += run.refused;
    total.accepted += run.accepted;
    total.slowest = Math.max(total.slowest, run.slowest);
    total.findings.push(...run.findings);
    if (total.findings.length >= 20) break;
  }
  return {
    target: name,
    kind: 'typescript',
    seconds: Math.round((Date.now() - started) / 1000),
    executions: total.executions,
    findings: total.findings.length,
    detail: `${total.refused} refused with the reader's error, ${total.accepted} accepted, slowest input ${Math.round(total.slowest)} ms`,
    findingFiles: total.findings,
  };
}

// --- native targets -----------------------------------------------------------------------------

function clang(): string | undefined {
  for (const cc of ['clang++-14', 'clang++']) if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0) return cc;
  return undefined;
}

/** Builds the libFuzzer binary when a source is newer; undefined with the reason when it cannot. */
function buildNative(target: NativeTarget): { binary?: string; problem?: string } {
  const cc = clang();
  if (!cc) return { problem: 'no clang++ (apt-get install clang)' };
  const binary = path.join(WORK, `${target.name}_fuzzer`);
  const sources = target.sources.map((s) => path.join(ROOT, s));
  const newest = Math.max(...sources.map((s) => fs.statSync(s).mtimeMs), ...fs.readdirSync(path.join(ROOT, 'native', 'src')).filter((f) => f.endsWith('.h')).map((f) => fs.statSync(path.join(ROOT, 'native', 'src', f)).mtimeMs));
  if (fs.existsSync(binary) && fs.statSync(binary).mtimeMs >= newest) return { binary };
  fs.mkdirSync(WORK, { recursive: true });
  const args = ['-std=c++17', '-g', '-O1', '-fsanitize=fuzzer,address,undefined', '-fno-sanitize-recover=undefined', '-fno-omit-frame-pointer',
    `-I${path.join(ROOT, 'native', 'src')}`, ...sources, '-o', binary];
  const result = spawnSync(cc, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    const why = /libclang_rt\.fuzzer|fuzzer.*(not found|No such file)|cannot find.*fuzzer/i.test(result.stderr) ? ' (libFuzzer missing: apt-get install libclang-rt-14-dev)' : '';
    return { problem: `${cc} could not build ${target.name}_fuzzer${why}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  }
  return { binary };
}

function fuzzNative(target: NativeTarget, options: Options): Promise<TargetResult> {
  const started = Date.now();
  const base = { target: target.name, kind: 'native' as const, findingFiles: [] as string[] };
  const built = buildNative(target);
  if (!built.binary) return Promise.resolve({ ...base, seconds: 0, executions: 0, findings: 0, detail: '', skipped: built.problem });
  const corpus = path.join(WORK, 'corpus', target.name);
  const findingsDir = path.join(WORK, 'findings', target.name);
  fs.mkdirSync(corpus, { recursive: true });
  fs.mkdirSync(findingsDir, { recursive: true });
  const seeds = writeNativeSeeds(target.name);
  const regressions = path.join(ROOT, 'test', 'fixtures', 'fuzz', target.name);
  const dirs = [corpus, seeds, ...(fs.existsSync(regressions) ? [regressions] : [])];
  const before = new Set(fs.readdirSync(findingsDir));
  const args = [`-max_total_time=${Math.round(options.seconds)}`, `-timeout=${Math.max(1, Math.round(options.hangMs / 1000))}`, '-rss_limit_mb=2048',
    `-max_len=${target.maxLen}`, `-artifact_prefix=${findingsDir}/`, '-print_final_stats=1', ...dirs];
  const logFile = path.join(WORK, 'logs', `${target.name}.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = fs.openSync(logFile, 'w');
  return new Promise((resolve) => {
    const child = spawn(built.binary!, args, { stdio: ['ignore', log, log] });
    child.on('exit', (code, signal) => {
      fs.closeSync(log);
      const text = fs.readFileSync(logFile, 'utf8');
      const executions = Number(/stat::number_of_executed_units:\s*(\d+)/.exec(text)?.[1] ?? /Done (\d+) runs/.exec(text)?.[1] ?? 0);
      const corpusSize = fs.readdirSync(corpus).length;
      const fresh = fs.readdirSync(findingsDir).filter((f) => !before.has(f)).map((f) => path.join(findingsDir, f));
      const failed = code !== 0 || signal !== null;
      if (failed) {
        const summary = text.split('\n').filter((l) => /ERROR|SUMMARY|guest_image_fuzzer:|host_print_fuzzer:|Test unit written/.test(l)).slice(0, 6).join('\n      ');
        console.log(`fuzz: ${target.name}: FINDING (exit ${code ?? signal}); log ${path.relative(ROOT, logFile)}\n      ${summary}`);
      }
      resolve({
        ...base,
        seconds: Math.round((Date.now() - started) / 1000),
        executions,
        findings: failed ? Math.max(1, fresh.length) : 0,
        detail: `corpus ${corpusSize} inputs, ${/cov: (\d+)/.exec(text.split('\n').filter((l) => l.includes('cov:')).pop() ?? '')?.[1] ?? '?'} coverage points`,
        findingFiles: fresh,
      });
    });
  });
}

// --- main ---------------------------------------------------------------------------------------

export async function main(argv: readonly string[]): Promise<number> {
  const options = parseArgs(argv);
  const all = [...NATIVE_TARGETS.map((t) => ({ name: t.name, what: t.what, kind: 'native' })), ...TARGETS.map((t) => ({ name: t.name, what: t.what, kind: 'typescript' }))];
  if (options.list) {
    for (const t of all) console.log(`${t.name.padEnd(12)} ${t.kind.padEnd(10)} ${t.what}`);
    return 0;
  }
  const chosen = options.targets.length > 0 ? all.filter((t) => options.targets.includes(t.name)) : all;
  const results: TargetResult[] = [];
  for (const t of chosen) {
    console.log(`fuzz: ${t.name} (${t.kind}) for ${options.seconds} s ...`);
    const native = NATIVE_TARGETS.find((n) => n.name === t.name);
    const result = native ? await fuzzNative(native, options) : await fuzzTypeScript(t.name, options);
    results.push(result);
    fs.mkdirSync(WORK, { recursive: true });
    fs.appendFileSync(path.join(WORK, 'results.jsonl'), `${JSON.stringify({ ...result, when: new Date().toISOString() })}\n`);
    if (result.skipped) console.log(`fuzz: ${t.name}: skipped: ${result.skipped}`);
    else console.log(`fuzz: ${t.name}: ${result.seconds} s, ${result.executions} executions, ${result.findings} findings (${result.detail})`);
  }
  const failed = results.filter((r) => r.findings > 0);
  const skipped = results.filter((r) => r.skipped);
  console.log(`# fuzz targets ${results.length}`);
  console.log(`# pass ${results.length - failed.length - skipped.length}`);
  console.log(`# fail ${failed.length}`);
  console.log(`# skipped ${skipped.length}`);
  if (failed.length > 0) console.log(`fuzz: findings in ${failed.map((r) => r.target).join(', ')}: see build-fuzz/findings/`);
  return failed.length > 0 ? 1 : 0;
}
