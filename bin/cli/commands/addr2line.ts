import fs from 'node:fs';
import path from 'node:path';
import { ElfFile } from '../../../native/lib/elf';
import { BinutilsAddr2line, formatAddr2line } from '../../../debug-adapter/engine/dwarf';
import { UsageError, type ParsedArgs } from '../args';
import type { Command } from '../command';
import { EXIT_OK, type Io } from '../io';

export const addr2lineCommand: Command = {
  spec: {
    name: 'addr2line',
    summary: 'Translate addresses to function names and file:line, exactly as binutils `addr2line -f` prints them.',
    positionals: [{ name: 'elf' }, { name: 'address', variadic: true }],
    flags: [
      { name: 'functions', short: 'f', description: 'show function names (always on; accepted for compatibility)' },
      { name: 'inlines', short: 'i', description: 'also show the callers an inlined function was inlined into' },
      { name: 'addresses', short: 'a', description: 'print each address before its location' },
      { name: 'pretty-print', short: 'p', description: 'one line per address' },
      { name: 'basenames', short: 's', description: 'strip directory names' },
    ],
    details:
      'Addresses are hexadecimal (0x optional) or symbol[+offset]; they are file (link-time) addresses.\n' +
      'Unknown locations print ?? and ??:0 (or ??:? and file:? where only a symbol is known), as binutils does.',
  },
  async run(args: ParsedArgs, io: Io): Promise<number> {
    const [file, ...addresses] = args.positionals;
    if (addresses.length === 0) throw new UsageError('missing <address>: give at least one address', 'addr2line');
    const full = path.resolve(io.cwd, file);
    if (!fs.existsSync(full)) throw new Error(`no such file: ${file}`);
    const tool = new BinutilsAddr2line(ElfFile.fromFile(full));
    const format = {
      functions: true,
      addresses: args.flags.has('addresses'),
      pretty: args.flags.has('pretty-print'),
      basenames: args.flags.has('basenames'),
    };
    const inlines = args.flags.has('inlines');
    io.out(addresses.map((a) => formatAddr2line(tool.translate(tool.parseAddress(a), inlines), format)).join(''));
    return EXIT_OK;
  },
};
