// Writes the ELF core file for a faulted call (format: docs/crash-dump.md).
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

/** Every region the guest can read, with its bytes: the PT_LOAD segments of a core. */
function readableRegions(source: DumpSource): { region: MemoryRegion; data: Uint8Array }[] {
  return source.regions
    .filter((region) => region.readable)
    .map((region) => ({ region, data: source.native.readMemory(region.address, region.size) }));
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
