// `microvm`: dispatches to one command module, turns errors into exit codes (2 usage, 1 failure).
import { formatError } from '../../native/lib/presentation';
import { commandHelp, formatFlags, parseArgs, UsageError } from './args';
import type { Command } from './command';
import { addr2lineCommand } from './commands/addr2line';
import { benchCommand } from './commands/bench';
import { buildCommand } from './commands/build';
import { coreCommand } from './commands/core';
import { demoCommand } from './commands/demo';
import { disasmCommand } from './commands/disasm';
import { functionsCommand } from './commands/functions';
import { newCommand } from './commands/new';
import { runCommand } from './commands/run';
import { serveCommand } from './commands/serve';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, processIo, type Io } from './io';
import { packageInfo } from './package-root';

export const COMMANDS: readonly Command[] = [newCommand, buildCommand, functionsCommand, runCommand, demoCommand, serveCommand, benchCommand, disasmCommand, addr2lineCommand, coreCommand];

export function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length));
  const commands = COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}  ${c.spec.summary}`).join('\n');
  const flags = formatFlags([
    { name: 'help', short: 'h', description: 'show this help (or `microvm <command> --help`)' },
    { name: 'version', short: 'V', description: 'print the version' },
  ]);
  return [
    'Usage: microvm <command> [args] [flags]',
    'Build freestanding x86-64 guests and call their functions inside KVM micro-VMs.',
    `Commands:\n${commands}`,
    `Flags:\n${flags}`,
    'Exit status: 0 success, 1 guest fault/timeout/abort or other failure, 2 usage error.',
  ].join('\n\n') + '\n';
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(topLevelHelp());
    return EXIT_USAGE;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const named = first === 'help' ? rest[0] : undefined;
    const command = named === undefined ? undefined : COMMANDS.find((c) => c.spec.name === named);
    if (named !== undefined && !command) return usageFailure(io, new UsageError(`unknown command '${named}'`));
    io.out(command ? commandHelp(command.spec) : topLevelHelp());
    return EXIT_OK;
  }
  if (first === '--version' || first === '-V') {
    io.out(`microvm ${packageInfo().version}\n`);
    return EXIT_OK;
  }
  if (first.startsWith('-')) return usageFailure(io, new UsageError(`unknown flag ${first.split('=')[0]}`));

  const command = COMMANDS.find((c) => c.spec.name === first);
  if (!command) {
    const names = COMMANDS.map((c) => c.spec.name).join(', ');
    return usageFailure(io, new UsageError(`unknown command '${first}' (commands: ${names})`));
  }
  try {
    const args = parseArgs(command.spec, rest);
    if (args.help) {
      io.out(commandHelp(command.spec));
      return EXIT_OK;
    }
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(io, err, command.spec.name);
    io.err(`microvm ${command.spec.name}: ${formatError(err)}\n`);
    if (process.env.MICROVM_DEBUG && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return EXIT_FAILURE;
  }
}

function usageFailure(io: Io, err: UsageError, commandName: string | undefined = err.command): number {
  const prefix = commandName ? `microvm ${commandName}` : 'microvm';
  const helpHint = commandName ? `microvm ${commandName} --help` : 'microvm --help';
  io.err(`${prefix}: ${err.message}\nRun '${helpHint}' for usage.\n`);
  return EXIT_USAGE;
}
