import fs from 'node:fs';
import path from 'node:path';
import { InputFileError } from '../../../native/lib/input-file';
import { ElfFile, SymbolTable } from '../../../native/lib/elf';
import { SourceLines, disassembleElf, formatListingLine, type AsmSyntax, type ListingRange } from '../../../debug-adapter/engine/disasm';
import { UsageError, type ParsedArgs } from '../args';
import type { Command } from '../command';
import { EXIT_OK, type Io } from '../io';

function parseAddress(text: string, what: string): bigint {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) throw new UsageError(`${what}: '${text}' is not an address (e.g. 0x401000)`);
  return BigInt(text);
}

function parseRange(text: string): ListingRange {
  const parts = text.split('-');
  if (parts.length !== 2) throw new UsageError(`--range takes START-END, e.g. 0x401000-0x401100 (got '${text}')`);
  const start = parseAddress(parts[0], '--range');
  const end = parseAddress(parts[1], '--range');
  if (end <= start) throw new UsageError(`--range: the end ${parts[1]} is not above the start ${parts[0]}`);
  return { start, end };
}

function functionRange(elf: ElfFile, name: string): ListingRange {
  const table = SymbolTable.fromElf(elf);
  const found = table.functionsNamed(name);
  if (found.length === 0) throw new Error(`no function named ${name}`);
  const fn = found[0];
  let end = fn.start + fn.size;
  if (fn.size === 0n) {
    // A size-less symbol runs to the next function.
    end = fn.start + 1n;
    while (table.functionAt(end)?.name === name) end++;
  }
  return { start: fn.start, end };
}

function readElf(io: Io, given: string): ElfFile {
  const full = path.resolve(io.cwd, given);
  if (!fs.existsSync(full)) throw new Error(`no such ELF file: ${given}`);
  try {
    return ElfFile.fromFile(full);
  } catch (error) {
    if (error instanceof InputFileError) throw new Error(`ELF file ${error.message}`);
    throw error;
  }
}

export const disasmCommand: Command = {
  spec: {
    name: 'disasm',
    summary: 'Disassemble an ELF file (x86-64, objdump-style, with symbol and source line headers).',
    positionals: [{ name: 'elf' }],
    flags: [
      { name: 'section', value: 'NAME', description: 'only this section (default: every executable section)' },
      { name: 'function', value: 'NAME', description: 'only this function' },
      { name: 'range', value: 'START-END', description: 'only instructions in [START, END), e.g. 0x401000-0x401100' },
      { name: 'syntax', value: 'intel|att', description: 'assembly syntax (default intel)' },
      { name: 'no-lines', description: 'leave out the source line headers' },
    ],
    details: 'Each instruction is one line: ADDRESS: BYTES  mnemonic operands. Function headers look like\n`0000000000401136 <foo>:`; with DWARF line information, `foo():` and `file:line` headers precede\nthe instructions of each source line, as in `objdump -d -l`.',
  },
  async run(args: ParsedArgs, io: Io): Promise<number> {
    const elf = readElf(io, args.positionals[0]);
    const flag = (name: string) => {
      const value = args.flags.get(name);
      if (value === true) throw new UsageError(`--${name} needs a value`);
      return value;
    };
    const syntax = flag('syntax') ?? 'intel';
    if (syntax !== 'intel' && syntax !== 'att') throw new UsageError(`--syntax must be intel or att (got '${syntax}')`);
    const section = flag('section');
    if (section !== undefined && !elf.section(section)) throw new Error(`no section named ${section}`);
    const fn = flag('function');
    const rangeText = flag('range');
    if (fn !== undefined && rangeText !== undefined) throw new UsageError('give --function or --range, not both');
    const range = fn !== undefined ? functionRange(elf, fn) : rangeText !== undefined ? parseRange(rangeText) : undefined;
    const lines = args.flags.has('no-lines') ? undefined : SourceLines.fromElf(elf);
    let buffer: string[] = [];
    for (const line of disassembleElf(elf, { syntax: syntax as AsmSyntax, sections: section ? [section] : undefined, range, lines: lines?.size ? lines : undefined })) {
      buffer.push(formatListingLine(line));
      if (buffer.length >= 2000) {
        io.out(buffer.join('\n') + '\n');
        buffer = [];
      }
    }
    if (buffer.length) io.out(buffer.join('\n') + '\n');
    return EXIT_OK;
  },
};
