// Density: N idle sandboxes held at once in one process. The child process gets the highest
// open-file limit available (each sandbox holds a VM fd and a vCPU fd): `prlimit` raises it to
// 65536 where allowed, else `ulimit -n` raises the soft limit to the hard one.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { TimingSummary } from '../native/lib/server';

export interface DensityResult {
  readonly requested: number;
  readonly created: number;
  /** Why fewer than requested were created, or null. */
  readonly limited_by: string | null;
  readonly live_at_peak: number;
  readonly live_after_dispose: number;
  readonly fds_per_sandbox: number;
  readonly open_file_limit: number | null;
  readonly rss_before_kib: number;
  readonly rss_after_kib: number;
  /** Growth of this process's resident set per sandbox. */
  readonly rss_per_sandbox_kib: number;
  /** Drop of the machine's MemAvailable per sandbox: includes the kernel's per-VM memory. */
  readonly system_per_sandbox_kib: number;
  readonly create_total_ms: number;
  readonly create: TimingSummary;
  readonly dispose_total_ms: number;
}

const WANTED_NOFILE = 65536;

function launcher(): { command: string; args: string[]; how: string } {
  const probe = spawnSync('prlimit', [`--nofile=${WANTED_NOFILE}:${WANTED_NOFILE}`, 'true'], { stdio: 'ignore' });
  if (!probe.error && probe.status === 0) return { command: 'prlimit', args: [`--nofile=${WANTED_NOFILE}:${WANTED_NOFILE}`, '--'], how: `prlimit --nofile=${WANTED_NOFILE}` };
  return { command: 'bash', args: ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$@"', 'density'], how: 'ulimit -n <hard limit> (prlimit to 65536 was refused)' };
}

export function measureDensity(root: string, guest: string, n: number): DensityResult & { readonly launched_with: string } {
  const { command, args, how } = launcher();
  const child = path.join(root, 'out', 'bench', 'density-child.js');
  const run = spawnSync(command, [...args, process.execPath, '--expose-gc', child, guest, String(n)], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (run.error) throw new Error(`could not start the density child: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`the density child failed (status ${run.status}): ${run.stderr.trim()}`);
  return { ...(JSON.parse(run.stdout) as DensityResult), launched_with: how };
}
