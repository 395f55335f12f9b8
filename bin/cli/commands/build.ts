import fs from 'node:fs';
import path from 'node:path';
import { buildGuest } from '../../../guest-templates/toolchain';
import { flagValue, UsageError, type ParsedArgs } from '../args';
import type { Command } from '../command';
import { EXIT_FAILURE, EXIT_OK, type Io } from '../io';

const COMPILERS = ['gcc', 'clang'] as const;
const OPT_LEVELS = ['0', '1', '2', 's'] as const;
type Compiler = (typeof COMPILERS)[number];
type OptLevel = (typeof OPT_LEVELS)[number];

function oneOf<T extends string>(allowed: readonly T[], value: string | undefined, flag: string): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
}

export const buildCommand: Command = {
  spec: {
    name: 'build',
    summary: 'Compile a guest project into a freestanding ELF.',
    positionals: [{ name: 'dir' }],
    flags: [
      { name: 'cc', value: 'gcc|clang', description: 'C compiler (default: the toolchain default)' },
      { name: 'optimize', short: 'O', value: '0|1|2|s', description: 'optimisation level' },
    ],
    details: 'Prints each command it runs, then the path of the built ELF as the last line of stdout.',
  },
  async run(args: ParsedArgs, io: Io): Promise<number> {
    const cc: Compiler | undefined = oneOf(COMPILERS, flagValue(args, 'cc'), '--cc');
    const optimize: OptLevel | undefined = oneOf(OPT_LEVELS, flagValue(args, 'optimize'), '-O');
    const dir = path.resolve(io.cwd, args.positionals[0]);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      io.err(`microvm build: no such directory: ${args.positionals[0]}\n`);
      return EXIT_FAILURE;
    }
    const { elfPath, commands, warnings } = buildGuest(dir, { cc, optimize });
    for (const command of commands) io.out(`$ ${command}\n`);
    for (const warning of warnings) io.err(`${warning}\n`);
    io.out(`${elfPath}\n`);
    return EXIT_OK;
  },
};
