// NT_FPREGSET: the 512-byte FXSAVE image (64-bit layout), which gdb reads for st0-7, the x87
// control registers, xmm0-15 and mxcsr. Layout (byte offsets):
//   0 FCW  2 FSW  4 FTW (abridged)  6 FOP  8 FIP (u64)  16 FDP (u64)  24 MXCSR  28 MXCSR_MASK
//   32 ST0..ST7 in 16-byte slots (10 bytes used)  160 XMM0..XMM15 (16 bytes each)  416..511 reserved
import type { FpuState } from '../types';
import { CoreFormatError } from './errors';

export const FXSAVE_SIZE = 512;
const ST_OFFSET = 32;
const XMM_OFFSET = 160;
/** MXCSR_MASK as the brief and common CPUs report it: every MXCSR bit below 16 is writable. */
export const MXCSR_MASK = 0xffff;

export function encodeFxsave(fpu: FpuState): Uint8Array {
  const bytes = new Uint8Array(FXSAVE_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, fpu.fcw, true);
  view.setUint16(2, fpu.fsw, true);
  bytes[4] = fpu.ftw & 0xff;
  view.setUint16(6, fpu.fop, true);
  view.setBigUint64(8, BigInt.asUintN(64, fpu.fip), true);
  view.setBigUint64(16, BigInt.asUintN(64, fpu.fdp), true);
  view.setUint32(24, fpu.mxcsr >>> 0, true);
  view.setUint32(28, MXCSR_MASK, true);
  copyRegisters(bytes, fpu.st, 8, 10, ST_OFFSET, 16, 'st');
  copyRegisters(bytes, fpu.xmm, 16, 16, XMM_OFFSET, 16, 'xmm');
  return bytes;
}

function copyRegisters(target: Uint8Array, regs: readonly Uint8Array[], count: number, width: number, base: number, stride: number, what: string): void {
  if (regs.length > count) throw new RangeError(`FpuState.${what} has ${regs.length} registers; at most ${count}`);
  regs.forEach((reg, i) => {
    if (reg.length !== width) throw new RangeError(`FpuState.${what}[${i}] is ${reg.length} bytes; expected ${width}`);
    target.set(reg, base + i * stride);
  });
}

export function decodeFxsave(image: Uint8Array): FpuState {
  if (image.length < FXSAVE_SIZE) throw new CoreFormatError(`NT_FPREGSET descriptor is ${image.length} bytes; FXSAVE is ${FXSAVE_SIZE}`);
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const slice = (from: number, len: number): Uint8Array => image.slice(from, from + len);
  return {
    fcw: view.getUint16(0, true),
    fsw: view.getUint16(2, true),
    ftw: image[4],
    fop: view.getUint16(6, true),
    fip: view.getBigUint64(8, true),
    fdp: view.getBigUint64(16, true),
    mxcsr: view.getUint32(24, true),
    st: Array.from({ length: 8 }, (_, i) => slice(ST_OFFSET + i * 16, 10)),
    xmm: Array.from({ length: 16 }, (_, i) => slice(XMM_OFFSET + i * 16, 16)),
  };
}
