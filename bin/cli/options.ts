// Parsers for flag values; a bad value is a usage error naming the flag.
import { checkCrashDumpDir, CrashDumpDirError } from '../../native/lib/crash-dump';
import { isMicroVmError } from '../../native/lib/errors';
import { UsageError } from './args';

export function parsePositiveInteger(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) <= 0 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag} expects a positive integer, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 };

/** A byte count: `2097152`, `0x200000`, `512K`, `4M`, `4MiB` (binary units). */
export function parseSize(text: string, flag: string): number {
  const match = /^(0x[0-9a-f]+|\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined;
  const value = match && unit !== undefined ? Number(match[1]) * unit : NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new UsageError(`${flag} expects a size in bytes such as 4194304, 512K or 4M, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** The host's limit on a call's time budget (SandboxOptions.timeoutMs). */
export const MAX_TIMEOUT_MS = 2 ** 31;

export function parseTimeoutMs(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > MAX_TIMEOUT_MS) {
    throw new UsageError(`--timeout-ms expects a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got ${JSON.stringify(text)}`);
  }
  return value;
}

const PAGE = 4096;
/** The host's limit on guest memory (docs/guest-abi.md). */
export const MAX_MEMORY_SIZE = 256 * 1024 * 1024;

/** --memory-size: what every guest needs; whether this guest fits is the host's to say (hostRefusal). */
export function parseMemorySize(text: string): number {
  const value = parseSize(text, '--memory-size');
  if (value % PAGE !== 0 || value > MAX_MEMORY_SIZE) {
    throw new UsageError(`--memory-size expects a multiple of 4096 bytes (4K) up to 256M, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** A buffer size (--input-size): a multiple of 4096 bytes. */
export function parseBufferSize(text: string, flag: string): number {
  const value = parseSize(text, flag);
  if (value % PAGE !== 0) throw new UsageError(`${flag} expects a multiple of 4096 bytes (4K), got ${JSON.stringify(text)}`);
  return value;
}

// The host API's option names, as the commands' flags spell them.
const FLAGS_OF_OPTIONS: Readonly<Record<string, string>> = { memorySize: '--memory-size', inputBufferSize: '--input-size', timeoutMs: '--timeout-ms' };

/** The smallest power-of-two size that holds `bytes`, written as a flag value: 128K, 2M. */
function sizeFor(bytes: number): string {
  let size = 2 * PAGE;
  while (size < bytes) size *= 2;
  return size >= 1024 * 1024 ? `${size / (1024 * 1024)}M` : `${size / 1024}K`;
}

/**
 * The host API's refusal of what the command line asked for (an option this guest cannot live
 * with, arguments too large for the input buffer) as a usage error in the command line's words,
 * or undefined for any other error.
 */
export function hostRefusal(err: unknown): UsageError | undefined {
  if (!isMicroVmError(err) || (err.code !== 'INVALID_OPTIONS' && err.code !== 'BAD_ARGUMENTS')) return undefined;
  const need = /\bneed (\d+) bytes\b/.exec(err.message);
  const message = err.message
    .replace(/; raise inputBufferSize$/, `; raise it with --input-size${need ? `, e.g. --input-size ${sizeFor(Number(need[1]))}` : ''}`)
    .replace(/\b(memorySize|inputBufferSize|timeoutMs)\b/g, (name) => FLAGS_OF_OPTIONS[name]);
  return new UsageError(message);
}

export const DEFAULT_CRASH_DUMP_DIR = 'microvm-crashes';

/**
 * The crash-dump directory of `--crash-dump-dir` (or the default), checked before anything runs:
 * a directory that cannot hold a core is a usage error, not a surprise at the first fault.
 */
export function crashDumpDirOption(given: string | undefined, cwd: string): string {
  try {
    return checkCrashDumpDir(given ?? DEFAULT_CRASH_DUMP_DIR, cwd);
  } catch (error) {
    if (!(error instanceof CrashDumpDirError)) throw error;
    const what = given === undefined ? `the default crash-dump directory ./${DEFAULT_CRASH_DUMP_DIR}` : `--crash-dump-dir ${JSON.stringify(given)}`;
    const remedy = given === undefined ? '; choose another with --crash-dump-dir DIR' : given === '' ? `; give one, such as ./${DEFAULT_CRASH_DUMP_DIR}` : '';
    throw new UsageError(`${what}: ${error.reason}${remedy}, or use --no-crash-dump`);
  }
}
