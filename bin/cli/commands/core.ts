import path from 'node:path';
import { encodeNoteJson } from '../../../native/lib/coredump';
import { ElfFile } from '../../../native/lib/elf';
import { readInputFile } from '../../../native/lib/input-file';
import {
  coreLoadBias, coreMismatch, DEFAULT_BACKTRACE_FRAMES, formatBacktrace, formatCoreRegisters, summarizeCore, type Backtrace,
} from '../../../debug-adapter/engine/postmortem';
import type { ParsedArgs } from '../args';
import type { Command } from '../command';
import { EXIT_OK, type Io } from '../io';
import { resolveGuest } from './guest-path';

function readElf(file: string, what: string): ElfFile {
  let bytes: Uint8Array;
  try {
    bytes = readInputFile(file);
  } catch (error) {
    throw new Error(`${what} ${(error as Error).message}`);
  }
  return new ElfFile(bytes);
}

/** gdb's `bt` shows every frame; we show the innermost ones and say how many were left out. */
function omittedLine(backtrace: Backtrace): string {
  if (backtrace.omittedFrames === 0) return '';
  const total = backtrace.frames.length + backtrace.omittedFrames;
  return `\n(${backtrace.omittedFrames} more frames not shown: the innermost ${backtrace.frames.length} of ${total}; --all-frames prints every one)`;
}

export const coreCommand: Command = {
  spec: {
    name: 'core',
    summary: 'Summarise a crash dump: the fault in words, the registers, and a gdb-like backtrace.',
    positionals: [{ name: 'guest.elf' }, { name: 'core' }],
    flags: [
      { name: 'json', description: 'print the summary as JSON (addresses as "0x…", bytes as {"$bytes": "<hex>"}, as in the crash-dump note)' },
      { name: 'all-frames', description: `print every frame of the backtrace (by default the innermost ${DEFAULT_BACKTRACE_FRAMES}, then how many more there are)` },
      { name: 'ignore-mismatch', description: 'summarise a core that does not match the ELF anyway, after a warning (its backtrace may be wrong)' },
    ],
    details: [
      'The ELF must be the one that wrote the core: its code and read-only data are compared with the',
      'bytes the core holds at their addresses, and a core that differs is refused (exit 1), since a',
      'backtrace read with the wrong code would be wrong.',
    ].join('\n'),
  },
  async run(args: ParsedArgs, io: Io): Promise<number> {
    const guestPath = resolveGuest(io, args.positionals[0]);
    const corePath = path.resolve(io.cwd, args.positionals[1]);
    const guest = readElf(guestPath, 'guest');
    const core = readElf(corePath, 'core file');
    const mismatch = coreMismatch(core, guest, coreLoadBias(guest, core), { program: args.positionals[0], coreDump: args.positionals[1] });
    if (mismatch !== undefined) {
      if (!args.flags.has('ignore-mismatch')) throw new Error(`${mismatch} (--ignore-mismatch shows it anyway)`);
      io.err(`microvm core: warning: ${mismatch}\n`);
    }
    const summary = summarizeCore(guest, core, { maxFrames: args.flags.has('all-frames') ? Infinity : DEFAULT_BACKTRACE_FRAMES });
    if (args.flags.has('json')) {
      io.out(encodeNoteJson(summary, 2) + '\n');
      return EXIT_OK;
    }
    const heading = summary.description
      ? `${summary.call ?? 'guest call'} faulted: ${summary.description}`
      : `core file without a micro-VM fault note (signal ${summary.signal})`;
    const backtrace = `${formatBacktrace(summary.backtrace)}${omittedLine(summary.backtrace)}`;
    io.out(`${heading}\n\nRegisters:\n${formatCoreRegisters(summary.registers)}\n\nBacktrace:\n${backtrace}\n`);
    return EXIT_OK;
  },
};
