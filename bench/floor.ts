// The floor: bench/kvm-floor.c, compiled now with gcc and run in the same bench run, measures raw
// KVM with no project code, so every engine figure can be quoted as a ratio to it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface FloorStat {
  readonly mean_us: number;
  readonly p50_us: number;
  readonly p99_us: number;
  readonly min_us: number;
  readonly n: number;
}

export const FLOOR_KEYS = [
  'exit_ring3', 'exit_ring0', 'exit_ring3_mmio', 'vm_create', 'vm_first_exit', 'vm_destroy', 'vm_lifecycle',
  'ioctl_get_regs', 'ioctl_set_regs', 'ioctl_get_sregs', 'ioctl_set_sregs', 'ioctl_set_xsave', 'ioctl_get_dirty_log',
] as const;
export type FloorKey = (typeof FLOOR_KEYS)[number];
export type Floor = { readonly kvm_api_version: number } & { readonly [K in FloorKey]: FloorStat };

export interface FloorOptions {
  readonly exits: number;
  readonly creates: number;
  readonly ioctls: number;
}

export function measureFloor(root: string, options: FloorOptions): Floor {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-floor-'));
  try {
    const binary = path.join(dir, 'kvm-floor');
    execFileSync('gcc', ['-O2', '-Wall', '-o', binary, path.join(root, 'bench', 'kvm-floor.c')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const args = ['--exits', String(options.exits), '--creates', String(options.creates), '--ioctls', String(options.ioctls)];
    const parsed: unknown = JSON.parse(execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    return checkFloor(parsed);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function checkFloor(value: unknown): Floor {
  const record = value as Record<string, unknown>;
  for (const key of FLOOR_KEYS) {
    const stat = record[key] as Record<string, unknown> | undefined;
    if (typeof stat?.mean_us !== 'number') throw new Error(`kvm-floor printed no ${key}`);
  }
  return value as Floor;
}
