// Writes the ELF core file for a faulted call (format: docs/crash-dump.md), and the one check of a
// crash-dump directory every front end (CLI, demo, debug adapter) makes before it runs anything.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { faultNoteDetails, signalForVector, SIGTRAP, writeCoreFile } from './coredump';
import type { GuestFault, HostCallRecord, MemoryRegion, Registers } from './types';

export interface DumpSource {
  readonly guestPath: string | undefined;
  readonly entry: bigint;
  readonly regions: readonly MemoryRegion[];
  readonly native: { readMemory(address: bigint, length: number): Uint8Array };
}

let sequence = 0;

/** A crash-dump directory that cannot hold core files; `reason` says why without naming an option. */
export class CrashDumpDirError extends Error {
  constructor(readonly directory: string, readonly reason: string) {
    super(`crash-dump directory ${JSON.stringify(directory)}: ${reason}`);
    this.name = 'CrashDumpDirError';
  }
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

function notADirectory(file: string, stat: fs.Stats): string {
  return stat.isFile() ? `${file} is a file, not a directory` : `${file} is not a directory`;
}

function mkdirProblem(dir: string, error: NodeJS.ErrnoException): string {
  const parent = path.dirname(dir);
  switch (error.code) {
    // The parent exists (it was just checked), so ENOENT means its file system takes no new entries.
    case 'ENOENT': return `${parent} exists but refuses new directories (mkdir: ENOENT; a virtual file system such as /proc or /sys)`;
    case 'EACCES':
    case 'EPERM': return `no permission to create a directory in ${parent} (${error.code})`;
    case 'EROFS': return `${parent} is on a read-only file system (EROFS)`;
    default: return `mkdir failed: ${error.message}`;
  }
}

/**
 * Creates `dir` and its missing parents, one level at a time, and returns the directories it
 * created, outermost first. Node's recursive mkdir never returns where a file system refuses new
 * directories with ENOENT (under /proc or /sys): it retries the parent that exists forever.
 * Throws an Error whose message says which path is in the way and why.
 */
export function makeDirectory(dir: string): string[] {
  const absolute = path.resolve(dir);
  const missing: string[] = [];
  let existing = absolute;
  let stat = statOrUndefined(existing);
  while (!stat) {
    missing.unshift(existing);
    existing = path.dirname(existing);
    stat = statOrUndefined(existing);
  }
  if (!stat.isDirectory()) {
    throw new Error(existing === absolute ? notADirectory(existing, stat) : `cannot create ${absolute}: ${notADirectory(existing, stat)}`);
  }
  const created: string[] = [];
  for (const next of missing) {
    try {
      fs.mkdirSync(next);
      created.push(next);
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      // Another process made it meanwhile: fine if it is a directory.
      if (err.code === 'EEXIST' && statOrUndefined(next)?.isDirectory()) continue;
      throw new Error(`cannot create ${absolute}: ${mkdirProblem(next, err)}`);
    }
  }
  return created;
}

/**
 * Checks that core files can be written into `dir` and returns its absolute path (relative paths
 * resolve against `cwd`). A missing directory is created to prove it can be, then removed again:
 * it appears only when a fault writes a core into it. Throws CrashDumpDirError otherwise.
 */
export function checkCrashDumpDir(dir: string, cwd: string = process.cwd()): string {
  // path.resolve('') is the working directory, which nobody means by an empty setting.
  if (dir === '') throw new CrashDumpDirError(dir, 'an empty path names no directory');
  const absolute = path.resolve(cwd, dir);
  let created: string[];
  try {
    created = makeDirectory(absolute);
  } catch (error) {
    throw new CrashDumpDirError(dir, (error as Error).message);
  }
  try {
    fs.accessSync(absolute, fs.constants.W_OK | fs.constants.X_OK);
  } catch (error) {
    throw new CrashDumpDirError(dir, `${absolute} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  } finally {
    for (const made of created.reverse()) {
      try {
        fs.rmdirSync(made);
      } catch {
        // a core or another process's file landed there meanwhile: keep it
      }
    }
  }
  return absolute;
}

/** Every region the guest can read, with its bytes: the PT_LOAD segments of a core. */
function readableRegions(source: DumpSource): { region: MemoryRegion; data: Uint8Array }[] {
  return source.regions
    .filter((region) => region.readable)
    .map((region) => ({ region, data: source.native.readMemory(region.address, region.size) }));
}

// Made here, not by writeCoreFile's recursive mkdir, which hangs where the directory cannot be made.
function createDumpDirectory(directory: string): void {
  try {
    makeDirectory(directory);
  } catch (error) {
    throw new CrashDumpDirError(directory, (error as Error).message);
  }
}

/** Returns the path of the core file written into `directory`. */
export function writeCrashDump(
  directory: string, source: DumpSource, fault: GuestFault, what: string, hostCalls: readonly HostCallRecord[],
): string {
  const guestName = source.guestPath ? path.basename(source.guestPath) : 'guest.elf';
  const functionPart = what.replace(/^guest function /, '').replace(/[^A-Za-z0-9_]+/g, '-');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.resolve(directory, `${guestName}.${functionPart}.${stamp}.${process.pid}.${sequence++}.core`);
  const regions = readableRegions(source);
  createDumpDirectory(directory);
  writeCoreFile(file, {
    guestName,
    entry: source.entry,
    registers: fault.registers,
    signal: signalForVector(fault.vector),
    regions,
    fault: { vector: fault.vector, errorCode: fault.errorCode, address: fault.faultAddress },
    commandLine: `${guestName} ${functionPart}`,
    details: { ...faultNoteDetails(fault, { call: what, hostCalls, abiVersion: 1 }), program: source.guestPath },
  });
  return file;
}

/**
 * Writes a core file of a stopped (not faulted) guest, e.g. at a breakpoint, so that gdb and
 * `microvm core` can inspect the same state. Returns its path.
 */
export function writeStateDump(directory: string, source: DumpSource, registers: Registers, what: string): string {
  const guestName = source.guestPath ? path.basename(source.guestPath) : 'guest.elf';
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.resolve(directory, `${guestName}.stopped.${stamp}.${process.pid}.${sequence++}.core`);
  const regions = readableRegions(source);
  createDumpDirectory(directory);
  writeCoreFile(file, {
    guestName,
    entry: source.entry,
    registers,
    signal: SIGTRAP,
    regions,
    commandLine: `${guestName} ${what}`,
    details: { abiVersion: 1, call: what, description: `stopped: ${what}`, rip: registers.rip, program: source.guestPath },
  });
  return file;
}
