// Turns a CPU exception reported by the host's stubs into a GuestFault that says in words what
// went wrong: which exception, which access to which address, where, and in which function.
import type { NativeLayout } from './addon';
import { hex } from './hex';
import type { GuestFault, MemoryAccess, Registers } from './types';

interface ExceptionInfo {
  mnemonic: string;
  name: string;
}

const EXCEPTIONS: Record<number, ExceptionInfo> = {
  0: { mnemonic: '#DE', name: 'divide error' },
  1: { mnemonic: '#DB', name: 'debug exception' },
  2: { mnemonic: 'NMI', name: 'non-maskable interrupt' },
  3: { mnemonic: '#BP', name: 'breakpoint (int3)' },
  4: { mnemonic: '#OF', name: 'overflow' },
  5: { mnemonic: '#BR', name: 'bound range exceeded' },
  6: { mnemonic: '#UD', name: 'invalid opcode' },
  7: { mnemonic: '#NM', name: 'device not available' },
  8: { mnemonic: '#DF', name: 'double fault' },
  9: { mnemonic: '#CSO', name: 'coprocessor segment overrun' },
  10: { mnemonic: '#TS', name: 'invalid TSS' },
  11: { mnemonic: '#NP', name: 'segment not present' },
  12: { mnemonic: '#SS', name: 'stack-segment fault' },
  13: { mnemonic: '#GP', name: 'general protection fault' },
  14: { mnemonic: '#PF', name: 'page fault' },
  16: { mnemonic: '#MF', name: 'x87 floating-point exception' },
  17: { mnemonic: '#AC', name: 'alignment check' },
  18: { mnemonic: '#MC', name: 'machine check' },
  19: { mnemonic: '#XM', name: 'SIMD floating-point exception' },
  20: { mnemonic: '#VE', name: 'virtualization exception' },
  21: { mnemonic: '#CP', name: 'control protection exception' },
};

export function exceptionInfo(vector: number): ExceptionInfo {
  return EXCEPTIONS[vector] ?? { mnemonic: `#${vector}`, name: `reserved exception vector ${vector}` };
}


// Instructions ring 3 may not execute: a #GP at one of them is named, since "general protection
// fault" alone does not tell a guest author that `hlt` or `cli` is the problem.
function privilegedInstruction(bytes: Uint8Array | undefined): string | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  let i = 0;
  while (i < bytes.length - 1 && (bytes[i] === 0x66 || bytes[i] === 0xf2 || bytes[i] === 0xf3 || (bytes[i] >= 0x40 && bytes[i] <= 0x4f))) i++;
  const op = bytes[i];
  const next = bytes[i + 1];
  const single: Record<number, string> = { 0xf4: 'hlt', 0xfa: 'cli', 0xfb: 'sti', 0xcf: 'iretq', 0xe4: 'in', 0xe5: 'in', 0xec: 'in', 0xed: 'in', 0xe6: 'out', 0xe7: 'out', 0xee: 'out', 0xef: 'out', 0x6c: 'ins', 0x6d: 'ins', 0x6e: 'outs', 0x6f: 'outs' };
  if (op in single) return single[op];
  if (op !== 0x0f || next === undefined) return undefined;
  const modrmReg = ((bytes[i + 2] ?? 0) >> 3) & 7;
  if (next === 0x01) return ['sgdt', 'sidt', 'lgdt', 'lidt', 'smsw', undefined, 'lmsw', 'invlpg'][modrmReg];
  if (next === 0x00) return ['sldt', 'str', 'lldt', 'ltr', 'verr', 'verw', undefined, undefined][modrmReg];
  const twoByte: Record<number, string> = { 0x20: 'mov from a control register', 0x22: 'mov to a control register', 0x21: 'mov from a debug register', 0x23: 'mov to a debug register', 0x30: 'wrmsr', 0x32: 'rdmsr', 0x06: 'clts', 0x08: 'invd', 0x09: 'wbinvd', 0x07: 'sysret', 0x05: 'syscall', 0x35: 'sysexit', 0x34: 'sysenter', 0x33: 'rdpmc' };
  return twoByte[next];
}

export interface FaultContext {
  layout: NativeLayout;
  /** Reads guest memory; returns undefined where unmapped. */
  read(address: bigint, length: number): Uint8Array | undefined;
  /** Function containing an address, from the ELF symbols. */
  functionAt(address: bigint): string | undefined;
}

const MAX_FRAMES = 64;

/** Raw return addresses by walking the RBP chain inside the guest stack; innermost (RIP) first. */
export function frameChain(registers: Registers, context: FaultContext): bigint[] {
  const frames = [registers.rip];
  const { stackBottom, stackSize } = context.layout;
  const stackTop = stackBottom + BigInt(stackSize);
  let rbp = registers.rbp;
  while (frames.length < MAX_FRAMES && rbp >= stackBottom && rbp + 16n <= stackTop && rbp % 8n === 0n) {
    const bytes = context.read(rbp, 16);
    if (!bytes) break;
    const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
    const next = view.getBigUint64(0, true);
    const ret = view.getBigUint64(8, true);
    if (ret === 0n) break;
    frames.push(ret);
    if (next <= rbp) break; // frames must move towards the stack top
    rbp = next;
  }
  return frames;
}

function pageFaultAccess(errorCode: number): MemoryAccess {
  if (errorCode & 0x10) return 'fetch';
  return errorCode & 0x2 ? 'write' : 'read';
}

export function decodeFault(vector: number, errorCode: number, cr2: bigint, registers: Registers, context: FaultContext): GuestFault {
  const info = exceptionInfo(vector);
  const rip = registers.rip;
  const functionName = context.functionAt(rip);
  const where = `at RIP ${hex(rip)}${functionName ? ` in ${functionName}` : ''}`;
  const { stackGuardAddress, stackBottom, stackSize } = context.layout;
  const isPageFault = vector === 14;
  const access = isPageFault ? pageFaultAccess(errorCode) : undefined;
  const accessWords = access === 'fetch' ? 'instruction fetch' : access;
  const nullDereference = isPageFault && cr2 < 0x1000n;
  const inGuard = (address: bigint) => address >= stackGuardAddress && address < stackBottom;
  // A #PF in the guard page, or a #DF whose stack pointer ran into it, is the guest stack overflowing.
  const stackOverflow = (isPageFault && inGuard(cr2)) || (vector === 8 && registers.rsp <= stackBottom + 64n && registers.rsp >= stackGuardAddress - 0x1000n);

  const privileged = vector === 13 ? privilegedInstruction(context.read(rip, 16) ?? context.read(rip, 1)) : undefined;
  let description: string;
  if (nullDereference) {
    description = `null pointer dereference: ${accessWords} of address ${hex(cr2)} ${where}`;
  } else if (stackOverflow) {
    description = `stack overflow: the ${stackSize / 1024} KiB guest stack is exhausted` +
      (isPageFault ? ` (${accessWords} of guard page address ${hex(cr2)})` : '') + ` ${where}`;
  } else if (isPageFault) {
    const reason = errorCode & 0x10 && errorCode & 0x1 ? 'the page is not executable'
      : errorCode & 0x1 ? (access === 'write' ? 'the page is read-only' : 'protection violation')
      : 'the page is not mapped';
    description = `page fault: ${accessWords} of address ${hex(cr2)} (${reason}) ${where}`;
  } else if (privileged) {
    description = `general protection fault: ${privileged} is a privileged instruction (guest code runs in ring 3) ${where}`;
  } else if (vector === 8) {
    description = `double fault: the CPU faulted while delivering an exception (RSP ${hex(registers.rsp)}) ${where}`;
  } else {
    const code = [8, 10, 11, 12, 13, 14, 17, 21, 29, 30].includes(vector) ? ` (error code ${hex(errorCode)})` : '';
    description = `${info.name}${code} ${where}`;
  }
  return {
    vector,
    mnemonic: info.mnemonic,
    exceptionName: info.name,
    errorCode,
    faultAddress: isPageFault ? cr2 : undefined,
    access,
    rip,
    registers,
    backtrace: frameChain(registers, context),
    functionName,
    stackOverflow,
    nullDereference,
    description,
  };
}
