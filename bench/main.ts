// `npm run bench` (bench/run.js → here): the floor, in-process, HTTP, debugger (DAP) and density
// figures of one run, as a table (or JSON with --json), written into docs/performance.md.
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../guest-templates/toolchain';
import { dapUnavailable, measureDap } from './dap';
import { measureDensity } from './density';
import { measureFloor } from './floor';
import { buildBenchGuests } from './guests';
import { httpUnavailable, measureHttp } from './http';
import { measureInProcess } from './inprocess';
import { buildRustHello, buildWasmHello, measureWasm, type WasmResults } from './languages';
import { machineFacts } from './machine';
import { markdown, rows, targets, writeReport, type BenchResults } from './report';
import { measureSoak, SOAK_DEFAULTS, type SoakOptions } from './soak';
import { soakChecks, soakMarkdown, writeSoakReport, type SoakReport } from './soak-report';
import { buildHelloGuest } from '../guest-templates/build-cache';

interface Options {
  iterations: number;
  bytesIterations: number;
  cold: number;
  floorExits: number;
  floorCreates: number;
  httpRequests: number;
  httpConcurrency: number;
  httpWarmup: number;
  density: number;
  dapLaunches: number;
  dapSteps: number;
  dapNexts: number;
  /** Where the adapter processes write V8 CPU profiles (node --cpu-prof), if anywhere. */
  dapCpuProfileDir: string | undefined;
  http: boolean;
  densityEnabled: boolean;
  dap: boolean;
  json: boolean;
  /** --soak: the soak and load runs (bench/soak.ts) instead of the figures. */
  soak: boolean;
  soakOptions: { -readonly [K in keyof SoakOptions]: SoakOptions[K] };
  out: string | undefined;
  /** Where the JSON of the run behind the report goes (kept so that the table can be traced). */
  resultsOut: string | undefined;
}

const NUMERIC: Record<string, keyof Options> = {
  '--iterations': 'iterations',
  '--bytes-iterations': 'bytesIterations',
  '--cold': 'cold',
  '--floor-exits': 'floorExits',
  '--floor-creates': 'floorCreates',
  '--http-requests': 'httpRequests',
  '--http-concurrency': 'httpConcurrency',
  '--http-warmup': 'httpWarmup',
  '--density': 'density',
  '--dap-launches': 'dapLaunches',
  '--dap-steps': 'dapSteps',
  '--dap-nexts': 'dapNexts',
};

const SOAK_NUMERIC: Record<string, keyof SoakOptions> = {
  '--soak-calls': 'calls',
  '--soak-cycles': 'cycles',
  '--soak-faults': 'faults',
  '--soak-rounds': 'rounds',
  '--soak-http-seconds': 'httpSeconds',
  '--soak-http-concurrency': 'httpConcurrency',
  '--soak-http-pool': 'httpPool',
  '--soak-http-sample-seconds': 'httpSampleSeconds',
  '--soak-dap-sessions': 'dapSessions',
  '--soak-dap-processes': 'dapProcesses',
};

const USAGE = `Usage: npm run bench -- [flags]
  --iterations N        warm calls per in-process figure (default 2000)
  --bytes-iterations N  calls with a 1 MiB argument (default 200)
  --cold N              cold create + call + destroy rounds (default 200)
  --floor-exits N       raw KVM exits timed by kvm-floor (default 20000)
  --floor-creates N     raw VM lifecycles timed by kvm-floor (default 200)
  --http-requests N     hey -n (default 1000)
  --http-concurrency N  hey -c, also the server's pool size (default 5)
  --http-warmup N       unreported requests per route first (default 200)
  --density N           idle sandboxes held at once (default 1000; the issue's figure is 10000)
  --dap-launches N      debug adapter processes started, one launch to a breakpoint each (default 20)
  --dap-steps N         instruction steps (stepIn, granularity instruction) in the first (default 200)
  --dap-nexts N         line steps (next) in the first, after the instruction steps (default 100)
  --dap-cpu-prof DIR    write a CPU profile of each adapter process into DIR (node --cpu-prof)
  --no-http, --no-density, --no-dap   skip those parts
  --soak                the soak and load runs instead (docs/reliability.md, "Soak and load"; about
                        30 minutes): warm calls, create/dispose cycles and faults in one process,
                        microvm serve under hey, debug sessions inline and over stdio; --no-http and
                        --no-dap skip those parts; its report goes to docs/reliability.md and
                        bench/results/soak.json unless --out FILE or --no-write
  --soak-calls N        warm calls (default 1000000)
  --soak-cycles N       Sandbox.create/dispose cycles (default 100000)
  --soak-faults N       faulting calls (default 10000)
  --soak-rounds N       rounds the three are interleaved in, one sample each (default 100)
  --soak-http-seconds N how long hey runs (default 300)
  --soak-http-concurrency N  hey clients, one of them on the fault route (default 10)
  --soak-http-pool N    microvm serve --pool (default 4)
  --soak-http-sample-seconds N  how often the server's /proc is read (default 10)
  --soak-dap-sessions N inline debug sessions in one process (default 1000)
  --soak-dap-processes N  stdio debug adapter processes, one session each (default 1000)
  --json                print the results as JSON instead of the table
  --out FILE            the report to update (default docs/performance.md; the run's JSON goes to
                        bench/results/latest.json, or FILE.json with --out); --no-write to skip both
`;

class UsageError extends Error {}

function parse(argv: readonly string[], root: string): Options {
  const options: Options = {
    iterations: 2000, bytesIterations: 200, cold: 200, floorExits: 20000, floorCreates: 200,
    httpRequests: 1000, httpConcurrency: 5, httpWarmup: 200, density: 1000,
    dapLaunches: 20, dapSteps: 200, dapNexts: 100, dapCpuProfileDir: undefined,
    http: true, densityEnabled: true, dap: true, json: false, soak: false, soakOptions: { ...SOAK_DEFAULTS }, out: path.join(root, 'docs', 'performance.md'),
    resultsOut: path.join(root, 'bench', 'results', 'latest.json'),
  };
  let outGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const key = NUMERIC[flag];
    const soakKey = SOAK_NUMERIC[flag];
    if (soakKey !== undefined) {
      const text = argv[++i] ?? '';
      if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${flag} expects an integer >= 1, got ${JSON.stringify(text)}`);
      options.soakOptions[soakKey] = Number(text);
    } else if (flag === '--soak') options.soak = true;
    else if (key !== undefined) {
      const text = argv[++i] ?? '';
      const min = key === 'httpWarmup' ? 0 : 1;
      if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`${flag} expects an integer >= ${min}, got ${JSON.stringify(text)}`);
      (options[key] as number) = Number(text);
    } else if (flag === '--no-http') options.http = false;
    else if (flag === '--no-density') options.densityEnabled = false;
    else if (flag === '--no-dap') options.dap = false;
    else if (flag === '--dap-cpu-prof') {
      const dir = argv[++i];
      if (!dir) throw new UsageError('--dap-cpu-prof expects a directory');
      options.dapCpuProfileDir = path.resolve(dir);
    }
    else if (flag === '--json') options.json = true;
    else if (flag === '--no-write') {
      options.out = options.resultsOut = undefined;
      outGiven = true;
    } else if (flag === '--out') {
      outGiven = true;
      const file = argv[++i];
      if (!file) throw new UsageError('--out expects a file');
      options.out = path.resolve(file);
      options.resultsOut = options.out.replace(/\.md$/, '') + '.json';
    } else throw new UsageError(`unknown flag ${flag}`);
  }
  if (options.soak) {
    if (!outGiven) {
      options.out = path.join(root, 'docs', 'reliability.md');
      options.resultsOut = path.join(root, 'bench', 'results', 'soak.json');
    }
    if (!options.http) options.soakOptions.httpSeconds = 0;
    if (!options.dap) options.soakOptions.dapSessions = options.soakOptions.dapProcesses = 0;
    if (options.soakOptions.httpConcurrency < 2) throw new UsageError('--soak-http-concurrency must be at least 2: one client on the fault route, the rest on /warm');
  }
  return options;
}

const progress = (text: string): void => void process.stderr.write(`bench: ${text}\n`);

export async function main(argv: readonly string[]): Promise<number> {
  const root = repoRoot();
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let options: Options;
  try {
    options = parse(argv, root);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n${USAGE}`);
    return 2;
  }

  const machine = machineFacts(root); // before the bench adds its own load
  if (options.soak) return soak(root, argv, options, machine);
  progress('building the guests');
  const guests = buildBenchGuests();
  progress(`raw KVM floor (bench/kvm-floor.c, ${options.floorExits} exits, ${options.floorCreates} VM lifecycles)`);
  const floor = measureFloor(root, { exits: options.floorExits, creates: options.floorCreates, ioctls: Math.max(100, Math.floor(options.floorExits / 10)) });
  progress(`in-process warm calls (${options.iterations} each), 1 MiB argument, cold (${options.cold})`);
  const inprocess = await measureInProcess(guests, { iterations: options.iterations, bytesIterations: options.bytesIterations, coldIterations: options.cold });

  let http: BenchResults['http'];
  const missing = httpUnavailable();
  if (!options.http) http = { skipped: '--no-http' };
  else if (missing) http = { skipped: missing };
  else {
    progress(`HTTP: hey -n ${options.httpRequests} -c ${options.httpConcurrency} on the no-VM route, /warm, /cold`);
    http = await measureHttp(root, guests.hello, { requests: options.httpRequests, concurrency: options.httpConcurrency, warmupRequests: options.httpWarmup });
  }
  let dap: BenchResults['dap'];
  const noAdapter = dapUnavailable(root);
  if (!options.dap) dap = { skipped: '--no-dap' };
  else if (noAdapter) dap = { skipped: noAdapter };
  else {
    progress(`debug adapter (DAP over stdio): ${options.dapLaunches} launches, ${options.dapSteps} instruction steps, ${options.dapNexts} nexts`);
    dap = await measureDap(root, { launches: options.dapLaunches, instructionSteps: options.dapSteps, nexts: options.dapNexts, cpuProfileDir: options.dapCpuProfileDir });
  }
  let density: BenchResults['density'];
  if (!options.densityEnabled) density = { skipped: '--no-density' };
  else {
    progress(`density: ${options.density} idle sandboxes in one process`);
    density = measureDensity(root, guests.hello, options.density);
  }

  let wasm: WasmResults | { skipped: string };
  const wasmBuilt = buildWasmHello();
  if ('skipped' in wasmBuilt) wasm = wasmBuilt;
  else {
    progress(`guest languages: rust-hello and wasm-c-hello beside c-hello (${options.iterations} warm calls each), Wasm translation, ${options.cold} cached cold starts`);
    wasm = measureWasm(guests.hello, wasmBuilt.wasm, buildRustHello(), { iterations: options.iterations, coldIterations: options.cold });
  }

  const results: BenchResults = {
    date: new Date().toISOString(),
    command: argv.length > 0 ? `npm run bench -- ${argv.join(' ')}` : 'npm run bench',
    machine,
    floor,
    inprocess,
    http,
    density,
    dap,
    wasm,
  };
  const json = JSON.stringify(withDerived(results), null, 2) + '\n';
  if (options.out) {
    writeReport(options.out, results);
    progress(`wrote ${options.out}`);
  }
  if (options.resultsOut) {
    fs.mkdirSync(path.dirname(options.resultsOut), { recursive: true });
    fs.writeFileSync(options.resultsOut, json);
    progress(`wrote ${options.resultsOut}`);
  }
  process.stdout.write(options.json ? json : markdown(results));
  return 0;
}

async function soak(root: string, argv: readonly string[], options: Options, machine: ReturnType<typeof machineFacts>): Promise<number> {
  const missing = httpUnavailable();
  if (options.soakOptions.httpSeconds > 0 && missing) {
    progress(`soak: HTTP skipped: ${missing}`);
    options.soakOptions.httpSeconds = 0;
  }
  progress('building the guest');
  const results = await measureSoak(root, buildHelloGuest(), options.soakOptions);
  const report: SoakReport = { ...results, command: `npm run bench -- ${argv.join(' ')}`, machine };
  const json = JSON.stringify({ ...report, checks: soakChecks(report) }, null, 2) + '\n';
  if (options.out) {
    writeSoakReport(options.out, report);
    progress(`wrote ${options.out}`);
  }
  if (options.resultsOut) {
    fs.mkdirSync(path.dirname(options.resultsOut), { recursive: true });
    fs.writeFileSync(options.resultsOut, json);
    progress(`wrote ${options.resultsOut}`);
  }
  process.stdout.write(options.json ? json : soakMarkdown(report));
  return 0;
}

// The JSON carries the rows and targets too, so consumers need not recompute ratios.
function withDerived(results: BenchResults): BenchResults & { rows: ReturnType<typeof rows>; targets: ReturnType<typeof targets> } {
  return { ...results, rows: rows(results), targets: targets(results) };
}
