// The Registers scope: general registers, RIP, RFLAGS with its flags decoded, segment selectors,
// control registers and EFER, XMM0-15 and MXCSR, from a live vCPU or a core file. In the innermost
// frame of a live call, general registers, RIP, RFLAGS and XMM registers can be written.
import type { RegisterWrites } from '../../../native/lib';
import type { CoreRegisters } from '../../../native/lib/coredump';
import { hex } from '../../../native/lib/hex';
import type { FpuState, Registers, SegmentRegister } from '../../../native/lib/types';
import type { FrameRegisters } from '../unwind';
import type { MachineRegisters } from './machine';
import { group, leaf, type VariableNode } from './variable-node';

export const GENERAL_REGISTERS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;

const RFLAGS_BITS: ReadonlyArray<readonly [string, number, string]> = [
  ['CF', 0, 'carry'], ['PF', 2, 'parity'], ['AF', 4, 'auxiliary carry'], ['ZF', 6, 'zero'], ['SF', 7, 'sign'],
  ['TF', 8, 'trap'], ['IF', 9, 'interrupt enable'], ['DF', 10, 'direction'], ['OF', 11, 'overflow'],
  ['NT', 14, 'nested task'], ['RF', 16, 'resume'], ['AC', 18, 'alignment check'], ['ID', 21, 'CPUID available'],
];

const MXCSR_BITS: ReadonlyArray<readonly [string, number]> = [
  ['IE', 0], ['DE', 1], ['ZE', 2], ['OE', 3], ['UE', 4], ['PE', 5], ['DAZ', 6], ['IM', 7], ['DM', 8], ['ZM', 9], ['OM', 10], ['UM', 11], ['PM', 12], ['FZ', 15],
];

const SEGMENTS = ['cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const;

/** `[ ZF PF IF ]`, as gdb shows eflags. */
export function flagWords(rflags: bigint): string {
  const set = RFLAGS_BITS.filter(([, bit]) => (rflags >> BigInt(bit)) & 1n).map(([name]) => name);
  return `[ ${set.join(' ')}${set.length ? ' ' : ''}]`;
}

function isLive(registers: MachineRegisters): registers is Registers {
  return typeof (registers as Registers).cs === 'object';
}

function u64(value: bigint): string {
  return hex(BigInt.asUintN(64, value));
}

function vectorText(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).reverse().toString('hex')}`;
}

function xmmRows(bytes: Uint8Array): VariableNode[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const floats = [0, 1, 2, 3].map((i) => view.getFloat32(i * 4, true));
  const doubles = [0, 1].map((i) => view.getFloat64(i * 8, true));
  const ints = [0, 1, 2, 3].map((i) => view.getInt32(i * 4, true));
  const longs = [0, 1].map((i) => view.getBigInt64(i * 8, true));
  return [
    leaf('v4_float', `{${floats.join(', ')}}`, { type: 'float [4]' }),
    leaf('v2_double', `{${doubles.join(', ')}}`, { type: 'double [2]' }),
    leaf('v4_int32', `{${ints.join(', ')}}`, { type: 'int32_t [4]' }),
    leaf('v2_int64', `{${longs.join(', ')}}`, { type: 'int64_t [2]' }),
  ];
}

/** Parses a register value typed by the user: decimal, 0x hex, or negative decimal. */
function parseRegisterValue(text: string, name: string): bigint {
  const trimmed = text.trim();
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(trimmed)) throw new Error(`${name}: expected an integer (decimal or 0x hex), got ${JSON.stringify(text)}`);
  const negative = trimmed.startsWith('-');
  const value = BigInt(negative ? trimmed.slice(1) : trimmed);
  const signed = negative ? -value : value;
  if (signed < -(2n ** 63n) || signed >= 2n ** 64n) throw new Error(`${name}: ${text} does not fit in 64 bits`);
  return BigInt.asUintN(64, signed);
}

export interface RegisterScopeOptions {
  /** The frame's general registers as unwound (outer frames show what the unwinder recovered). */
  readonly frame: FrameRegisters;
  /** The whole machine's registers (the innermost frame's). */
  readonly machine: MachineRegisters;
  readonly innermost: boolean;
  /** Control registers a core file keeps in its MICROVM note. */
  readonly noteControl?: Record<string, string>;
  /** Writes registers of the innermost frame; absent where registers are read-only. */
  readonly write?: (writes: RegisterWrites) => void;
}

/** The rows of the Registers scope of a frame. */
export function registerRows(options: RegisterScopeOptions): VariableNode[] {
  const { frame, machine, innermost, write } = options;
  const writable = innermost ? write : undefined;
  const setter = (name: string, writeOne: (value: bigint) => RegisterWrites) =>
    writable
      ? (text: string): VariableNode => {
          const value = parseRegisterValue(text, name);
          writable(writeOne(value));
          return leaf(name, u64(value), { type: 'int64_t', evaluateName: `$${name}` });
        }
      : undefined;
  const rows: VariableNode[] = [];
  for (const name of GENERAL_REGISTERS) {
    const value = frame[name];
    rows.push(leaf(name, value === undefined ? '<not saved>' : u64(value), {
      type: 'int64_t',
      evaluateName: `$${name}`,
      readOnly: !writable || value === undefined,
      set: value === undefined ? undefined : setter(name, (v) => ({ [name]: v })),
    }));
  }
  const rip = frame.rip;
  rows.push(leaf('rip', rip === undefined ? '<not saved>' : u64(rip), { type: 'void (*)()', evaluateName: '$rip', readOnly: !writable, set: setter('rip', (v) => ({ rip: v })) }));
  if (!innermost) return rows; // the rest is machine state, not a frame's
  const rflags = machine.rflags;
  rows.push(group('rflags', `${u64(rflags)} ${flagWords(rflags)}`, () => [
    ...RFLAGS_BITS.map(([flag, bit, words]) => leaf(flag, String((rflags >> BigInt(bit)) & 1n), { type: words })),
    leaf('IOPL', String((rflags >> 12n) & 3n), { type: 'I/O privilege level' }),
  ], { type: 'i386_eflags', evaluateName: '$eflags', readOnly: !writable, set: setter('rflags', (v) => ({ rflags: v })) }));

  if (isLive(machine)) {
    for (const name of SEGMENTS) {
      const segment: SegmentRegister = machine[name];
      rows.push(leaf(name, `${hex(BigInt(segment.selector))} (base ${hex(segment.base)}, dpl ${segment.dpl})`, { type: 'segment selector', readOnly: true }));
    }
    for (const name of ['cr0', 'cr2', 'cr3', 'cr4', 'efer'] as const) rows.push(leaf(name, u64(machine[name]), { type: 'control register', readOnly: true }));
  } else {
    const core: CoreRegisters = machine;
    for (const name of SEGMENTS) rows.push(leaf(name, hex(BigInt(core.selectors[name])), { type: 'segment selector', readOnly: true }));
    rows.push(leaf('fs_base', u64(core.fsBase), { readOnly: true }), leaf('gs_base', u64(core.gsBase), { readOnly: true }));
    for (const [name, value] of Object.entries(options.noteControl ?? {})) rows.push(leaf(name, value, { type: 'control register (from the crash note)', readOnly: true }));
  }
  const fpu: FpuState | undefined = machine.fpu;
  if (fpu) {
    fpu.xmm.forEach((bytes, index) => {
      const name = `xmm${index}`;
      rows.push(group(name, vectorText(bytes), () => xmmRows(bytes), {
        type: 'vec128',
        evaluateName: `$${name}`,
        readOnly: !writable,
        set: writable
          ? (text) => {
              const value = parseRegisterValue(text, name);
              const replacement = new Uint8Array(16);
              for (let i = 0; i < 16; i++) replacement[i] = Number((value >> BigInt(i * 8)) & 0xffn);
              const xmm: (Uint8Array | undefined)[] = [];
              xmm[index] = replacement;
              writable({ fpu: { xmm } });
              return leaf(name, vectorText(replacement), { type: 'vec128' });
            }
          : undefined,
      }));
    });
    const mxcsr = BigInt(fpu.mxcsr);
    const on = MXCSR_BITS.filter(([, bit]) => (mxcsr >> BigInt(bit)) & 1n).map(([name]) => name);
    rows.push(leaf('mxcsr', `${hex(mxcsr)} [ ${on.join(' ')} ]`, { type: 'i386_mxcsr', readOnly: true }));
  }
  return rows;
}
