// Which POSIX signal a CPU exception maps to in a core file, following what Linux delivers to a
// user process for the same exception (arch/x86/kernel/traps.c), so gdb prints a familiar reason.

export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGSEGV = 11;

const BY_VECTOR: ReadonlyMap<number, number> = new Map([
  [0, SIGFPE], // #DE divide error
  [1, SIGTRAP], // #DB debug
  [3, SIGTRAP], // #BP breakpoint (int3)
  [4, SIGSEGV], // #OF overflow
  [5, SIGSEGV], // #BR bound range
  [6, SIGILL], // #UD invalid opcode
  [7, SIGFPE], // #NM device not available
  [8, SIGSEGV], // #DF double fault (in this VM: usually a stack overflow)
  [9, SIGFPE], // coprocessor segment overrun
  [10, SIGSEGV], // #TS invalid TSS
  [11, SIGBUS], // #NP segment not present
  [12, SIGSEGV], // #SS stack-segment fault
  [13, SIGSEGV], // #GP general protection
  [14, SIGSEGV], // #PF page fault
  [16, SIGFPE], // #MF x87 floating-point error
  [17, SIGBUS], // #AC alignment check
  [18, SIGBUS], // #MC machine check
  [19, SIGFPE], // #XM SIMD floating-point
]);

/** The signal a core file reports for exception `vector`; SIGSEGV for anything not listed. */
export function signalForVector(vector: number): number {
  return BY_VECTOR.get(vector) ?? SIGSEGV;
}

// si_code values (include/uapi/asm-generic/siginfo.h).
const SI_KERNEL = 0x80;
const SEGV_MAPERR = 1;
const SEGV_ACCERR = 2;
const ILL_ILLOPN = 2;
const FPE_INTDIV = 1;
const FPE_FLTINV = 7;
const TRAP_BRKPT = 1;

/** si_code for NT_SIGINFO; a #PF error code's P bit tells an unmapped page from a protection fault. */
export function siCodeForVector(vector: number, errorCode: number | undefined): number {
  switch (vector) {
    case 0: return FPE_INTDIV;
    case 1: case 3: return TRAP_BRKPT;
    case 6: return ILL_ILLOPN;
    case 16: case 19: return FPE_FLTINV;
    case 14: return errorCode !== undefined && (errorCode & 1) !== 0 ? SEGV_ACCERR : SEGV_MAPERR;
    default: return SI_KERNEL;
  }
}
