// The notes of our core file, in the order Linux writes them for the faulting thread.
import { AT_ENTRY, AT_PAGESZ, AT_PHDR, AT_PHENT, AT_PHNUM } from '../elf/constants';
import { encodeAuxv } from './auxv';
import { encodeFxsave } from './fpregset';
import { CoreDumpInput } from './input';
import { encodeMicroVmNote, MICROVM_NOTE_NAME, NT_MICROVM_FAULT } from './microvm-note';
import { NoteRecord } from './note-encoding';
import { encodePrPsInfo } from './prpsinfo';
import { encodePrStatus, userRegsFrom } from './prstatus';
import { siCodeForVector } from './signals';
import { encodeSigInfo } from './siginfo';

export const NT_PRSTATUS = 1;
export const NT_FPREGSET = 2;
export const NT_PRPSINFO = 3;
export const NT_AUXV = 6;
export const NT_SIGINFO = 0x53494749;

const PAGE_SIZE = 4096n;

function baseName(name: string): string {
  return name.split(/[\\/]/).pop() || name;
}

export function coreNotes(input: CoreDumpInput): NoteRecord[] {
  const pid = input.pid ?? 1;
  const auxv: [number, bigint][] = [[AT_PAGESZ, PAGE_SIZE]];
  if (input.programHeaders) {
    auxv.push([AT_PHDR, input.programHeaders.address], [AT_PHENT, 56n], [AT_PHNUM, BigInt(input.programHeaders.count)]);
  }
  auxv.push([AT_ENTRY, input.entry]);
  const siCode = input.fault ? siCodeForVector(input.fault.vector, input.fault.errorCode) : 0x80;
  return [
    { name: 'CORE', type: NT_PRSTATUS, desc: encodePrStatus({ signal: input.signal, pid, fpvalid: true, regs: userRegsFrom(input.registers) }) },
    { name: 'CORE', type: NT_PRPSINFO, desc: encodePrPsInfo({ fname: baseName(input.guestName), psargs: input.commandLine ?? input.guestName, pid }) },
    { name: 'CORE', type: NT_SIGINFO, desc: encodeSigInfo(input.signal, siCode, input.fault?.address) },
    { name: 'CORE', type: NT_AUXV, desc: encodeAuxv(auxv) },
    { name: 'CORE', type: NT_FPREGSET, desc: encodeFxsave(input.registers.fpu) },
    { name: MICROVM_NOTE_NAME, type: NT_MICROVM_FAULT, desc: encodeMicroVmNote(input.details) },
  ];
}
