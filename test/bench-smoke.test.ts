// A tiny run of `npm run bench` and of `microvm bench`: every field is there and the server routes
// answer. Correctness only: nothing here asserts a timing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildHelloGuest } from '../guest-templates/build-cache';
import { FLOOR_KEYS } from '../bench/floor';
import { parseHeyCsv } from '../bench/http';
import { BEGIN_MARK, END_MARK } from '../bench/report';
import { needsKvm } from './support/kvm';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'microvm.js');
const HAVE_HEY = !spawnSync('hey', [], { stdio: 'ignore' }).error;
const HAVE_ADAPTER = fs.existsSync(path.join(ROOT, 'dist', 'debug-adapter.js'));

type Json = Record<string, unknown>;

function assertTiming(value: unknown, where: string): void {
  const stat = value as Json;
  for (const key of ['mean_us', 'p50_us', 'p99_us']) {
    assert.equal(typeof stat?.[key], 'number', `${where}.${key}`);
    assert.ok(Number.isFinite(stat[key]) && (stat[key] as number) >= 0, `${where}.${key} = ${String(stat[key])}`);
  }
}

test('parseHeyCsv counts only 200s as successes and takes percentiles from the samples', () => {
  const csv = [
    'response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset',
    '0.0010,0,0,0,0,0,200,0.0000',
    '0.0030,0,0,0,0,0,200,0.0010',
    '0.0020,0,0,0,0,0,503,0.0020',
    '0.0020,0,0,0,0,0,200,0.0030',
  ].join('\n');
  const result = parseHeyCsv(csv, 5, 2);
  assert.equal(result.ok, 3);
  assert.equal(result.failed, 2); // one 503 and one request that never answered
  assert.equal(result.average_us, 2000);
  assert.equal(result.p50_us, 2000);
  assert.equal(result.fastest_us, 1000);
  assert.equal(result.slowest_us, 3000);
});

describe('npm run bench (smoke)', { skip: needsKvm }, () => {
  let dir: string;
  let results: Json;
  let report: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
    const out = path.join(dir, 'performance.md');
    fs.writeFileSync(out, `# Kept prose\n\n${BEGIN_MARK}\nold table\n${END_MARK}\n\nMore prose.\n`);
    const run = spawnSync(process.execPath, [
      path.join(ROOT, 'bench', 'run.js'), '--json', '--out', out,
      '--iterations', '20', '--bytes-iterations', '3', '--cold', '3', '--floor-exits', '200', '--floor-creates', '3',
      '--http-requests', '20', '--http-warmup', '0', '--density', '5',
      '--dap-launches', '2', '--dap-steps', '5', '--dap-nexts', '3',
    ], { encoding: 'utf8', timeout: 240_000 });
    assert.equal(run.status, 0, `bench failed:\n${run.stderr}`);
    results = JSON.parse(run.stdout) as Json;
    report = fs.readFileSync(out, 'utf8');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('records the machine and the command', () => {
    const machine = results.machine as Json;
    for (const key of ['cpu', 'cores', 'kernel', 'kvm', 'node', 'gcc', 'commit']) assert.ok(machine[key] !== undefined, key);
    assert.match(String(results.command), /^npm run bench -- --json/);
  });

  test('the floor has every raw KVM figure', () => {
    const floor = results.floor as Json;
    assert.equal(floor.kvm_api_version, 12);
    for (const key of FLOOR_KEYS) assertTiming(floor[key], `floor.${key}`);
  });

  test('the in-process figures are all there, with their iteration counts', () => {
    const inprocess = results.inprocess as Json;
    for (const key of ['warm_sync', 'warm_async', 'warm_async_threaded', 'warm_add_sync', 'restore', 'bytes_1mib_sync', 'cold', 'cold_create', 'cold_dispose']) {
      assertTiming(inprocess[key], `inprocess.${key}`);
    }
    assert.equal((inprocess.warm_sync as Json).iterations, 20);
    assert.equal((inprocess.bytes_1mib_sync as Json).iterations, 3);
    assert.equal((inprocess.cold as Json).iterations, 3);
  });

  test('HTTP: every route of microvm serve answered, hey ran on all three, the server shut down cleanly', { skip: HAVE_HEY ? false : 'hey is not installed' }, () => {
    const http = results.http as Json;
    assert.deepEqual(http.route_checks, {
      '/hyperlight/hello-world/cold': 200,
      '/hyperlight/hello-world/warm': 200,
      '/hyperlight/hello-world/noop': 200,
      '/hyperlight/hello-world/vm-count': 200,
      '/hyperlight/hello-world/safety/deref-raw-null-ptr': 500,
    });
    for (const route of ['noop', 'warm', 'cold']) {
      const hey = http[route] as Json;
      assert.equal(hey.requests, 20, route);
      assert.equal(hey.ok, 20, `${route}: every request answered 200`);
      assert.equal(hey.failed, 0, route);
      for (const key of ['average_us', 'p50_us', 'p99_us', 'requests_per_sec']) assert.ok(Number.isFinite(hey[key]), `${route}.${key}`);
    }
    assert.equal(http.clean_shutdown, true);
  });

  test('density held every sandbox, then disposed them all', () => {
    const density = results.density as Json;
    assert.equal(density.created, 5);
    assert.equal(density.live_at_peak, 5);
    assert.equal(density.live_after_dispose, 0);
    for (const key of ['rss_per_sandbox_kib', 'system_per_sandbox_kib', 'create_total_ms', 'dispose_total_ms', 'fds_per_sandbox']) {
      assert.equal(typeof density[key], 'number', key);
    }
    assertTiming(density.create, 'density.create');
  });

  test('DAP: two adapter processes launched to the breakpoint, the first stepped; every figure has its count', { skip: HAVE_ADAPTER ? false : 'dist/debug-adapter.js is not built' }, () => {
    const dap = results.dap as Json;
    assert.equal(dap.sessions, 2);
    const counts: Record<string, number> = {
      adapter_start: 2, launch_to_stop: 2, launch_response: 2, set_breakpoints: 2, configuration_to_stop: 2,
      step_instruction: 5, step_instruction_stop: 5, next: 3, next_stop: 3, round_trip: 5,
    };
    for (const [key, count] of Object.entries(counts)) {
      const stat = dap[key] as Json;
      assert.equal(stat?.count, count, `dap.${key}.count`);
      for (const field of ['median_us', 'p90_us', 'mean_us', 'min_us', 'max_us', 'first_us']) {
        assert.ok(Number.isFinite(stat[field]) && (stat[field] as number) > 0, `dap.${key}.${field} = ${String(stat[field])}`);
      }
      const [min, median, p90, max] = [stat.min_us, stat.median_us, stat.p90_us, stat.max_us] as number[];
      assert.ok(min <= median && median <= p90 && p90 <= max, `dap.${key}: min ≤ median ≤ p90 ≤ max`);
    }
    // A whole step round trip contains its stop; a launch contains its parts.
    const min = (key: string): number => (dap[key] as Json).min_us as number;
    assert.ok(min('step_instruction') >= min('step_instruction_stop'));
    assert.ok(min('next') >= min('next_stop'));
    assert.ok(min('launch_to_stop') >= min('launch_response'));
    const reasons = dap.step_reasons as Record<string, number>;
    assert.equal(Object.values(reasons).reduce((sum, n) => sum + n, 0), 5 + 3, 'one stop per step');
    for (const reason of Object.keys(reasons)) assert.ok(['step', 'breakpoint'].includes(reason), `stop reason ${reason}`);
    assert.ok(Number.isFinite(dap.instructions_per_line) && (dap.instructions_per_line as number) >= 1);
    assert.ok(Array.isArray(dap.failed_sessions));
  });

  test('every row carries a ratio to its floor, and every target is judged', () => {
    const rows = results.rows as Json[];
    assert.ok(rows.length >= 16 + (HAVE_HEY ? 3 : 0) + 1);
    for (const row of rows) {
      assert.ok(Number.isFinite(row.ratio) && (row.ratio as number) > 0, `${String(row.name)}: ratio ${String(row.ratio)}`);
      assert.equal(typeof row.floor, 'string');
    }
    const targets = results.targets as Json[];
    assert.equal(targets.filter((t) => t.group === 'issue-4').length, 5);
    const debugging = targets.filter((t) => t.group === 'debugging');
    assert.equal(debugging.length, 3);
    // The Rust and Wasm rows: measured where rustc and clang can build rust-hello and
    // wasm-c-hello, else present and not met.
    assert.equal(targets.filter((t) => t.group === 'wasm').length, 2);
    assert.equal(targets.length, 10);
    for (const target of targets) assert.equal(typeof target.met, 'boolean', String(target.target));
    if (HAVE_ADAPTER) for (const target of debugging) assert.ok(Number.isFinite(target.ratio) && (target.ratio as number) > 0, String(target.target));
  });

  test('the report block is replaced and the prose around it kept', () => {
    assert.match(report, /^# Kept prose\n/);
    assert.match(report, /More prose\.\n$/);
    assert.doesNotMatch(report, /old table/);
    assert.match(report, /\| measurement \| mean \| p50 \| p99 \| floor \| × floor \|/);
    assert.match(report, /\| target \(issue 4\) \| measured \| ratio \| met \|/);
    assert.match(report, /\| target \(debugging\) \| measured \| ratio \| met \|/);
    if (HAVE_ADAPTER) assert.match(report, /\| DAP \(at the client\) \| median \| p90 \|/);
    assert.match(report, /npm run bench -- --json/);
  });
});

describe('microvm bench', { skip: needsKvm }, () => {
  let elf: string;
  before(() => {
    elf = buildHelloGuest();
  });

  test('--json reports mean_us, p50_us, p99_us and the iteration count', () => {
    const run = spawnSync(process.execPath, [CLI, 'bench', elf, 'PrintOutput', 'hi', '--iterations', '7', '--json'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout) as Json;
    assert.equal(result.iterations, 7);
    assert.equal(result.function, 'PrintOutput');
    assert.equal(result.mode, 'sync');
    assertTiming(result, 'bench');
  });

  test('text output, --async, and arguments converted by the signature', () => {
    const run = spawnSync(process.execPath, [CLI, 'bench', elf, 'Add', '2', '-3', '--iterations', '5', '--async'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^Add\(i32, i32\) -> i32: 5 warm async calls, restore included\n  mean .* p50 .* p99 /);
  });

  test('an unknown function or a bad count is a usage error; a faulting function fails with exit 1', () => {
    const unknown = spawnSync(process.execPath, [CLI, 'bench', elf, 'Nope'], { encoding: 'utf8' });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /the guest has no function 'Nope'/);
    const bad = spawnSync(process.execPath, [CLI, 'bench', elf, 'Add', '1', '2', '--iterations', '0'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    const fault = spawnSync(process.execPath, [CLI, 'bench', elf, 'DerefNull', '--iterations', '3'], { encoding: 'utf8' });
    assert.equal(fault.status, 1);
    assert.match(fault.stderr, /GUEST_FAULT/);
  });
});
