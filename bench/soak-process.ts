// What a soak watches in a process: its resident set, open descriptors and threads, read from
// /proc (its own or another process's), and how a curve of such samples is judged.
import fs from 'node:fs';

export interface ProcessCensus {
  /** VmRSS, KiB. */
  readonly rss_kib: number;
  /** Entries of /proc/<pid>/fd. */
  readonly fds: number;
  /** Entries of /proc/<pid>/task: every thread, the kernel's per-VM `kvm-nx-lpage-re` workers included. */
  readonly threads: number;
  /** Of those, the kernel's KVM workers (one per live VM on this kernel): they go with their VM. */
  readonly kvm_threads: number;
  /** What the descriptors are: their link targets with numbers and inodes dropped, counted. */
  readonly fd_kinds: Readonly<Record<string, number>>;
}

/** `pipe:[123]` → `pipe`, `anon_inode:kvm-vm` stays, `/memfd:x (deleted)` → `memfd:x`. */
function fdKind(target: string): string {
  return target.replace(/^\/memfd:(.*?)( \(deleted\))?$/, 'memfd:$1').replace(/:\[\d+\]$/, '').replace(/^anon_inode:\[(.*)\]$/, 'anon_inode:$1');
}

function fdKinds(pid: number | 'self'): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let kind: string;
    try {
      kind = fdKind(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      continue; // closed meanwhile (the directory listing's own descriptor, for one)
    }
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

/** The kinds whose counts differ, as "+1 memfd:x, -2 pipe". */
export function fdKindChange(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): string {
  const changes: string[] = [];
  for (const kind of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const delta = (after[kind] ?? 0) - (before[kind] ?? 0);
    if (delta !== 0) changes.push(`${delta > 0 ? '+' : ''}${delta} ${kind}`);
  }
  return changes.join(', ');
}

function statusKib(pid: number | 'self', field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(match[1]);
}

/** One reading of a process; throws if it is gone. */
export function census(pid: number | 'self' = 'self'): ProcessCensus {
  const tasks = fs.readdirSync(`/proc/${pid}/task`);
  let kvm = 0;
  for (const task of tasks) {
    try {
      if (fs.readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').startsWith('kvm')) kvm++;
    } catch {
      // The thread ended while we looked.
    }
  }
  const fd_kinds = fdKinds(pid);
  const fds = Object.values(fd_kinds).reduce((a, b) => a + b, 0);
  return { rss_kib: statusKib(pid, 'VmRSS'), fds, threads: tasks.length, kvm_threads: kvm, fd_kinds };
}

/** One point of a soak's curve. */
export interface SoakSample extends ProcessCensus {
  /** What had been done when it was taken, e.g. "round 10/100" or "120 s". */
  readonly at: string;
  /** Fraction of the run done, 0..1. */
  readonly progress: number;
  readonly elapsed_s: number;
  /** Micro-VMs alive in the process (liveSandboxCount), where the process can tell. */
  readonly live_sandboxes?: number;
  /** V8's heap in use after the collection the sample forced, where it could. */
  readonly heap_used_kib?: number;
}

/** How flat a curve is after its warm-up. */
export interface Flatness {
  /** Samples with progress at or below this fraction are the warm-up. */
  readonly warmup_fraction: number;
  /** The last warm-up sample (the reference). */
  readonly reference: SoakSample;
  readonly last: SoakSample;
  /** last - reference. */
  readonly rss_growth_kib: number;
  /** Highest and lowest RSS after the warm-up, minus the reference. */
  readonly rss_max_above_kib: number;
  readonly rss_min_below_kib: number;
  /** Least-squares slope of RSS over the samples after the warm-up, KiB per 10 % of the run. */
  readonly rss_slope_kib_per_tenth: number;
  readonly fd_growth: number;
  readonly fds_max_after_warmup: number;
  readonly thread_growth: number;
}

export function flatness(samples: readonly SoakSample[], warmupFraction: number): Flatness {
  if (samples.length === 0) throw new RangeError('no samples');
  const warm = samples.filter((s) => s.progress <= warmupFraction);
  const reference = warm.length > 0 ? warm[warm.length - 1] : samples[0];
  const after = samples.filter((s) => s.progress > reference.progress);
  const tail = after.length > 0 ? after : [reference];
  const last = tail[tail.length - 1];
  const rss = tail.map((s) => s.rss_kib);
  return {
    warmup_fraction: warmupFraction,
    reference,
    last,
    rss_growth_kib: last.rss_kib - reference.rss_kib,
    rss_max_above_kib: Math.max(...rss) - reference.rss_kib,
    rss_min_below_kib: reference.rss_kib - Math.min(...rss),
    rss_slope_kib_per_tenth: slope(tail.map((s) => s.progress), rss) / 10,
    fd_growth: last.fds - reference.fds,
    fds_max_after_warmup: Math.max(...tail.map((s) => s.fds)),
    thread_growth: last.threads - reference.threads,
  };
}

function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** About `count` samples spread evenly over a curve, the first and last always among them. */
export function thin<T>(samples: readonly T[], count: number): T[] {
  if (samples.length <= count) return [...samples];
  const picked = new Set<number>();
  for (let i = 0; i < count; i++) picked.add(Math.round((i * (samples.length - 1)) / (count - 1)));
  return [...picked].sort((a, b) => a - b).map((i) => samples[i]);
}
