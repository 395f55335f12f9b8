import fs from 'node:fs';
import { ElfFile } from '../../../native/lib/elf';
import { formatBacktrace, formatCoreRegisters, summarizeCore } from '../../../debug-adapter/engine/postmortem';
import type { ParsedArgs } from '../args';
import type { Command } from '../command';
import { EXIT_OK, type Io } from '../io';
import { resolveGuest } from './guest-path';

function readElf(path: string, what: string): ElfFile {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  return new ElfFile(bytes);
}

export const coreCommand: Command = {
  spec: {
    name: 'core',
    summary: 'Summarise a crash dump: the fault in words, the registers, and a gdb-like backtrace.',
    positionals: [{ name: 'guest.elf' }, { name: 'core' }],
    flags: [{ name: 'json', description: 'print the summary as JSON' }],
  },
  async run(args: ParsedArgs, io: Io): Promise<number> {
    const guestPath = resolveGuest(io, args.positionals[0]);
    const summary = summarizeCore(readElf(guestPath, 'guest'), readElf(args.positionals[1], 'core file'));
    if (args.flags.has('json')) {
      io.out(JSON.stringify(summary, (_key, value: unknown) => (typeof value === 'bigint' ? `0x${value.toString(16)}` : value), 2) + '\n');
      return EXIT_OK;
    }
    const heading = summary.description
      ? `${summary.call ?? 'guest call'} faulted: ${summary.description}`
      : `core file without a micro-VM fault note (signal ${summary.signal})`;
    io.out(`${heading}\n\nRegisters:\n${formatCoreRegisters(summary.registers)}\n\nBacktrace:\n${formatBacktrace(summary.backtrace)}\n`);
    return EXIT_OK;
  },
};
