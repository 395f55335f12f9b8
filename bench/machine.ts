// Facts about the machine a bench ran on, for the report: a figure means little without them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export interface MachineFacts {
  readonly cpu: string;
  readonly cores: number;
  readonly memory_gib: number;
  readonly kernel: string;
  readonly kvm: string;
  readonly node: string;
  readonly gcc: string;
  readonly hey: string;
  readonly commit: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  readonly load_average: number;
}

function firstLine(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim();
  } catch {
    return 'not found';
  }
}

// PVM (paravirtualised KVM) loads kvm_pvm; hardware KVM loads kvm_intel or kvm_amd.
function kvmFlavour(): string {
  const loaded = (name: string): boolean => fs.existsSync(`/sys/module/${name}`);
  const inVm = /\bhypervisor\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  const where = inVm ? ', inside a VM' : '';
  if (loaded('kvm_pvm')) return `PVM, paravirtualised KVM (kvm_pvm)${where}`;
  if (loaded('kvm_intel')) return `hardware KVM (kvm_intel)${where}`;
  if (loaded('kvm_amd')) return `hardware KVM (kvm_amd)${where}`;
  return fs.existsSync('/dev/kvm') ? `KVM (module unknown)${where}` : 'no /dev/kvm';
}

export function machineFacts(root: string): MachineFacts {
  const commit = firstLine('git', ['-C', root, 'rev-parse', '--short', 'HEAD']);
  const dirty = firstLine('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no']) === '' ? '' : ' (with uncommitted changes)';
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    kvm: kvmFlavour(),
    node: process.version,
    gcc: firstLine('gcc', ['--version']),
    hey: firstLine('dpkg-query', ['-W', '-f=${Version}', 'hey']).replace(/^(?!not found)/, 'hey '),
    commit: commit + (commit === 'not found' ? '' : dirty),
    load_average: Math.round(os.loadavg()[0] * 100) / 100,
  };
}
