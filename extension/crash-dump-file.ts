// One crash dump as the extension lists and shows it, read from the core file: the call that
// faulted, the fault in words, when, and the guest ELF that wrote it. No VS Code types.
import fs from 'node:fs';
import { ElfFile } from '../native/lib/elf';
import { readCoreStatus, readMicroVmNote } from '../native/lib/coredump';

export interface CrashDump {
  readonly path: string;
  /** The guest function that faulted (from the note's `call`), when known. */
  readonly functionName: string | undefined;
  /** The fault in words. */
  readonly description: string;
  readonly time: Date;
  /** The ELF named by the core, if it still exists. */
  readonly program: string | undefined;
  /** The guest's file name as the core records it. */
  readonly programName: string | undefined;
}

/** Reads what the list and the viewer show; a file that is not one of our cores says why. */
export function readCrashDump(file: string): CrashDump {
  const core = ElfFile.fromFile(file);
  const status = readCoreStatus(core);
  const note = readMicroVmNote(core);
  const call = typeof note?.call === 'string' ? note.call : undefined;
  const program = typeof note?.program === 'string' && fs.existsSync(note.program) ? note.program : undefined;
  return {
    path: file,
    functionName: call?.replace(/^guest function /, ''),
    description: typeof note?.description === 'string' ? note.description : `signal ${status.signal} (a core without a MICROVM note)`,
    time: fs.statSync(file).mtime,
    program,
    programName: status.programName,
  };
}
