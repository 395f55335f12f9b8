// gdb's $-registers on x86-64: which machine register each name reads (a 32/16/8-bit view is a
// slice of its 64-bit register), its DWARF number (for writes) and the type gdb gives it:
// int64_t for general registers, `void *` for $rsp/$rbp, `void (*)()` for $rip, i386_eflags flags,
// int32_t selectors, `union vec128` for $xmm0-15 (v8_bfloat16, v8_half, v4_float, v2_double,
// v16_int8, v8_int16, v4_int32, v2_int64, uint128), i387_ext for $st0-7, and the 32/16/8-bit views
// ($eax, $ax, $al, $ah, $r8d, $r8w, $r8l). $pc, $sp and $fp are $rip, $rsp and $rbp; $rflags is
// $eflags. Two differences from gdb: its $fp is the frame base (rbp only in frames that keep a
// frame pointer), and it has no $rflags (it prints void).
import { dwarfConstants, type CompositeType, type FunctionType, type Member, type TypeInfo } from '../dwarf';
import type { CoreRegisters } from '../../../native/lib/coredump';
import type { Registers } from '../../../native/lib/types';
import {
  DWARF_ES, DWARF_FS_BASE, DWARF_GS_BASE, DWARF_MXCSR, DWARF_RFLAGS, DWARF_RIP, DWARF_ST0, DWARF_XMM0, GENERAL_REGISTERS, SEGMENT_REGISTERS,
} from '../shared/dwarf-registers';
import { arrayOf, baseType, C_TYPES, pointerTo } from './c-types';

const ATE = dwarfConstants.DW_ATE;

export const REGISTER_TYPES = {
  int8: baseType('int8_t', ATE.signed, 1),
  int16: baseType('int16_t', ATE.signed, 2),
  int32: baseType('int32_t', ATE.signed, 4),
  int64: baseType('int64_t', ATE.signed, 8),
  uint128: baseType('uint128_t', ATE.unsigned, 16),
  bfloat16: baseType('bfloat16', ATE.float, 2),
  half: baseType('half', ATE.float, 2),
  x87: baseType('i387_ext', ATE.float, 10),
  eflags: baseType('i386_eflags', ATE.unsigned, 4),
  mxcsr: baseType('i386_mxcsr', ATE.unsigned, 4),
} as const;

const codeFunction: FunctionType = { kind: 'function', returnType: undefined, parameters: [], variadic: false, prototyped: false };
const codePointer = pointerTo(codeFunction);
const dataPointer = pointerTo(undefined);

function vectorMember(name: string, element: TypeInfo, count: number): Member {
  return { name, type: arrayOf(element, count), byteOffset: 0 };
}

export const VEC128: CompositeType = {
  kind: 'union',
  name: 'vec128',
  byteSize: 16,
  declaration: false,
  members: [
    vectorMember('v8_bfloat16', REGISTER_TYPES.bfloat16, 8),
    vectorMember('v8_half', REGISTER_TYPES.half, 8),
    vectorMember('v4_float', C_TYPES.float, 4),
    vectorMember('v2_double', C_TYPES.double, 2),
    vectorMember('v16_int8', REGISTER_TYPES.int8, 16),
    vectorMember('v8_int16', REGISTER_TYPES.int16, 8),
    vectorMember('v4_int32', REGISTER_TYPES.int32, 4),
    vectorMember('v2_int64', REGISTER_TYPES.int64, 2),
    { name: 'uint128', type: REGISTER_TYPES.uint128, byteOffset: 0 },
  ],
};

/** Flag registers print as gdb's `[ ZF PF ]`: the set bits that have a name, in this order. */
export const FLAG_FIELDS = new Map<TypeInfo, ReadonlyArray<readonly [string, number]>>([
  [REGISTER_TYPES.eflags, [['CF', 0], ['PF', 2], ['AF', 4], ['ZF', 6], ['SF', 7], ['TF', 8], ['IF', 9], ['DF', 10], ['OF', 11], ['NT', 14], ['RF', 16], ['VM', 17], ['AC', 18], ['VIF', 19], ['VIP', 20], ['ID', 21]]],
  [REGISTER_TYPES.mxcsr, [['IE', 0], ['DE', 1], ['ZE', 2], ['OE', 3], ['UE', 4], ['PE', 5], ['DAZ', 6], ['IM', 7], ['DM', 8], ['ZM', 9], ['OM', 10], ['UM', 11], ['PM', 12], ['FZ', 15]]],
]);

export interface RegisterView {
  /** The machine register read (the scope's register name): `rax` for $eax. */
  readonly source: string;
  /** Its DWARF register number, for writes. */
  readonly dwarf: number;
  readonly type: TypeInfo;
  /** Where the view starts in the register and how wide it is, in bytes. */
  readonly byteOffset: number;
  readonly size: number;
}

/** The sub-register views of each general register: 32-bit, 16-bit, 8-bit low, 8-bit high. */
const SUBREGISTERS: Readonly<Record<string, readonly [string, string, string, string | undefined]>> = {
  rax: ['eax', 'ax', 'al', 'ah'],
  rdx: ['edx', 'dx', 'dl', 'dh'],
  rcx: ['ecx', 'cx', 'cl', 'ch'],
  rbx: ['ebx', 'bx', 'bl', 'bh'],
  rsi: ['esi', 'si', 'sil', undefined],
  rdi: ['edi', 'di', 'dil', undefined],
  rbp: ['ebp', 'bp', 'bpl', undefined],
  rsp: ['esp', 'sp', 'spl', undefined],
};

function buildViews(): Map<string, RegisterView> {
  const views = new Map<string, RegisterView>();
  const add = (name: string, source: string, dwarf: number, type: TypeInfo, size: number, byteOffset = 0): void =>
    void views.set(name, { source, dwarf, type, byteOffset, size });
  // Numbers from the engine's DWARF register table; gdb's names for rflags, fs.base and gs.base.
  GENERAL_REGISTERS.forEach((full, dwarf) => {
    if (dwarf === DWARF_RIP) return;
    const [dword, word, low, high] = SUBREGISTERS[full] ?? [`${full}d`, `${full}w`, `${full}l`, undefined];
    add(full, full, dwarf, full === 'rsp' || full === 'rbp' ? dataPointer : REGISTER_TYPES.int64, 8);
    add(dword, full, dwarf, REGISTER_TYPES.int32, 4);
    add(word, full, dwarf, REGISTER_TYPES.int16, 2);
    add(low, full, dwarf, REGISTER_TYPES.int8, 1);
    if (high) add(high, full, dwarf, REGISTER_TYPES.int8, 1, 1);
  });
  add('rip', 'rip', DWARF_RIP, codePointer, 8);
  add('eflags', 'eflags', DWARF_RFLAGS, REGISTER_TYPES.eflags, 4);
  SEGMENT_REGISTERS.forEach((name, i) => add(name, name, DWARF_ES + i, REGISTER_TYPES.int32, 4));
  add('fs_base', 'fs_base', DWARF_FS_BASE, C_TYPES.long, 8);
  add('gs_base', 'gs_base', DWARF_GS_BASE, C_TYPES.long, 8);
  add('mxcsr', 'mxcsr', DWARF_MXCSR, REGISTER_TYPES.mxcsr, 4);
  for (let i = 0; i < 16; i++) add(`xmm${i}`, `xmm${i}`, DWARF_XMM0 + i, VEC128, 16);
  for (let i = 0; i < 8; i++) add(`st${i}`, `st${i}`, DWARF_ST0 + i, REGISTER_TYPES.x87, 10);
  const alias = (name: string, of: string): void => void views.set(name, views.get(of) as RegisterView);
  alias('pc', 'rip');
  alias('sp', 'rsp');
  alias('fp', 'rbp');
  alias('rflags', 'eflags'); // not a gdb name (gdb prints void), but the architecture's
  return views;
}

const VIEWS = buildViews();

/** The register gdb means by `$name` (without the `$`), or undefined (a convenience variable). */
export function registerView(name: string): RegisterView | undefined {
  return VIEWS.get(name);
}

const NAME_OF_DWARF = new Map<number, string>([...VIEWS].filter(([name, view]) => name === view.source).map(([, view]) => [view.dwarf, view.source]));

/** The scope's name for a DWARF register number (x86-64 psABI): 17 is `xmm0`, 49 `eflags`. */
export function registerNameOfDwarf(regno: number): string | undefined {
  return NAME_OF_DWARF.get(regno);
}

/** The value of one named machine register in a full register set, for the scope's reader. */
export type NamedRegisterReader = (name: string) => bigint | undefined;

function bytesToBigint(bytes: Uint8Array | undefined, size: number): bigint | undefined {
  if (!bytes || bytes.length < size) return undefined;
  let value = 0n;
  for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

const SEGMENTS = ['cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const;

/**
 * Reads every register gdb names from a core's registers (readCoreStatus) or a live vCPU's
 * (Sandbox registers): general registers, eflags, selectors, fs/gs base, mxcsr, xmm and st.
 */
export function machineRegisterReader(registers: CoreRegisters | Registers): NamedRegisterReader {
  const general = registers as unknown as Readonly<Record<string, bigint | undefined>>;
  return (name) => {
    if (name === 'eflags') return registers.rflags;
    if ((SEGMENTS as readonly string[]).includes(name)) {
      const segment = name as (typeof SEGMENTS)[number];
      return 'selectors' in registers ? BigInt(registers.selectors[segment]) : BigInt(registers[segment].selector);
    }
    if (name === 'fs_base') return 'fsBase' in registers ? registers.fsBase : registers.fs.base;
    if (name === 'gs_base') return 'gsBase' in registers ? registers.gsBase : registers.gs.base;
    const fpu = registers.fpu;
    if (name === 'mxcsr') return fpu ? BigInt(fpu.mxcsr) : undefined;
    const vector = /^(xmm|st)(\d+)$/.exec(name);
    if (vector) return fpu ? bytesToBigint((vector[1] === 'xmm' ? fpu.xmm : fpu.st)[Number(vector[2])], vector[1] === 'xmm' ? 16 : 10) : undefined;
    if (/^(r[a-z]{2}|r\d+)$/.test(name) && name !== 'rflags') return general[name];
    return undefined;
  };
}
