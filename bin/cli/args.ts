// A small command-line parser: long flags (--name, --name=value), short flags (-O 2, -O2),
// `--` to end flags, and negative numbers accepted as positionals so `run g.elf Add -5 3` works.

export interface FlagSpec {
  /** Long name without dashes, e.g. 'timeout-ms'. */
  readonly name: string;
  /** One letter, e.g. 'O' for -O. */
  readonly short?: string;
  /** Set for flags that take a value; names it in help, e.g. 'N'. */
  readonly value?: string;
  readonly description: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly optional?: boolean;
  /** Takes all remaining positionals (only the last one). */
  readonly variadic?: boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly positionals: readonly PositionalSpec[];
  readonly flags: readonly FlagSpec[];
  /** Extra help text printed after the flags. */
  readonly details?: string;
}

export interface ParsedArgs {
  readonly positionals: readonly string[];
  /** Long flag name → its value, or `true` for a flag without a value. Last occurrence wins. */
  readonly flags: ReadonlyMap<string, string | true>;
  readonly help: boolean;
}

/** A mistake on the command line; the CLI prints it and exits 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', description: 'show this help' };

// `-5`, `-0x10`, `-.5`, `-inf` are values, not flags.
function looksNegativeNumber(token: string): boolean {
  return /^-(\d|\.\d|inf(inity)?$|nan$)/i.test(token);
}

export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const flagSpecs = [...spec.flags, HELP_FLAG];
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  let onlyPositionals = false;

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (onlyPositionals || !token.startsWith('-') || token === '-' || looksNegativeNumber(token)) {
      positionals.push(token);
      continue;
    }
    if (token === '--') {
      onlyPositionals = true;
      continue;
    }
    let flag: FlagSpec | undefined;
    let inline: string | undefined;
    let shown: string;
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const name = eq < 0 ? token.slice(2) : token.slice(2, eq);
      inline = eq < 0 ? undefined : token.slice(eq + 1);
      shown = `--${name}`;
      flag = flagSpecs.find((f) => f.name === name);
    } else {
      const letter = token.slice(1, 2);
      shown = `-${letter}`;
      flag = flagSpecs.find((f) => f.short === letter);
      if (token.length > 2) inline = token.slice(2);
    }
    if (!flag) throw new UsageError(`unknown flag ${shown}`, spec.name);
    if (flag.value === undefined) {
      if (inline !== undefined) throw new UsageError(`flag ${shown} does not take a value`, spec.name);
      flags.set(flag.name, true);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`flag ${shown} needs a value (${flag.value})`, spec.name);
      value = argv[++i];
    }
    flags.set(flag.name, value);
  }

  const help = flags.has('help');
  if (!help) checkPositionals(spec, positionals);
  return { positionals, flags, help };
}

function checkPositionals(spec: CommandSpec, positionals: readonly string[]): void {
  const required = spec.positionals.filter((p) => !p.optional && !p.variadic);
  if (positionals.length < required.length) {
    const missing = required.slice(positionals.length).map((p) => `<${p.name}>`);
    throw new UsageError(`missing ${missing.join(' ')}`, spec.name);
  }
  const variadic = spec.positionals.some((p) => p.variadic);
  if (!variadic && positionals.length > spec.positionals.length) {
    const extra = positionals.slice(spec.positionals.length).map((p) => JSON.stringify(p));
    throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.join(' ')}`, spec.name);
  }
}

/** The value of a flag that takes one, or undefined when it was not given. */
export function flagValue(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

export function usageLine(spec: CommandSpec): string {
  const parts = spec.positionals.map((p) => {
    const shown = p.variadic ? `${p.name}...` : p.name;
    return p.optional || p.variadic ? `[${shown}]` : `<${shown}>`;
  });
  const flags = spec.flags.length > 0 ? ' [flags]' : '';
  return `microvm ${spec.name}${parts.length > 0 ? ' ' + parts.join(' ') : ''}${flags}`;
}

export function formatFlags(flags: readonly FlagSpec[]): string {
  const rows = flags.map((f) => {
    const names = [f.short ? `-${f.short}` : undefined, `--${f.name}`].filter(Boolean).join(', ');
    return [f.value ? `${names} ${f.value}` : names, f.description];
  });
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n');
}

export function commandHelp(spec: CommandSpec): string {
  const sections = [`Usage: ${usageLine(spec)}`, spec.summary, `Flags:\n${formatFlags([...spec.flags, HELP_FLAG])}`];
  if (spec.details) sections.push(spec.details.trimEnd());
  return sections.join('\n\n') + '\n';
}
