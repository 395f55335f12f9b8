// Density, in a process of its own (started by bench/density.ts with a raised open-file limit):
// create N idle sandboxes of one guest, hold them all, and report host memory and time.
//   node out/bench/density-child.js <guest.elf> <N>     prints one JSON object
import fs from 'node:fs';
import { Sandbox, liveSandboxCount } from '../native/lib';
import { HELLO_MESSAGE, summarise } from '../native/lib/server';
import type { DensityResult } from './density';

function statusKib(field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error(`/proc/self/status has no ${field}`);
  return Number(match[1]);
}

function memAvailableKib(): number {
  return Number(/^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? NaN);
}

function openFileLimit(): number {
  const line = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1];
  return line === undefined || line === 'unlimited' ? Infinity : Number(line);
}

const openFds = (): number => fs.readdirSync('/proc/self/fd').length;

// With thousands of VMs in one process every mapping change (ours, and V8's garbage collector's)
// visits every VM's MMU notifier under the process's memory-map lock, and a guest's page faults
// during initialisation wait for that lock: one run saw an initialisation pass the default 5 s
// at about 10,000 VMs. Density measures memory, not latency, so creation gets a wide budget.
const CREATE_TIMEOUT_MS = 60_000;

function main(guest: string, requested: number): DensityResult {
  const limit = openFileLimit();
  global.gc?.();
  const rssBefore = statusKib('VmRSS');
  const availableBefore = memAvailableKib();
  const sandboxes: Sandbox[] = [];
  const createUs: number[] = [];
  const started = process.hrtime.bigint();
  let fdsPerSandbox = 0;
  let target = requested;
  let limitedBy: string | undefined;
  let fdsAfterFirst = 0;
  while (sandboxes.length < target) {
    const t0 = process.hrtime.bigint();
    sandboxes.push(Sandbox.create(guest, { timeoutMs: CREATE_TIMEOUT_MS }));
    createUs.push(Number(process.hrtime.bigint() - t0) / 1000);
    // The first sandbox also opens /dev/kvm (shared by all), so count fds from the second one on.
    if (sandboxes.length === 1) fdsAfterFirst = openFds();
    if (sandboxes.length === 2) {
      // Stop short of the open-file limit rather than fail at it; say so in the result.
      fdsPerSandbox = openFds() - fdsAfterFirst;
      const fit = fdsPerSandbox > 0 ? 2 + Math.floor((limit - openFds() - 32) / fdsPerSandbox) : Infinity;
      if (fit < requested) {
        target = fit;
        limitedBy = `RLIMIT_NOFILE ${limit}: ${fdsPerSandbox} fds per sandbox`;
      }
    }
  }
  const createTotalMs = Number(process.hrtime.bigint() - started) / 1e6;
  global.gc?.();
  const rssAfter = statusKib('VmRSS');
  const availableAfter = memAvailableKib();
  const live = liveSandboxCount();
  // Idle does not mean broken: the first and the last still answer.
  for (const sandbox of [sandboxes[0], sandboxes[sandboxes.length - 1]]) {
    if (sandbox.callSync('PrintOutput', HELLO_MESSAGE).output !== HELLO_MESSAGE) throw new Error('a held sandbox answered wrongly');
  }
  const t0 = process.hrtime.bigint();
  for (const sandbox of sandboxes) sandbox.dispose();
  const disposeTotalMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const n = sandboxes.length;
  return {
    requested,
    created: n,
    limited_by: limitedBy ?? null,
    live_at_peak: live,
    live_after_dispose: liveSandboxCount(),
    fds_per_sandbox: fdsPerSandbox,
    open_file_limit: Number.isFinite(limit) ? limit : null,
    rss_before_kib: rssBefore,
    rss_after_kib: rssAfter,
    rss_per_sandbox_kib: (rssAfter - rssBefore) / n,
    system_per_sandbox_kib: (availableBefore - availableAfter) / n,
    create_total_ms: createTotalMs,
    create: summarise(createUs),
    dispose_total_ms: disposeTotalMs,
  };
}

const [guest, count] = process.argv.slice(2);
if (!guest || !/^\d+$/.test(count ?? '') || Number(count) < 1) {
  process.stderr.write('usage: node density-child.js <guest.elf> <N>\n');
  process.exit(2);
}
process.stdout.write(JSON.stringify(main(guest, Number(count))) + '\n');
