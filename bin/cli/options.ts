// Parsers for numeric flag values. Pure; a bad value is a usage error naming the flag.
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
