// The user's breakpoints, of every kind, as the runtime keeps them: where each resolved to, whether
// it is verified (and why not), its condition, hit condition or log message, and its hit count.
// Code addresses are shared between breakpoints and the stepper's temporary stops, so each address
// is pinned in the guest as long as anyone needs it (AddressPins).

export type BreakpointKind = 'source' | 'function' | 'instruction' | 'data' | 'host-function';

export interface BreakpointOptions {
  /** A C expression; the breakpoint stops only where it is true (non-zero). */
  readonly condition?: string;
  /** `N` or `==N` (the Nth hit), `>N`, `>=N`, `<N`, `<=N`, `%N` (every Nth hit). */
  readonly hitCondition?: string;
  /** A logpoint: prints this (with `{expression}` parts evaluated) instead of stopping. */
  readonly logMessage?: string;
}

export interface UserBreakpoint {
  readonly id: number;
  readonly kind: BreakpointKind;
  readonly options: BreakpointOptions;
  verified: boolean;
  /** Why the breakpoint is not verified, or where it moved, in words. */
  message?: string;
  /** Code breakpoints: the addresses it is set at. */
  addresses: readonly bigint[];
  /** Source and function breakpoints: where it is (the line may have moved to the next with code). */
  file?: string;
  line?: number;
  /** Function breakpoints on a host function (e.g. HostPrint). */
  hostFunction?: string;
  /** Data breakpoints: the watched bytes and the watchpoint slot in use. */
  watch?: { readonly address: bigint; readonly length: number; readonly access: 'write' | 'readwrite'; slot?: number; readonly description: string };
  hits: number;
}

/** A parsed hit condition: whether the Nth hit stops. */
export type HitTest = (hits: number) => boolean;

/** Parses a hit condition; throws an Error whose message says what is accepted. */
export function parseHitCondition(text: string): HitTest {
  const match = /^\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!match) throw new Error(`hit condition ${JSON.stringify(text)} is not understood: use N (the Nth hit), >N, >=N, <N, <=N or %N (every Nth hit)`);
  const n = Number(match[2]);
  switch (match[1] ?? '==') {
    case '==':
      return (hits) => hits === n;
    case '>':
      return (hits) => hits > n;
    case '>=':
      return (hits) => hits >= n;
    case '<':
      return (hits) => hits < n;
    case '<=':
      return (hits) => hits <= n;
    default:
      if (n === 0) throw new Error('hit condition %0 would divide by zero: use %N with N ≥ 1');
      return (hits) => hits % n === 0;
  }
}

/** The parts of a log message: text, and `{expression}`s to evaluate; `{{` and `}}` are braces. */
export function parseLogMessage(text: string): Array<{ text: string } | { expression: string }> {
  const parts: Array<{ text: string } | { expression: string }> = [];
  let literal = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ((c === '{' || c === '}') && text[i + 1] === c) {
      literal += c;
      i++;
    } else if (c === '{') {
      const close = text.indexOf('}', i + 1);
      if (close < 0) throw new Error(`log message: the { at column ${i + 1} is never closed (write {{ for a brace)`);
      if (literal) parts.push({ text: literal });
      literal = '';
      parts.push({ expression: text.slice(i + 1, close) });
      i = close;
    } else {
      literal += c;
    }
  }
  if (literal) parts.push({ text: literal });
  return parts;
}

/**
 * Reference counts of code addresses that must hold an int3: user breakpoints and the stepper's
 * temporary stops share them. `apply` is told when an address gains its first pin or loses its last.
 */
export class AddressPins {
  private readonly counts = new Map<bigint, number>();

  constructor(private readonly apply: (address: bigint, set: boolean) => Promise<void>) {}

  async pin(address: bigint): Promise<void> {
    const count = this.counts.get(address) ?? 0;
    if (count === 0) await this.apply(address, true);
    this.counts.set(address, count + 1);
  }

  async unpin(address: bigint): Promise<void> {
    const count = this.counts.get(address) ?? 0;
    if (count <= 1) {
      this.counts.delete(address);
      if (count === 1) await this.apply(address, false);
    } else {
      this.counts.set(address, count - 1);
    }
  }

  /** Every pinned address, for re-applying them to a new call (restart). */
  addresses(): bigint[] {
    return [...this.counts.keys()];
  }
}

/** The user's breakpoints by kind, each list replaced whole, as DAP sets them. */
export class BreakpointBook {
  private nextId = 1;
  private readonly bySource = new Map<string, UserBreakpoint[]>();
  private functions: UserBreakpoint[] = [];
  private instructions: UserBreakpoint[] = [];
  private data: UserBreakpoint[] = [];

  create(kind: BreakpointKind, options: BreakpointOptions): UserBreakpoint {
    return { id: this.nextId++, kind, options, verified: false, addresses: [], hits: 0 };
  }

  replaceSource(path: string, breakpoints: UserBreakpoint[]): UserBreakpoint[] {
    const old = this.bySource.get(path) ?? [];
    this.bySource.set(path, breakpoints);
    return old;
  }

  replaceFunctions(breakpoints: UserBreakpoint[]): UserBreakpoint[] {
    const old = this.functions;
    this.functions = breakpoints;
    return old;
  }

  replaceInstructions(breakpoints: UserBreakpoint[]): UserBreakpoint[] {
    const old = this.instructions;
    this.instructions = breakpoints;
    return old;
  }

  replaceData(breakpoints: UserBreakpoint[]): UserBreakpoint[] {
    const old = this.data;
    this.data = breakpoints;
    return old;
  }

  all(): UserBreakpoint[] {
    return [...[...this.bySource.values()].flat(), ...this.functions, ...this.instructions, ...this.data];
  }

  /** Verified code breakpoints at `address`. */
  atAddress(address: bigint): UserBreakpoint[] {
    return this.all().filter((bp) => bp.verified && bp.addresses.includes(address));
  }

  atWatchSlot(slot: number): UserBreakpoint[] {
    return this.data.filter((bp) => bp.verified && bp.watch?.slot === slot);
  }

  onHostFunction(name: string): UserBreakpoint[] {
    return this.functions.filter((bp) => bp.verified && bp.hostFunction === name);
  }

  hostFunctionNames(): string[] {
    return [...new Set(this.functions.filter((bp) => bp.verified && bp.hostFunction).map((bp) => bp.hostFunction!))];
  }
}
