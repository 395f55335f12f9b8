import type { CommandSpec, ParsedArgs } from './args';
import type { Io } from './io';

/** One `microvm <name>` command: its spec (flags, help) and what it does; resolves to an exit code. */
export interface Command {
  readonly spec: CommandSpec;
  run(args: ParsedArgs, io: Io): Promise<number>;
}
