import { inspectGuest } from '../../../native/lib';
import { formatSignature, signatureToJson } from '../../../native/lib/presentation';
import type { ParsedArgs } from '../args';
import type { Command } from '../command';
import { EXIT_OK, type Io } from '../io';
import { resolveGuest } from './guest-path';

export const functionsCommand: Command = {
  spec: {
    name: 'functions',
    summary: "List a guest's functions from its .microvm.functions table (no VM needed).",
    positionals: [{ name: 'guest.elf' }],
    flags: [{ name: 'json', description: 'print a JSON array of {name, returnType, paramTypes}' }],
  },
  async run(args: ParsedArgs, io: Io): Promise<number> {
    const elf = resolveGuest(io, args.positionals[0]);
    const { functions } = inspectGuest(elf);
    if (args.flags.has('json')) {
      io.out(JSON.stringify(functions.map(signatureToJson), null, 2) + '\n');
    } else {
      io.out(functions.map((f) => formatSignature(f) + '\n').join(''));
    }
    return EXIT_OK;
  },
};
