// The soak's checks (flat RSS, descriptors and threads back where they were, nothing failed) and
// its Markdown: the block between the soak marks of docs/reliability.md.
import fs from 'node:fs';
import type { MachineFacts } from './machine';
import { ABANDON_EVERY, FAILED_LAUNCH_EVERY } from './soak-child';
import { RSS_GROWTH_LIMIT_KIB, WARMUP_FRACTION, type DapInlineSoak, type DapStdioSoak, type HostApiSoak, type HttpSoak, type Load, type SoakResults } from './soak';
import { fdKindChange, thin, type Flatness, type ProcessCensus, type SoakSample } from './soak-process';

export interface SoakReport extends SoakResults {
  readonly machine: MachineFacts;
}

export interface SoakCheck {
  readonly part: 'host API' | 'HTTP' | 'DAP inline' | 'DAP stdio';
  readonly check: string;
  readonly measured: string;
  readonly limit: string;
  readonly met: boolean;
}

const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
const signedMib = (kib: number): string => `${kib >= 0 ? '+' : '−'}${(Math.abs(kib) / 1024).toFixed(2)} MiB`;
const count = (n: number): string => n.toLocaleString('en-US');
function ran<T extends object>(part: T | { readonly skipped: string }): part is T {
  return !('skipped' in part);
}

/** "22 → 23 (+1 memfd:x)": a count before and after, and which kinds changed. */
function fdsMeasured(before: ProcessCensus, after: ProcessCensus): string {
  const change = fdKindChange(before.fd_kinds, after.fd_kinds);
  return `${before.fds} → ${after.fds}${change ? ` (${change})` : ''}`;
}

function rssCheck(part: SoakCheck['part'], f: Flatness, unit: string): SoakCheck {
  return {
    part,
    check: `RSS growth after the warm-up (the first ${WARMUP_FRACTION * 100} % of the ${unit})`,
    measured: `${signedMib(f.rss_growth_kib)} (${f.reference.at} → ${f.last.at}; highest ${signedMib(f.rss_max_above_kib)}, slope ${signedMib(f.rss_slope_kib_per_tenth)} per tenth)`,
    limit: `≤ ${mib(RSS_GROWTH_LIMIT_KIB)}`,
    met: f.rss_growth_kib <= RSS_GROWTH_LIMIT_KIB,
  };
}

export function soakChecks(results: SoakResults): SoakCheck[] {
  const checks: SoakCheck[] = [];
  const h = results.host_api;
  checks.push(
    rssCheck('host API', h.flatness, 'rounds'),
    { part: 'host API', check: 'open descriptors, before and after (everything disposed)', measured: `${fdsMeasured(h.before, h.after)}; at most ${h.flatness.fds_max_after_warmup} while 5 sandboxes lived`, limit: 'equal', met: h.after.fds === h.before.fds },
    { part: 'host API', check: 'threads (/proc/self/task), before and after', measured: `${h.before.threads} → ${h.after.threads}`, limit: 'equal', met: h.after.threads === h.before.threads },
    { part: 'host API', check: 'micro-VMs alive after (abandoned sandboxes finalised)', measured: String(h.after.live_sandboxes), limit: '0', met: h.after.live_sandboxes === 0 },
    { part: 'host API', check: 'unexpected results', measured: h.unexpected.length === 0 ? 'none' : h.unexpected.join('; '), limit: 'none', met: h.unexpected.length === 0 },
  );
  if (ran(results.http)) {
    const s = results.http;
    checks.push(
      rssCheck('HTTP', s.flatness, 'run'),
      { part: 'HTTP', check: 'failed requests (warm not 200, fault not 500, no answer)', measured: `${count(s.failed)} of ${count(s.requests)}`, limit: '0', met: s.failed === 0 },
      { part: 'HTTP', check: 'micro-VMs alive after the load (GET vm-count)', measured: String(s.vm_count_after), limit: `${s.pool} (the pool)`, met: s.vm_count_after === s.pool },
      { part: 'HTTP', check: 'clean shutdown on SIGTERM (exit 0, 0 micro-VMs remain)', measured: `${s.clean_shutdown ? 'yes' : 'no'}, ${s.shutdown_ms.toFixed(0)} ms`, limit: 'yes', met: s.clean_shutdown },
    );
  }
  if (ran(results.dap_inline)) {
    const d = results.dap_inline;
    checks.push(
      rssCheck('DAP inline', d.flatness, 'sessions'),
      { part: 'DAP inline', check: 'open descriptors, before and after', measured: fdsMeasured(d.before, d.after), limit: 'equal', met: d.after.fds === d.before.fds },
      { part: 'DAP inline', check: 'threads, before and after', measured: `${d.before.threads} → ${d.after.threads}`, limit: 'equal', met: d.after.threads === d.before.threads },
      { part: 'DAP inline', check: 'sessions that left a micro-VM alive after disconnect', measured: String(d.sandboxes_left_after_disconnect), limit: '0', met: d.sandboxes_left_after_disconnect === 0 && d.after.live_sandboxes === 0 },
      { part: 'DAP inline', check: 'sessions that failed', measured: d.unexpected.length === 0 ? 'none' : d.unexpected.join('; '), limit: 'none', met: d.unexpected.length === 0 },
    );
  }
  if (ran(results.dap_stdio)) {
    const p = results.dap_stdio;
    const bad = p.sessions.filter((s) => s.exit_code !== 0 || s.killed || s.error !== undefined);
    checks.push(
      { part: 'DAP stdio', check: 'adapter processes that exited 0 by themselves', measured: `${p.clean_exits} of ${p.processes}${bad.length > 0 ? ` (first bad: ${JSON.stringify(bad[0])})` : ''}`, limit: 'all', met: p.clean_exits === p.processes },
      { part: 'DAP stdio', check: 'processes started by an adapter', measured: String(p.sessions.reduce((sum, s) => sum + s.children, 0)), limit: '0', met: p.sessions.every((s) => s.children === 0) },
      { part: 'DAP stdio', check: "the bench's own descriptors before and after (pipes closed)", measured: fdsMeasured(p.bench_before, p.bench_after), limit: 'equal', met: p.bench_after.fds === p.bench_before.fds },
    );
  }
  return checks;
}

function load(l: Load): string {
  return `load average ${l.load_before[0]} → ${l.load_after[0]} (1 min)`;
}

function curve(samples: readonly SoakSample[], rows: number): string {
  const hasLive = samples.some((s) => s.live_sandboxes !== undefined);
  const hasHeap = samples.some((s) => s.heap_used_kib !== undefined);
  const head = ['at', 'elapsed', 'RSS', 'fds', 'threads (of them KVM workers)', ...(hasLive ? ['live VMs'] : []), ...(hasHeap ? ['JS heap'] : [])];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  for (const s of thin(samples, rows)) {
    const cells = [s.at, `${s.elapsed_s.toFixed(0)} s`, mib(s.rss_kib), String(s.fds), `${s.threads} (${s.kvm_threads})`];
    if (hasLive) cells.push(String(s.live_sandboxes ?? ''));
    if (hasHeap) cells.push(s.heap_used_kib === undefined ? '' : mib(s.heap_used_kib));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

function censusTable(rows: ReadonlyArray<[string, { rss_kib: number; fds: number; threads: number; kvm_threads: number; live_sandboxes?: number }]>): string {
  const lines = ['| when | RSS | fds | threads | live VMs |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const [when, c] of rows) lines.push(`| ${when} | ${mib(c.rss_kib)} | ${c.fds} | ${c.threads} | ${c.live_sandboxes ?? ''} |`);
  return lines.join('\n') + '\n';
}

function checksTable(checks: readonly SoakCheck[]): string {
  const lines = ['| part | check | measured | limit | met |', '| --- | --- | --- | --- | --- |'];
  for (const c of checks) lines.push(`| ${c.part} | ${c.check} | ${c.measured.replace(/\|/g, '\\|')} | ${c.limit} | ${c.met ? 'met' : '**not met**'} |`);
  return lines.join('\n') + '\n';
}

function hostApiSection(h: HostApiSoak): string {
  const cycles = Object.entries(h.done.cycles).map(([kind, n]) => `${count(n)} ${kind}`).join(', ');
  const disposed = Object.entries(h.dispose_during_call).map(([outcome, n]) => `${outcome} ${count(n)}`).join(', ');
  return [
    `### Host API: one process`,
    '',
    `${count(h.done.warm_calls)} warm \`PrintOutput\` calls (\`callSync\`, async \`call\`, async \`call\` with \`inlineSliceUs: 0\` in turn, on three long-lived sandboxes), ` +
      `${count(h.options.cycles)} create/dispose cycles (${cycles}; every ${ABANDON_EVERY}th sandbox, ${count(h.done.abandoned)} in all, dropped without \`dispose\` for the finaliser) and ` +
      `${count(h.done.faults)} \`DerefNull\` calls (sync, async, async on the vCPU thread; ${count(h.done.crash_dumps)} wrote a crash dump, deleted at once), interleaved in ${h.options.rounds} rounds, ` +
      `in ${h.duration_s.toFixed(0)} s; ${load(h)}. Calls disposed during their run ended: ${disposed || 'none ran'}. ` +
      'Each sample follows a forced garbage collection (`node --expose-gc`).',
    '',
    censusTable([
      ['process start', h.start],
      ['after one sandbox of each kind was used and disposed (the reference)', h.before],
      ['after the soak, everything disposed', h.after],
    ]),
    curve(h.samples, 11),
  ].join('\n');
}

function httpSection(s: HttpSoak): string {
  const statuses = (route: HttpSoak['warm']): string => Object.entries(route.statuses).map(([code, n]) => `${count(n)} × ${code}`).join(', ') + (route.errors > 0 ? `, ${count(route.errors)} without an answer (${route.error_kinds.join('; ')})` : '');
  return [
    '### `microvm serve` under `hey`',
    '',
    `\`microvm serve --pool ${s.pool}\` (a child process) for ${s.seconds} s under two \`hey -z ${s.seconds}s\` processes at once: ` +
      `\`-c ${s.warm.concurrency}\` on \`${s.warm.route}\` and \`-c ${s.fault.concurrency}\` on \`${s.fault.route}\`, ${s.warm.concurrency + s.fault.concurrency} clients for ${s.pool} pooled sandboxes, so requests queue. ` +
      `${count(s.requests)} requests, ${(s.fault_share * 100).toFixed(1)} % of them on the fault route; ${load(s)}.`,
    '',
    `- \`${s.warm.route}\`: ${statuses(s.warm)}; ${s.warm.requests_per_sec.toFixed(0)} requests/s, average ${s.warm.average_ms.toFixed(2)} ms, p99 ${s.warm.p99_ms.toFixed(2)} ms, slowest ${s.warm.slowest_ms.toFixed(1)} ms.`,
    `- \`${s.fault.route}\`: ${statuses(s.fault)}; ${s.fault.requests_per_sec.toFixed(0)} requests/s, average ${s.fault.average_ms.toFixed(2)} ms, p99 ${s.fault.p99_ms.toFixed(2)} ms.`,
    `- After the load: \`vm-count\` ${s.vm_count_after}; SIGTERM → ${s.clean_shutdown ? 'exit 0' : 'not clean'} in ${s.shutdown_ms.toFixed(0)} ms (\`${s.server_output_tail.split('\n').pop() ?? ''}\`).`,
    '',
    "The server's VmRSS, descriptors (sockets included) and threads, read from `/proc/<pid>/` during the run (no forced collection: what an operator sees):",
    '',
    curve(s.samples, 11),
  ].join('\n');
}

function dapInlineSection(d: DapInlineSoak): string {
  const kinds = Object.entries(d.sessions).map(([kind, n]) => `${count(n)} ${kind}`).join(', ');
  return [
    '### Debug adapter inline: one process',
    '',
    `${count(d.options.sessions)} debug sessions of \`MicroVmDebugSession\` in one process, driven as VS Code drives an inline adapter (\`handleMessage\`, \`onDidSendMessage\`, \`dispose\`): ` +
      `${kinds} (every ${FAILED_LAUNCH_EVERY}th launch names a missing program). A breakpoint session launches \`Accumulate\` of test/guests/debuggee.c, stops at its breakpoint, reads the stack, scopes and locals, ` +
      `steps a line and an instruction, then disconnects; the others run to the end, or disconnect while the guest runs. ${d.duration_s.toFixed(0)} s; ${load(d)}.`,
    '',
    censusTable([
      ['process start', d.start],
      ['after one session (the reference)', d.before],
      ['after the soak', d.after],
    ]),
    curve(d.samples, 11),
  ].join('\n');
}

function dapStdioSection(p: DapStdioSoak): string {
  const stops = p.sessions.filter((s) => Number.isFinite(s.at_stop.rss_kib));
  const range = (pick: (s: DapStdioSoak['sessions'][number]) => number, unit = ''): string => {
    const values = stops.map(pick);
    return values.length === 0 ? 'n/a' : `${Math.min(...values)}–${Math.max(...values)}${unit}`;
  };
  const exits = p.sessions.map((s) => s.exit_ms).sort((a, b) => a - b);
  const median = exits.length ? exits[Math.floor(exits.length / 2)] : NaN;
  const closed = p.sessions.filter((s) => s.kind === 'stdin-closed').length;
  return [
    '### Debug adapter over stdio: one process per session',
    '',
    `${p.processes} \`node dist/debug-adapter.js\` processes in turn, each: initialize, launch to the breakpoint, stack, \`next\`, an instruction step; ` +
      `then ${p.processes - closed} sent \`disconnect\` and ${closed} only closed the adapter's input (a client that went away). ` +
      `${p.clean_exits} of ${p.processes} exited with status 0 by themselves (median ${median.toFixed(0)} ms after the disconnect or the closed input; the adapter waits 100 ms before it exits). ` +
      `At its breakpoint an adapter process had ${range((s) => s.at_stop.threads)} threads, ${range((s) => s.at_stop.fds)} descriptors and ${range((s) => Math.round(s.at_stop.rss_kib / 1024), ' MiB')} RSS. ` +
      `The bench process had ${p.bench_before.fds} descriptors before the first and ${p.bench_after.fds} after the last; ${load(p)}.`,
    '',
  ].join('\n');
}

export function soakMarkdown(report: SoakReport): string {
  const m = report.machine;
  const parts = [
    `Measured ${report.date} with \`${report.command}\` (commit ${m.commit}), one part at a time.`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB; ${m.kernel}; ${m.kvm}; Node ${m.node}; ${m.hey}. Load average when the run started: ${m.load_average}.`,
    '',
    checksTable(soakChecks(report)),
    hostApiSection(report.host_api),
  ];
  const { http, dap_inline: inline, dap_stdio: stdio } = report;
  parts.push(ran(http) ? httpSection(http) : `HTTP: skipped (${http.skipped}).\n`);
  parts.push(ran(inline) ? dapInlineSection(inline) : `Debug adapter inline: skipped (${inline.skipped}).\n`);
  parts.push(ran(stdio) ? dapStdioSection(stdio) : `Debug adapter over stdio: skipped (${stdio.skipped}).\n`);
  return parts.join('\n');
}

export const SOAK_BEGIN_MARK = '<!-- soak:begin (generated by `npm run bench -- --soak`; edit outside these marks) -->';
export const SOAK_END_MARK = '<!-- soak:end -->';
const SECTION = '## Soak and load';

/**
 * Replaces the block between the soak marks, and nothing else: the file has other sections
 * (fuzzing) that other people edit. Without the marks, a "Soak and load" section is appended.
 */
export function writeSoakReport(file: string, report: SoakReport): void {
  const block = `${SOAK_BEGIN_MARK}\n${soakMarkdown(report)}${SOAK_END_MARK}`;
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const begin = existing.indexOf(SOAK_BEGIN_MARK);
  const end = existing.indexOf(SOAK_END_MARK);
  let text: string;
  if (begin >= 0 && end > begin) text = existing.slice(0, begin) + block + existing.slice(end + SOAK_END_MARK.length);
  else if (existing === '') text = `# Reliability\n\n${SECTION}\n\n${block}\n`;
  else text = `${existing.replace(/\n*$/, '\n\n')}${existing.includes(SECTION) ? '' : `${SECTION}\n\n`}${block}\n`;
  fs.writeFileSync(file, text);
}
