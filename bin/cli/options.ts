// Parsers for flag values; a bad value is a usage error naming the flag.
import { checkCrashDumpDir, CrashDumpDirError } from '../../native/lib/crash-dump';
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
