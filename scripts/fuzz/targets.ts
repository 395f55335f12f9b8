// The TypeScript fuzz targets: the readers that face untrusted files and configurations. Each takes
// one input as bytes (a file, a record, or the UTF-8 JSON of a configuration) and drives the reader
// through the API its users call. A target may only ever throw the reader's own worded error
// (`expected`); anything else, a hang or a huge allocation is a finding (scripts/fuzz/worker.ts).
// The regression test test/fuzz-regressions.test.ts replays test/fixtures/fuzz/<target>/ through
// these same functions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ElfFile, ElfFormatError, SymbolTable, elfConstants } from '../../native/lib/elf';
import { CoreFormatError, readCoreStatus, readMicroVmNote } from '../../native/lib/coredump';
import { MicroVmError } from '../../native/lib/errors';
import {
  OutputRecord, decodeAbort, decodeHostCall, decodeResult, recordTotal,
} from '../../native/lib/records';
import { decodeModule, translateModule, WasmError } from '../../native/lib/wasm';
import { ArgumentError } from '../../native/lib/presentation/argument-checks';
import { convertJsonArguments } from '../../native/lib/presentation/launch-arguments';
import { convertArguments, splitArguments } from '../../native/lib/presentation/arguments';
import type { FunctionSignature, ValueType } from '../../native/lib/types';
import { DebugInfo, DwarfFormatError } from '../../debug-adapter/engine/dwarf';
import { CfiFormatError, CfiModule, BlockMemory, ElfSegmentMemory, LayeredMemory, unwind, unwindRows } from '../../debug-adapter/engine/unwind';
import { Disassembler, SourceLines, disassembleElf, elfSymbolizer } from '../../debug-adapter/engine/disasm';
import { summarizeCore } from '../../debug-adapter/engine/postmortem/core-summary';
import { LaunchConfigError, parseLaunchConfig } from '../../debug-adapter/engine/runtime/launch-config';

export interface FuzzTarget {
  readonly name: string;
  /** What it fuzzes, one line (npm run fuzz -- --list, docs/reliability.md). */
  readonly what: string;
  /** The errors an input may end in, in words. */
  readonly expected: string;
  /** How inputs are made: mutations of seed files, structured generation, or both. */
  readonly inputs: 'mutation' | 'structured' | 'mutation+structured';
  /** Whether `error` is the reader's own worded error. */
  isExpected(error: unknown): boolean;
  /** Runs one input through the reader. */
  run(input: Uint8Array, context: TargetContext): void;
}

/** Files some targets need besides the input (set up once per worker by scripts/fuzz/seeds.ts). */
export interface TargetContext {
  /** A guest ELF the core inputs belong to (it wrote the core seeds). */
  readonly guestElf?: Uint8Array;
  /** A guest ELF path for launch configurations, and a scratch folder. */
  readonly launchGuest?: string;
  readonly scratch?: string;
}

const worded = (error: unknown): boolean => error instanceof Error && typeof error.message === 'string' && error.message.trim().length > 0;
const oneOf = (...classes: (abstract new (...args: never[]) => Error)[]) =>
  (error: unknown): boolean => worded(error) && classes.some((c) => error instanceof c);

/** At most `n` items, evenly spread over `items`: bounded work per input whatever its size. */
function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);
}

/** A few code addresses of an ELF: function symbols and their middles, and the entry point. */
function sampleAddresses(elf: ElfFile, n: number): bigint[] {
  const functions = elf.allSymbols().filter((s) => s.type === elfConstants.STT_FUNC && s.value !== 0n);
  const picked = spread(functions, Math.ceil(n / 2)).flatMap((s) => [s.value, s.value + s.size / 2n]);
  return [elf.header.entry, ...picked].slice(0, n);
}

const frameOf = (pc: bigint) => ({
  pc,
  readRegister: (register: number) => (register < 17 ? 0x1f0000n + BigInt(register) * 8n : undefined),
  readMemory: (address: bigint, length: number) => (length <= 4096 && address >= 0x1000n && address < 0x200000n ? new Uint8Array(length).fill(0x41) : undefined),
  cfa: 0x1f8000n,
});

// ---------------------------------------------------------------------------------------------

const elf: FuzzTarget = {
  name: 'elf',
  what: 'ELF reader (native/lib/elf): headers, sections, symbols and their string tables, notes, compressed sections, address map',
  expected: 'ElfFormatError',
  inputs: 'mutation',
  isExpected: oneOf(ElfFormatError),
  run(input) {
    const file = new ElfFile(input);
    for (const section of spread(file.sections, 256)) {
      file.sectionData(section);
      if (section.type === elfConstants.SHT_SYMTAB || section.type === elfConstants.SHT_DYNSYM) file.symbols(section);
    }
    file.allSymbols();
    file.notes();
    file.segmentNotes();
    const table = SymbolTable.fromElf(file);
    for (const address of sampleAddresses(file, 8)) {
      table.functionAt(address);
      file.locate(address);
      file.bytesAt(address, 16);
    }
    for (const ph of spread(file.programHeaders, 64)) file.segmentData(ph);
  },
};

const dwarf: FuzzTarget = {
  name: 'dwarf',
  what: 'DWARF reader (debug-adapter/engine/dwarf): unit headers, abbreviations, DIEs, line programs, range and location lists, expressions, types and values',
  expected: 'DwarfFormatError or ElfFormatError',
  inputs: 'mutation',
  isExpected: oneOf(DwarfFormatError, ElfFormatError),
  run(input) {
    const file = new ElfFile(input);
    const info = new DebugInfo(file);
    const units = spread(info.units, 32);
    const lineRows: { file: string; line: number; address: bigint }[] = [];
    for (const unit of units) {
      const table = info.lineTable(unit);
      for (const sequence of spread(table?.sequences ?? [], 4)) {
        for (const row of spread(sequence.rows, 4)) {
          lineRows.push({ file: table?.filePath(row.file) ?? '', line: row.line, address: row.address });
        }
      }
      info.functions(unit);
    }
    const addresses = [...sampleAddresses(file, 8), ...spread(lineRows, 8).map((r) => r.address)];
    for (const address of addresses) {
      info.lineForAddress(address);
      info.functionAt(address);
      const frame = frameOf(address);
      for (const scope of spread(info.scopesAt(address), 8)) {
        for (const variable of spread(scope.variables, 8)) {
          info.variableValue(variable, frame);
          info.ptype(variable.type);
        }
      }
    }
    for (const row of spread(lineRows, 4)) if (row.file) info.addressesForLine(path.basename(row.file), row.line, { skipPrologue: true });
    for (const variable of spread(info.globals(), 16)) info.variableValue(variable, frameOf(file.header.entry));
    void info.problems;
  },
};

const cfi: FuzzTarget = {
  name: 'cfi',
  what: 'CFI reader and unwinder (debug-adapter/engine/unwind): .eh_frame, .eh_frame_hdr, .debug_frame, CFA programs and expressions, unwinding a stack',
  expected: 'CfiFormatError or ElfFormatError',
  inputs: 'mutation',
  isExpected: oneOf(CfiFormatError, ElfFormatError),
  run(input) {
    const file = new ElfFile(input);
    const module = new CfiModule(file, { name: 'fuzz' });
    for (const section of module.cfiSections) {
      let count = 0;
      for (const entry of section.entries()) {
        if (entry.kind === 'fde' && count < 32) unwindRows(entry.fde, section.bases);
        if (++count > 4096) break;
      }
    }
    // A stack of return addresses into the image: every frame goes through the CFI of its pc.
    const addresses = sampleAddresses(file, 8);
    const stack = new Uint8Array(0x1000);
    const view = new DataView(stack.buffer);
    addresses.forEach((address, i) => view.setBigUint64(0x100 + i * 16, address + 1n, true));
    const memory = new LayeredMemory([new BlockMemory().add(0x1ff000n, stack), new ElfSegmentMemory(file)]);
    for (const pc of addresses.slice(0, 4)) {
      unwind({ rip: pc, rsp: 0x1ff100n, rbp: 0x1ff200n }, memory, [module], { maxFrames: 32 });
      module.find(pc);
    }
  },
};

const core: FuzzTarget = {
  name: 'core',
  what: 'core-file reader (native/lib/coredump/read.ts) and the post-mortem summary (registers, MICROVM note, backtrace through the core\'s memory)',
  expected: 'ElfFormatError or CoreFormatError (also CfiFormatError or DwarfFormatError from the backtrace)',
  inputs: 'mutation',
  isExpected: oneOf(ElfFormatError, CoreFormatError, CfiFormatError, DwarfFormatError),
  run(input, context) {
    const coreFile = new ElfFile(input);
    readCoreStatus(coreFile);
    readMicroVmNote(coreFile);
    if (context.guestElf) summarizeCore(new ElfFile(context.guestElf), coreFile, { maxFrames: 16 });
  },
};

const disasm: FuzzTarget = {
  name: 'disasm',
  what: 'disassembler (debug-adapter/engine/disasm): raw bytes at any address, and objdump-style listings of whole ELF files with symbols and source lines',
  expected: 'ElfFormatError or DwarfFormatError (raw bytes never fail)',
  inputs: 'mutation',
  isExpected: oneOf(ElfFormatError, DwarfFormatError),
  run(input) {
    const disassembler = new Disassembler();
    try {
      // The first 8 bytes choose the address, the rest are instructions.
      const address = input.length >= 8 ? new DataView(input.buffer, input.byteOffset, 8).getBigUint64(0, true) : 0n;
      disassembler.disassemble(input.subarray(Math.min(8, input.length), 4096), address, { maxInstructions: 512 });
    } finally {
      disassembler.dispose();
    }
    if (input.length < 4 || input[0] !== 0x7f) return;
    const file = new ElfFile(input);
    const lines = SourceLines.fromElf(file);
    let count = 0;
    for (const line of disassembleElf(file, { lines })) {
      void line;
      if (++count > 2000) break;
    }
    const symbolize = elfSymbolizer(file);
    for (const address of sampleAddresses(file, 4)) symbolize(address);
  },
};

const wasm: FuzzTarget = {
  name: 'wasm',
  what: 'Wasm module decoder, validator and translator to C (native/lib/wasm), DWARF lines and names included',
  expected: 'WasmError (code WASM_INVALID)',
  inputs: 'mutation',
  isExpected: (error) => oneOf(WasmError)(error) && (error as WasmError).code === 'WASM_INVALID',
  run(input) {
    decodeModule(input, 'fuzz.wasm');
    translateModule(input, { file: 'fuzz.wasm' });
  },
};

// Records: byte 0 chooses the decoder (and a result's type), the rest is the output buffer at
// OUTPUT_ADDRESS as the guest left it. Each decoder gets the bytes call-session.ts hands it: the
// checked `total` bytes of a host-call or return record, 16 + the message length of an abort
// record (clamped to the buffer, as readOutput does).
export const OUTPUT_ADDRESS = 0x131000n;
const RESULT_TYPES: readonly ValueType[] = ['void', 'i32', 'u32', 'i64', 'u64', 'f32', 'f64', 'bool', 'string', 'bytes'];

const records: FuzzTarget = {
  name: 'records',
  what: 'return, host-call and abort record decoders (native/lib/records.ts) on guest-written output buffers',
  expected: 'MicroVmError with code BAD_HOST_CALL',
  inputs: 'mutation+structured',
  isExpected: (error) => error instanceof MicroVmError && error.code === 'BAD_HOST_CALL' && worded(error),
  run(input) {
    if (input.length < 17) return; // the output buffer is at least one page; its header is 16 bytes
    const selector = input[0];
    const buffer = input.subarray(1);
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    const within = (bytes: Uint8Array, what: string) => new OutputRecord(bytes, OUTPUT_ADDRESS, what);
    switch (selector % 3) {
      case 0: {
        const total = recordTotal(view, 4, buffer.length, 'host call', 24);
        decodeHostCall(within(buffer.subarray(0, total), 'host call'));
        break;
      }
      case 1: {
        const total = recordTotal(view, 8, buffer.length, 'return record', 32);
        const signature: FunctionSignature = { name: 'Fuzzed', returnType: RESULT_TYPES[(selector >> 2) % RESULT_TYPES.length], paramTypes: [] };
        decodeResult(within(buffer.subarray(0, total), 'return record'), signature);
        break;
      }
      default: {
        const length = view.getUint32(8, true);
        decodeAbort(within(buffer.subarray(0, Math.min(16 + length, buffer.length)), 'abort record'));
      }
    }
  },
};

const launch: FuzzTarget = {
  name: 'launch',
  what: 'launch configuration checks (debug-adapter/engine/runtime/launch-config.ts) and argument conversion (JSON and command-line text, native/lib/presentation)',
  expected: 'LaunchConfigError (parseLaunchConfig) or ArgumentError (the converters); inputs that are not JSON are skipped',
  inputs: 'structured',
  isExpected: oneOf(LaunchConfigError, ArgumentError),
  run(input) {
    let config: unknown;
    try {
      config = JSON.parse(Buffer.from(input).toString('utf8'));
    } catch {
      return; // not JSON: what a launch.json reader refuses before we see it
    }
    const fields = config && typeof config === 'object' && !Array.isArray(config) ? (config as Record<string, unknown>) : {};
    // The converters on their own, with every signature shape the fuzzer names.
    const types = Array.isArray(fields.paramTypes) ? (fields.paramTypes.filter((t) => typeof t === 'string') as ValueType[]) : undefined;
    if (types && types.every((t) => RESULT_TYPES.includes(t) && t !== 'void')) {
      const signature: FunctionSignature = { name: 'Fuzzed', returnType: 'i32', paramTypes: types };
      if (Array.isArray(fields.args)) convertJsonArguments(signature, fields.args);
      if (typeof fields.text === 'string') convertArguments(signature, splitArguments(fields.text));
      return;
    }
    parseLaunchConfig(config);
  },
};

export const TARGETS: readonly FuzzTarget[] = [elf, dwarf, cfi, core, disasm, wasm, records, launch];

export function targetNamed(name: string): FuzzTarget {
  const target = TARGETS.find((t) => t.name === name);
  if (!target) throw new Error(`no TypeScript fuzz target ${name} (targets: ${TARGETS.map((t) => t.name).join(', ')})`);
  return target;
}

/** How one input ended: accepted, refused with the reader's own error, or a finding. */
export type Outcome = { kind: 'accepted' } | { kind: 'refused'; error: Error } | { kind: 'finding'; error: unknown };

export function runInput(target: FuzzTarget, input: Uint8Array, context: TargetContext): Outcome {
  try {
    target.run(input, context);
    return { kind: 'accepted' };
  } catch (error) {
    return target.isExpected(error) ? { kind: 'refused', error: error as Error } : { kind: 'finding', error };
  }
}

/** The scratch folder of the launch target (its configurations name paths inside it). */
export function launchScratch(): string {
  const dir = path.join(os.tmpdir(), `microvm-fuzz-launch-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
