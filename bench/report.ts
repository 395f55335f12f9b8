// Turns bench results into rows with ratios to their floors, the issue-4 targets with met / not
// met, a Markdown report, and the generated block of docs/performance.md.
import fs from 'node:fs';
import type { TimingSummary } from '../native/lib/server';
import type { DapResults, DapStat } from './dap';
import type { DensityResult } from './density';
import type { Floor, FloorStat } from './floor';
import type { HeyResult, HttpResults } from './http';
import type { InProcessResults } from './inprocess';
import type { MachineFacts } from './machine';
import type { WasmResults } from './languages';

export interface BenchResults {
  readonly date: string;
  readonly command: string;
  readonly machine: MachineFacts;
  readonly floor: Floor;
  readonly inprocess: InProcessResults;
  readonly http: HttpResults | { readonly skipped: string };
  readonly density: (DensityResult & { readonly launched_with: string }) | { readonly skipped: string };
  readonly dap: DapResults | { readonly skipped: string };
  /** Wasm guests (wasm-c-hello beside c-hello); absent in results of runs before it existed. */
  readonly wasm?: WasmResults | { readonly skipped: string };
}

export interface Row {
  readonly group: string;
  readonly name: string;
  readonly mean_us: number;
  readonly p50_us: number;
  readonly p99_us: number;
  readonly floor: string;
  readonly ratio: number;
}

export interface Target {
  /** Which issue's list it belongs to: the host's (issue 4) or the debugger's. */
  readonly group: 'issue-4' | 'debugging' | 'wasm';
  readonly target: string;
  readonly measured: string;
  readonly ratio: number | null;
  readonly limit: number;
  readonly met: boolean;
}

type Stat = Pick<TimingSummary, 'mean_us' | 'p50_us' | 'p99_us'> | FloorStat;

const FLOOR_EXIT = 'ring-3 exit';
const FLOOR_LIFECYCLE = 'raw VM lifecycle';
const FLOOR_CREATE = 'raw VM create';
const FLOOR_DESTROY = 'raw VM destroy';
const FLOOR_HTTP = 'HTTP no-VM route';

export function rows(results: BenchResults): Row[] {
  const f = results.floor;
  const w = results.inprocess;
  const row = (group: string, name: string, stat: Stat, floor: string, floorMean: number): Row => ({
    group, name, mean_us: stat.mean_us, p50_us: stat.p50_us, p99_us: stat.p99_us, floor, ratio: stat.mean_us / floorMean,
  });
  const exit = f.exit_ring3.mean_us;
  const out: Row[] = [
    row('floor', 'raw KVM: ring-3 port-I/O exit round trip (floor)', f.exit_ring3, FLOOR_EXIT, exit),
    row('floor', 'raw KVM: ring-0 port-I/O exit round trip', f.exit_ring0, FLOOR_EXIT, exit),
    row('floor', 'raw KVM: ring-3 MMIO exit round trip', f.exit_ring3_mmio, FLOOR_EXIT, exit),
    row('floor', 'raw KVM: one vCPU ioctl (KVM_SET_REGS)', f.ioctl_set_regs, FLOOR_EXIT, exit),
    row('floor', 'raw KVM: VM + vCPU creation, runnable', f.vm_create, FLOOR_LIFECYCLE, f.vm_lifecycle.mean_us),
    row('floor', 'raw KVM: first KVM_RUN to the first exit', f.vm_first_exit, FLOOR_LIFECYCLE, f.vm_lifecycle.mean_us),
    row('floor', 'raw KVM: destroy (close fds, unmap)', f.vm_destroy, FLOOR_LIFECYCLE, f.vm_lifecycle.mean_us),
    row('floor', 'raw KVM: create + first exit + destroy (floor)', f.vm_lifecycle, FLOOR_LIFECYCLE, f.vm_lifecycle.mean_us),
    row('warm', 'warm PrintOutput (1 HostPrint) + restore, callSync', w.warm_sync, FLOOR_EXIT, exit),
    row('warm', 'warm PrintOutput (1 HostPrint) + restore, async call', w.warm_async, FLOOR_EXIT, exit),
    row('warm', 'the same async call, inlineSliceUs 0 (all on the vCPU thread)', w.warm_async_threaded, FLOOR_EXIT, exit),
    row('warm', 'warm Add(1, 2) + restore, callSync (no host call)', w.warm_add_sync, FLOOR_EXIT, exit),
    row('warm', 'restore alone (nothing dirty)', w.restore, FLOOR_EXIT, exit),
    row('warm', 'warm SumBytes(1 MiB bytes) + restore, callSync', w.bytes_1mib_sync, FLOOR_EXIT, exit),
    row('cold', 'cold: create + load + init + PrintOutput + destroy', w.cold, FLOOR_LIFECYCLE, f.vm_lifecycle.mean_us),
    row('cold', 'cold: Sandbox.create alone (load, init, snapshot)', w.cold_create, FLOOR_CREATE, f.vm_create.mean_us),
    row('cold', 'cold: dispose alone', w.cold_dispose, FLOOR_DESTROY, f.vm_destroy.mean_us),
  ];
  if (!('skipped' in results.http)) {
    const h = results.http;
    const hey = (r: HeyResult): Stat => ({ mean_us: r.average_us, p50_us: r.p50_us, p99_us: r.p99_us });
    out.push(
      row('http', `HTTP ${h.noop.requests} × -c ${h.noop.concurrency}: no-VM route (floor)`, hey(h.noop), FLOOR_HTTP, h.noop.average_us),
      row('http', `HTTP ${h.warm.requests} × -c ${h.warm.concurrency}: /warm`, hey(h.warm), FLOOR_HTTP, h.noop.average_us),
      row('http', `HTTP ${h.cold.requests} × -c ${h.cold.concurrency}: /cold`, hey(h.cold), FLOOR_HTTP, h.noop.average_us),
    );
  }
  if (results.wasm && !('skipped' in results.wasm)) {
    const x = results.wasm;
    out.push(
      row('wasm', 'warm PrintOutput + restore, callSync: c-hello (C guest)', x.warm_c, FLOOR_EXIT, exit),
      ...(x.warm_rust ? [row('wasm', 'warm PrintOutput + restore, callSync: rust-hello (Rust guest)', x.warm_rust, FLOOR_EXIT, exit)] : []),
      row('wasm', 'warm PrintOutput + restore, callSync: wasm-c-hello (Wasm module)', x.warm_wasm, FLOOR_EXIT, exit),
      row('wasm', 'cold from a cached .wasm: create + load + init + PrintOutput + destroy', x.cold_cached, FLOOR_LIFECYCLE, f.vm_lifecycle.mean_us),
    );
  }
  if (!('skipped' in results.density)) {
    const d = results.density;
    out.push(row('density', `density: Sandbox.create while ${d.created} are held`, d.create, FLOOR_CREATE, f.vm_create.mean_us));
  }
  return out;
}

const WARM_LIMIT = 5;
const COLD_LIMIT = 2;
const HTTP_LIMIT = 1.15;
const DENSITY_COUNT = 10_000;
const DENSITY_KIB = 256;
const ASYNC_EXTRA_US = 20;
const WASM_LIMIT = 2;
const RUST_LIMIT = 1.1;

export function targets(results: BenchResults): Target[] {
  const f = results.floor;
  const w = results.inprocess;
  const warmRatio = w.warm_sync.mean_us / f.exit_ring3.mean_us;
  const coldRatio = w.cold.mean_us / f.vm_lifecycle.mean_us;
  const asyncExtra = w.warm_async.mean_us - w.warm_sync.mean_us;
  const wasmTarget = `warm Wasm PrintOutput ≤ ${WASM_LIMIT}× the C guest's (wasm-c-hello vs c-hello, same run)`;
  const wasm: Target[] = !results.wasm
    ? []
    : 'skipped' in results.wasm
      ? [{ group: 'wasm', target: wasmTarget, measured: `not measured: ${results.wasm.skipped}`, ratio: null, limit: WASM_LIMIT, met: false }]
      : [{
          group: 'wasm', target: wasmTarget,
          measured: `${us(results.wasm.warm_wasm.mean_us)} vs ${us(results.wasm.warm_c.mean_us)}; translation ${results.wasm.translate_ms.toFixed(0)} ms + C compile ${results.wasm.compile_ms.toFixed(0)} ms (once per module)`,
          ratio: results.wasm.warm_wasm.mean_us / results.wasm.warm_c.mean_us, limit: WASM_LIMIT,
          met: results.wasm.warm_wasm.mean_us / results.wasm.warm_c.mean_us <= WASM_LIMIT,
        }];
  const rustTarget = `warm Rust PrintOutput ≤ ${RUST_LIMIT}× the C guest's (rust-hello vs c-hello, same run)`;
  const languages = results.wasm && !('skipped' in results.wasm) ? results.wasm : undefined;
  const rust: Target[] = !results.wasm
    ? []
    : !languages
      ? [{ group: 'wasm', target: rustTarget, measured: 'not measured: the guest-language section did not run', ratio: null, limit: RUST_LIMIT, met: false }]
      : languages.warm_rust
      ? [{
          group: 'wasm', target: rustTarget,
          measured: `${us(languages.warm_rust.mean_us)} vs ${us(languages.warm_c.mean_us)}`,
          ratio: languages.warm_rust.mean_us / languages.warm_c.mean_us, limit: RUST_LIMIT,
          met: languages.warm_rust.mean_us / languages.warm_c.mean_us <= RUST_LIMIT,
        }]
      : [{ group: 'wasm', target: rustTarget, measured: `not measured: ${languages.rust_skipped ?? 'no rust-hello'}`, ratio: null, limit: RUST_LIMIT, met: false }];
  const list: Target[] = [
    ...rust,
    ...wasm,
    { group: 'issue-4', target: `warm call with HostPrint + restore ≤ ${WARM_LIMIT}× the raw ring-3 port-I/O exit`, measured: `${us(w.warm_sync.mean_us)} vs ${us(f.exit_ring3.mean_us)}`, ratio: warmRatio, limit: WARM_LIMIT, met: warmRatio <= WARM_LIMIT },
    { group: 'issue-4', target: `cold create + call + destroy ≤ ${COLD_LIMIT}× raw VM create + first exit + destroy`, measured: `${us(w.cold.mean_us)} vs ${us(f.vm_lifecycle.mean_us)}`, ratio: coldRatio, limit: COLD_LIMIT, met: coldRatio <= COLD_LIMIT },
    { group: 'issue-4', target: `async call() adds ≤ ${ASYNC_EXTRA_US} µs over callSync() (PrintOutput, mean)`, measured: `${asyncExtra >= 0 ? '+' : '−'}${us(Math.abs(asyncExtra))} (${us(w.warm_async.mean_us)} vs ${us(w.warm_sync.mean_us)})`, ratio: null, limit: ASYNC_EXTRA_US, met: asyncExtra <= ASYNC_EXTRA_US },
  ];
  if ('skipped' in results.http) {
    list.push({ group: 'issue-4', target: `HTTP /warm average ≤ ${HTTP_LIMIT}× the no-VM route, no failed request`, measured: `not measured: ${results.http.skipped}`, ratio: null, limit: HTTP_LIMIT, met: false });
  } else {
    const h = results.http;
    const ratio = h.warm.average_us / h.noop.average_us;
    const failed = h.warm.failed + h.noop.failed;
    list.push({
      group: 'issue-4',
      target: `HTTP /warm average ≤ ${HTTP_LIMIT}× the no-VM route, no failed request`,
      measured: `${us(h.warm.average_us)} vs ${us(h.noop.average_us)}; ${h.warm.failed} of ${h.warm.requests} /warm failed`,
      ratio, limit: HTTP_LIMIT, met: ratio <= HTTP_LIMIT && failed === 0,
    });
  }
  if ('skipped' in results.density) {
    list.push({ group: 'issue-4', target: `${DENSITY_COUNT} idle sandboxes in one process at ≤ ${DENSITY_KIB} KiB host RSS each`, measured: `not measured: ${results.density.skipped}`, ratio: null, limit: DENSITY_KIB, met: false });
  } else {
    const d = results.density;
    const short = d.created >= DENSITY_COUNT ? ''
      : d.created < d.requested ? `; only ${d.created} of ${d.requested} could be created (${d.limited_by ?? 'unknown limit'})`
      : `; run with --density ${DENSITY_COUNT} for the target`;
    list.push({
      group: 'issue-4',
      target: `${DENSITY_COUNT} idle sandboxes in one process at ≤ ${DENSITY_KIB} KiB host RSS each`,
      measured: `${kib(d.rss_per_sandbox_kib)} RSS per sandbox with ${d.created} held${short}`,
      ratio: d.rss_per_sandbox_kib / DENSITY_KIB, limit: DENSITY_KIB, met: d.created >= DENSITY_COUNT && d.rss_per_sandbox_kib <= DENSITY_KIB,
    });
  }
  list.push(...dapTargets(results.dap));
  return list;
}

// The debugger's targets are medians at the client (the issue: stepping must feel instant).
const DAP_TARGETS: ReadonlyArray<{ key: 'step_instruction' | 'next' | 'launch_to_stop'; what: string; limit_us: number }> = [
  { key: 'step_instruction', what: 'DAP `stepIn` (instruction) → `stopped` → `stackTrace`', limit_us: 5_000 },
  { key: 'next', what: 'DAP `next` → `stopped` → `stackTrace` + `scopes` + Locals `variables`', limit_us: 20_000 },
  { key: 'launch_to_stop', what: 'DAP `launch` → `stopped` at a breakpoint set during configuration', limit_us: 300_000 },
];

function dapTargets(dap: BenchResults['dap']): Target[] {
  return DAP_TARGETS.map(({ key, what, limit_us }) => {
    const target = `${what}: median ≤ ${us(limit_us)}`;
    if ('skipped' in dap) return { group: 'debugging', target, measured: `not measured: ${dap.skipped}`, ratio: null, limit: limit_us, met: false };
    const stat = dap[key];
    return {
      group: 'debugging', target,
      measured: `median ${us(stat.median_us)}, p90 ${us(stat.p90_us)} (${stat.count} samples)`,
      ratio: stat.median_us / limit_us, limit: limit_us, met: stat.median_us <= limit_us,
    };
  });
}

export function us(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 10_000_000) return `${(value / 1e6).toFixed(1)} s`;
  if (Math.abs(value) >= 1000) return `${(value / 1000).toFixed(2)} ms`;
  return `${value.toFixed(1)} µs`;
}

const kib = (value: number): string => `${value.toFixed(0)} KiB`;
const ratio = (value: number | null): string => (value === null || !Number.isFinite(value) ? '—' : `${value.toFixed(2)}×`);

export function markdown(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    `Measured ${results.date} with \`${results.command}\` (commit ${m.commit}).`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB; ${m.kernel}; ${m.kvm}; KVM API ${results.floor.kvm_api_version}; Node ${m.node}; ${m.gcc}; ${m.hey}. Load average when the run started: ${m.load_average}.`,
    '',
    '| measurement | mean | p50 | p99 | floor | × floor |',
    '| --- | ---: | ---: | ---: | --- | ---: |',
    ...rows(results).map((r) => `| ${r.name} | ${us(r.mean_us)} | ${us(r.p50_us)} | ${us(r.p99_us)} | ${r.floor} | ${ratio(r.ratio)} |`),
    '',
    `Other vCPU ioctls (mean): ${ioctlLine(results.floor)}.`,
  ];
  if (!('skipped' in results.density)) {
    const d = results.density;
    lines.push(
      '',
      '| density | value |',
      '| --- | ---: |',
      `| idle sandboxes held at once (requested) | ${d.created} (${d.requested}) |`,
      `| host RSS per sandbox | ${kib(d.rss_per_sandbox_kib)} |`,
      `| machine memory per sandbox (MemAvailable drop, includes the kernel's per-VM memory) | ${kib(d.system_per_sandbox_kib)} |`,
      `| time to create all | ${us(d.create_total_ms * 1000)} |`,
      `| time to dispose all | ${us(d.dispose_total_ms * 1000)} |`,
      `| open files per sandbox; limit | ${d.fds_per_sandbox}; ${d.open_file_limit ?? 'unlimited'} (${d.launched_with}) |`,
    );
  } else lines.push('', `Density: not measured (${results.density.skipped}).`);
  if ('skipped' in results.http) lines.push('', `HTTP: not measured (${results.http.skipped}).`);
  else {
    const h = results.http;
    lines.push('', `HTTP: \`hey -n ${h.warm.requests} -c ${h.warm.concurrency}\` against \`microvm serve --pool ${h.pool}\`; failed requests: no-VM ${h.noop.failed}, /warm ${h.warm.failed}, /cold ${h.cold.failed}; throughput ${h.noop.requests_per_sec.toFixed(0)} / ${h.warm.requests_per_sec.toFixed(0)} / ${h.cold.requests_per_sec.toFixed(0)} requests/s; clean shutdown: ${h.clean_shutdown ? 'yes' : 'no'}.`);
  }
  const targetRow = (t: Target): string => `| ${t.target} | ${t.measured} | ${ratio(t.ratio)} | ${t.met ? 'met' : '**not met**'} |`;
  const all = targets(results);
  lines.push(
    '',
    '| target (issue 4) | measured | ratio | met |',
    '| --- | --- | ---: | --- |',
    ...all.filter((t) => t.group === 'issue-4').map(targetRow),
    '',
    ...dapLines(results.dap),
    '',
    '| target (debugging) | measured | ratio | met |',
    '| --- | --- | ---: | --- |',
    ...all.filter((t) => t.group === 'debugging').map(targetRow),
  );
  if (all.some((t) => t.group === 'wasm')) {
    lines.push('', '| target (Rust and Wasm guests) | measured | ratio | met |', '| --- | --- | ---: | --- |', ...all.filter((t) => t.group === 'wasm').map(targetRow));
  }
  return lines.join('\n') + '\n';
}

function dapLines(dap: BenchResults['dap']): string[] {
  if ('skipped' in dap) return [`Debugging (DAP): not measured (${dap.skipped}).`];
  const row = (name: string, s: DapStat): string =>
    `| ${name} | ${us(s.median_us)} | ${us(s.p90_us)} | ${us(s.mean_us)} | ${us(s.min_us)} | ${us(s.max_us)} | ${us(s.first_us)} | ${s.count} |`;
  const reasons = Object.entries(dap.step_reasons).map(([reason, count]) => `${reason} ${count}`).join(', ') || 'none';
  const failed = dap.failed_sessions.length === 0 ? 'none' : `${dap.failed_sessions.length} (${dap.failed_sessions.join('; ')})`;
  return [
    `Debugging (DAP): \`node ${dap.adapter}\` driven over stdio by a client in the bench process, timed at the client; ${dap.sessions} adapter processes, each launching \`${dap.call}\` of ${dap.guest} with a breakpoint at ${dap.breakpoint}; the first also instruction-steps and then line-steps the loop.`,
    '',
    '| DAP (at the client) | median | p90 | mean | min | max | first | count |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('`stepIn` (instruction) → `stopped` → `stackTrace`', dap.step_instruction),
    row('… of which `stepIn` → `stopped`', dap.step_instruction_stop),
    row('`next` → `stopped` → `stackTrace` + `scopes` + Locals `variables`', dap.next),
    row('… of which `next` → `stopped`', dap.next_stop),
    row('`launch` → `stopped` at the breakpoint (configurationDone sent on `initialized`)', dap.launch_to_stop),
    row('… of which `launch` → its response', dap.launch_response),
    row('… of which the breakpoint requests on `initialized` → answered', dap.set_breakpoints),
    row('… of which `configurationDone` → `stopped`', dap.configuration_to_stop),
    row('adapter process start: spawn → `initialize` answered (before `launch`)', dap.adapter_start),
    row('DAP round trip with no VM work: `threads` → its response', dap.round_trip),
    '',
    `Machine instructions per source line of the loop: ${dap.instructions_per_line.toFixed(1)}. Stop reasons while stepping: ${reasons}. Sessions that failed and were run again (their samples dropped): ${failed}.`,
  ];
}

function ioctlLine(floor: Floor): string {
  const names: [string, FloorStat][] = [
    ['KVM_GET_REGS', floor.ioctl_get_regs], ['KVM_GET_SREGS', floor.ioctl_get_sregs], ['KVM_SET_SREGS', floor.ioctl_set_sregs],
    ['KVM_SET_XSAVE', floor.ioctl_set_xsave], ['KVM_GET_DIRTY_LOG (a VM ioctl)', floor.ioctl_get_dirty_log],
  ];
  return names.map(([name, stat]) => `${name} ${us(stat.mean_us)}`).join(', ');
}

export const BEGIN_MARK = '<!-- bench:begin (generated by `npm run bench`; edit outside these marks) -->';
export const END_MARK = '<!-- bench:end -->';

/** Replaces the generated block of the report file, keeping the prose around it. */
export function writeReport(file: string, results: BenchResults): void {
  const block = `${BEGIN_MARK}\n${markdown(results)}${END_MARK}`;
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const begin = existing.indexOf(BEGIN_MARK);
  const end = existing.indexOf(END_MARK);
  const text = begin >= 0 && end > begin
    ? existing.slice(0, begin) + block + existing.slice(end + END_MARK.length)
    : `# Performance\n\n${block}\n`;
  fs.writeFileSync(file, text);
}
