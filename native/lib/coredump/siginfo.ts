// NT_SIGINFO: the 128-byte siginfo_t of the fault, so gdb's $_siginfo shows the signal, its code and
// (for memory faults) the faulting address. Layout: 0 si_signo  4 si_errno  8 si_code  16 si_addr.

export const SIGINFO_SIZE = 128;

export function encodeSigInfo(signal: number, code: number, address: bigint | undefined): Uint8Array {
  const bytes = new Uint8Array(SIGINFO_SIZE);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, signal, true);
  view.setInt32(8, code, true);
  if (address !== undefined) view.setBigUint64(16, BigInt.asUintN(64, address), true);
  return bytes;
}
