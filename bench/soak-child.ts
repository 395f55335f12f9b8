// The in-process soaks, each in a process of its own (started by bench/soak.ts with --expose-gc),
// so that what they measure is theirs alone:
//   node --expose-gc out/bench/soak-child.js host-api '<json SoakHostApiOptions>'
//   node --expose-gc out/bench/soak-child.js dap-inline '<json SoakDapInlineOptions>'
// Each prints one JSON object on stdout and progress on stderr.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { MicroVmDebugSession } from '../debug-adapter/session';
import { Sandbox, liveSandboxCount } from '../native/lib';
import { isMicroVmError } from '../native/lib/errors';
import { HELLO_MESSAGE } from '../native/lib/server';
import { census, type ProcessCensus, type SoakSample } from './soak-process';

export interface SoakHostApiOptions {
  readonly guest: string;
  /** Warm PrintOutput calls, spread over three long-lived sandboxes (callSync, async, async on the vCPU thread). */
  readonly calls: number;
  /** Sandbox.create ... dispose cycles, of the kinds in CYCLE_KINDS in turn. */
  readonly cycles: number;
  /** DerefNull calls (sync, async, async on the vCPU thread; one in ten writes a crash dump). */
  readonly faults: number;
  /** The work is done in this many equal rounds, each ending with a sample. */
  readonly rounds: number;
}

/** The kinds of create/dispose cycle, in turn. */
export const CYCLE_KINDS = ['create-dispose', 'callSync', 'call-on-vcpu-thread', 'dispose-during-call'] as const;
/** Every this many cycles one sandbox is dropped without dispose, for the garbage collector to finalise. */
export const ABANDON_EVERY = 100;

export interface Census extends ProcessCensus {
  readonly live_sandboxes: number;
}

export interface SoakHostApiResult {
  readonly kind: 'host-api';
  readonly options: SoakHostApiOptions;
  /** At process start, before any sandbox. */
  readonly start: Census;
  /** After one sandbox of each kind was made, used and disposed: what stays for the process's life (/dev/kvm, the guest's shared image, the slice watchdog thread). */
  readonly before: Census;
  /** After everything was disposed (and dropped sandboxes collected). */
  readonly after: Census;
  readonly samples: readonly SoakSample[];
  readonly done: {
    readonly warm_calls: number;
    readonly cycles: Readonly<Record<string, number>>;
    readonly abandoned: number;
    readonly faults: number;
    readonly crash_dumps: number;
  };
  /** How the calls disposed during their run ended (ok, or the error code). */
  readonly dispose_during_call: Readonly<Record<string, number>>;
  /** Results that were not what the guest returns (or faults with): each kind and the first message. */
  readonly unexpected: readonly string[];
  readonly duration_s: number;
}

export interface SoakDapInlineOptions {
  /** The debuggee ELF (test/guests/debuggee.c) and its source, with the line of the loop body. */
  readonly program: string;
  readonly source: string;
  readonly breakLine: number;
  readonly sessions: number;
  /** Samples taken over the run (one every sessions/samples sessions). */
  readonly samples: number;
}

/** The kinds of debug session, in turn (a failing launch replaces every 50th). */
export const DAP_SESSION_KINDS = ['breakpoint-step-disconnect', 'run-to-end', 'disconnect-while-running', 'breakpoint-step-disconnect'] as const;
export const FAILED_LAUNCH_EVERY = 50;

export interface SoakDapInlineResult {
  readonly kind: 'dap-inline';
  readonly options: SoakDapInlineOptions;
  readonly start: Census;
  readonly before: Census;
  readonly after: Census;
  readonly samples: readonly SoakSample[];
  readonly sessions: Readonly<Record<string, number>>;
  /** Sessions after whose disconnect a micro-VM was still alive. */
  readonly sandboxes_left_after_disconnect: number;
  readonly unexpected: readonly string[];
  readonly duration_s: number;
}

const progress = (text: string): void => void process.stderr.write(`soak: ${text}\n`);

/** Collects what can be collected: twice, with a turn of the event loop between (finalisers run there). */
async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  await new Promise((resolve) => setImmediate(resolve));
}

async function takeCensus(): Promise<Census> {
  await collect();
  return { ...census(), live_sandboxes: liveSandboxCount() };
}

class Curve {
  readonly samples: SoakSample[] = [];
  readonly started = process.hrtime.bigint();

  elapsed(): number {
    return Number(process.hrtime.bigint() - this.started) / 1e9;
  }

  async sample(at: string, fraction: number): Promise<SoakSample> {
    const taken = await takeCensus();
    const sample: SoakSample = { at, progress: fraction, elapsed_s: this.elapsed(), ...taken, heap_used_kib: Math.round(process.memoryUsage().heapUsed / 1024) };
    this.samples.push(sample);
    return sample;
  }
}

class Unexpected {
  private readonly seen = new Map<string, { count: number; first: string }>();

  add(kind: string, error: unknown): void {
    const entry = this.seen.get(kind) ?? { count: 0, first: error instanceof Error ? `${isMicroVmError(error) ? `${error.code}: ` : ''}${error.message}` : String(error) };
    entry.count++;
    this.seen.set(kind, entry);
  }

  list(): string[] {
    return [...this.seen].map(([kind, { count, first }]) => `${kind}: ${count}× (first: ${first.split('\n')[0].slice(0, 300)})`);
  }
}

/** Splits `total` into `rounds` parts that add up to it. */
function share(total: number, rounds: number, round: number): number {
  return Math.floor((total * (round + 1)) / rounds) - Math.floor((total * round) / rounds);
}

// -----------------------------------------------------------------------------------------------
// The host API: warm calls, create/dispose cycles and faults, interleaved round by round.

async function soakHostApi(options: SoakHostApiOptions): Promise<SoakHostApiResult> {
  const start = await takeCensus();
  const unexpected = new Unexpected();
  const crashDir = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-soak-dumps-'));
  const expectHello = (output: string, what: string): void => {
    if (output !== HELLO_MESSAGE) unexpected.add(`${what} printed something else`, new Error(JSON.stringify(output)));
  };
  const expectFault = (error: unknown, what: string): void => {
    if (!isMicroVmError(error) || error.code !== 'GUEST_FAULT' || error.details.fault?.vector !== 14) unexpected.add(`${what} failed otherwise`, error);
  };

  // One of each kind first: whatever a process keeps once it has used the engine is opened now.
  {
    const inline = Sandbox.create(options.guest);
    expectHello((await inline.call('PrintOutput', HELLO_MESSAGE)).output, 'priming');
    const threaded = Sandbox.create(options.guest, { inlineSliceUs: 0, crashDumpDir: crashDir });
    expectHello((await threaded.call('PrintOutput', HELLO_MESSAGE)).output, 'priming');
    await threaded.call('DerefNull').catch((error: unknown) => expectFault(error, 'priming'));
    inline.dispose();
    threaded.dispose();
    for (const file of fs.readdirSync(crashDir)) fs.rmSync(path.join(crashDir, file));
  }
  const before = await takeCensus();

  const curve = new Curve();
  const warm = {
    sync: Sandbox.create(options.guest),
    async: Sandbox.create(options.guest),
    threaded: Sandbox.create(options.guest, { inlineSliceUs: 0 }),
  };
  const faulting = Sandbox.create(options.guest);
  const dumping = Sandbox.create(options.guest, { crashDumpDir: crashDir });
  const done = { warm_calls: 0, cycles: Object.fromEntries(CYCLE_KINDS.map((k) => [k, 0])) as Record<string, number>, abandoned: 0, faults: 0, crash_dumps: 0 };
  const disposeDuringCall: Record<string, number> = {};
  let cycleIndex = 0;
  let faultIndex = 0;

  try {
    for (let round = 0; round < options.rounds; round++) {
      // Warm calls: the three ways a call runs, in turn.
      const calls = share(options.calls, options.rounds, round);
      for (let i = 0; i < calls; i++) {
        try {
          const which = (done.warm_calls + i) % 3;
          const result = which === 0 ? warm.sync.callSync('PrintOutput', HELLO_MESSAGE) : await (which === 1 ? warm.async : warm.threaded).call('PrintOutput', HELLO_MESSAGE);
          expectHello(result.output, 'a warm call');
        } catch (error) {
          unexpected.add('a warm call failed', error);
        }
      }
      done.warm_calls += calls;

      // Create/dispose cycles.
      const cycles = share(options.cycles, options.rounds, round);
      for (let i = 0; i < cycles; i++, cycleIndex++) {
        if (cycleIndex % ABANDON_EVERY === ABANDON_EVERY - 1) {
          // A sandbox its owner forgot: no dispose, no reference; the finaliser must free the VM.
          try {
            Sandbox.create(options.guest).callSync('Add', 1, 2);
          } catch (error) {
            unexpected.add('an abandoned sandbox failed', error);
          }
          done.abandoned++;
          continue;
        }
        const kind = CYCLE_KINDS[cycleIndex % CYCLE_KINDS.length];
        try {
          await cycle(options.guest, kind, expectHello, disposeDuringCall);
        } catch (error) {
          unexpected.add(`a ${kind} cycle failed`, error);
        }
        done.cycles[kind]++;
      }

      // Faults: sync, async inline, async on the vCPU thread; every tenth writes a crash dump.
      const faults = share(options.faults, options.rounds, round);
      for (let i = 0; i < faults; i++, faultIndex++) {
        try {
          if (faultIndex % 10 === 9) {
            await dumping.call('DerefNull');
          } else if (faultIndex % 3 === 0) {
            faulting.callSync('DerefNull');
          } else {
            await (faultIndex % 3 === 1 ? faulting : warm.threaded).call('DerefNull');
          }
          unexpected.add('DerefNull returned', new Error('no fault'));
        } catch (error) {
          expectFault(error, 'DerefNull');
          const dump = isMicroVmError(error) ? error.details.crashDumpPath : undefined;
          if (dump) {
            done.crash_dumps++;
            fs.rmSync(dump);
          }
        }
      }
      done.faults += faults;

      await curve.sample(`round ${round + 1}/${options.rounds}`, (round + 1) / options.rounds);
      if ((round + 1) % Math.max(1, Math.round(options.rounds / 10)) === 0) {
        const last = curve.samples[curve.samples.length - 1];
        progress(`host API: round ${round + 1}/${options.rounds} (${done.warm_calls} warm calls, ${cycleIndex} cycles, ${done.faults} faults) RSS ${last.rss_kib} KiB, ${last.fds} fds, ${last.threads} threads, ${last.live_sandboxes} live VMs, ${curve.elapsed().toFixed(0)} s`);
      }
    }
  } finally {
    for (const sandbox of [warm.sync, warm.async, warm.threaded, faulting, dumping]) sandbox.dispose();
    const left = fs.readdirSync(crashDir);
    if (left.length > 0) unexpected.add('crash dumps nobody was told about', new Error(left.join(', ')));
    fs.rmSync(crashDir, { recursive: true, force: true });
  }
  const after = await takeCensus();
  return { kind: 'host-api', options, start, before, after, samples: curve.samples, done, dispose_during_call: disposeDuringCall, unexpected: unexpected.list(), duration_s: curve.elapsed() };
}

async function cycle(guest: string, kind: (typeof CYCLE_KINDS)[number], expectHello: (output: string, what: string) => void, disposeDuringCall: Record<string, number>): Promise<void> {
  const sandbox = Sandbox.create(guest, kind === 'call-on-vcpu-thread' || kind === 'dispose-during-call' ? { inlineSliceUs: 0 } : {});
  try {
    if (kind === 'callSync') expectHello(sandbox.callSync('PrintOutput', HELLO_MESSAGE).output, 'a cold callSync');
    else if (kind === 'call-on-vcpu-thread') expectHello((await sandbox.call('PrintOutput', HELLO_MESSAGE)).output, 'a cold call');
    else if (kind === 'dispose-during-call') {
      // Disposed while its vCPU thread runs the call: the call ends (it finished, or
      // SANDBOX_DISPOSED) and the thread, its wake-up and the VM go.
      const call = sandbox.call('Fibonacci', 60).then(
        () => 'ok',
        (error: unknown) => (isMicroVmError(error) ? error.code : `not a MicroVmError: ${String(error)}`),
      );
      sandbox.dispose();
      const outcome = await call;
      disposeDuringCall[outcome] = (disposeDuringCall[outcome] ?? 0) + 1;
    }
  } finally {
    sandbox.dispose();
  }
}

// -----------------------------------------------------------------------------------------------
// The debug adapter inline: MicroVmDebugSession objects in this process, driven as VS Code drives
// a DebugAdapterInlineImplementation (handleMessage in, onDidSendMessage out, dispose at the end).

class InlineClient {
  private seq = 1;
  private readonly pending = new Map<number, { resolve: (response: DebugProtocol.Response) => void; reject: (error: Error) => void }>();
  private readonly waiters: Array<{ name: string; resolve: (event: DebugProtocol.Event) => void; reject: (error: Error) => void }> = [];
  /**
   * Every wait's timer, cleared at dispose: a pending timer keeps its promise chain, and through
   * the closures on it this client and its session, alive until it fires.
   */
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly subscription: { dispose(): void };

  constructor(readonly session: MicroVmDebugSession) {
    this.subscription = session.onDidSendMessage((message) => this.receive(message as DebugProtocol.ProtocolMessage));
  }

  private receive(message: DebugProtocol.ProtocolMessage): void {
    if (message.type === 'response') {
      const response = message as DebugProtocol.Response;
      const entry = this.pending.get(response.request_seq);
      this.pending.delete(response.request_seq);
      if (!entry) return;
      if (response.success) entry.resolve(response);
      else entry.reject(new Error(`${response.command}: ${response.message ?? 'failed'}`));
    } else if (message.type === 'event') {
      const event = message as DebugProtocol.Event;
      const index = this.waiters.findIndex((w) => w.name === event.event);
      if (index >= 0) this.waiters.splice(index, 1)[0].resolve(event);
    }
  }

  request<R extends DebugProtocol.Response>(command: string, args?: object): Promise<R> {
    const seq = this.seq++;
    const answered = new Promise<R>((resolve, reject) => this.pending.set(seq, { resolve: resolve as (response: DebugProtocol.Response) => void, reject }));
    this.session.handleMessage({ seq, type: 'request', command, arguments: args } as DebugProtocol.Request);
    return this.withTimeout(answered, `${command} response`);
  }

  /** The next event of this name; ask before the request that causes it. */
  event<E extends DebugProtocol.Event>(name: string): Promise<E> {
    const arrived = new Promise<E>((resolve, reject) => this.waiters.push({ name, resolve: resolve as (event: DebugProtocol.Event) => void, reject }));
    const result = this.withTimeout(arrived, `${name} event`);
    result.catch(() => undefined);
    return result;
  }

  private withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS / 1000} s`)), WAIT_MS);
      this.timers.add(timer);
    });
    return Promise.race([promise, timeout]).finally(() => {
      clearTimeout(timer);
      this.timers.delete(timer!);
    });
  }

  /** What VS Code does when the session is over; waits nobody will see answered end here. */
  dispose(): void {
    this.subscription.dispose();
    this.session.dispose();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const gone = new Error('the session was disposed');
    for (const waiter of this.waiters.splice(0)) waiter.reject(gone);
    for (const entry of this.pending.values()) entry.reject(gone);
    this.pending.clear();
  }
}

const WAIT_MS = 20_000;

const INITIALIZE: DebugProtocol.InitializeRequestArguments = { clientID: 'microvm-soak', adapterID: 'microvm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path', supportsMemoryReferences: true };

async function debugSession(options: SoakDapInlineOptions, kind: (typeof DAP_SESSION_KINDS)[number] | 'failed-launch'): Promise<void> {
  const client = new InlineClient(new MicroVmDebugSession());
  try {
    await client.request('initialize', INITIALIZE);
    if (kind === 'failed-launch') {
      const terminated = client.event('terminated');
      const refused = await client.request('launch', { type: 'microvm', request: 'launch', name: 'soak', program: `${options.program}.missing`, function: 'Accumulate', args: [1] }).then(
        () => false,
        () => true,
      );
      if (!refused) throw new Error('a launch of a missing program succeeded');
      await terminated;
      return;
    }
    const initialized = client.event('initialized');
    const stopped = client.event<DebugProtocol.StoppedEvent>('stopped');
    const terminated = client.event('terminated');
    const count = kind === 'run-to-end' ? 1000 : 2_000_000_000;
    await client.request('launch', { type: 'microvm', request: 'launch', name: 'soak', program: options.program, function: 'Accumulate', args: [count], timeoutMs: 600_000 });
    await initialized;
    const lines = kind === 'breakpoint-step-disconnect' ? [{ line: options.breakLine }] : [];
    const set = await client.request<DebugProtocol.SetBreakpointsResponse>('setBreakpoints', { source: { path: options.source }, breakpoints: lines });
    if (lines.length > 0 && !set.body.breakpoints[0]?.verified) throw new Error(`the breakpoint at line ${options.breakLine} was not verified`);
    await client.request('setExceptionBreakpoints', { filters: [] });
    await client.request('configurationDone');
    if (kind === 'breakpoint-step-disconnect') {
      const stop = await stopped;
      if (stop.body.reason !== 'breakpoint') throw new Error(`stopped for ${stop.body.reason}, not the breakpoint`);
      const stack = await client.request<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: 1, startFrame: 0, levels: 20 });
      const scopes = await client.request<DebugProtocol.ScopesResponse>('scopes', { frameId: stack.body.stackFrames[0].id });
      const locals = scopes.body.scopes.find((s) => s.name === 'Locals');
      if (!locals) throw new Error('no Locals scope');
      const variables = await client.request<DebugProtocol.VariablesResponse>('variables', { variablesReference: locals.variablesReference });
      if (!variables.body.variables.some((v) => v.name === 'acc')) throw new Error('no acc among the locals');
      const nextStop = client.event('stopped');
      await client.request('next', { threadId: 1 });
      await nextStop;
      const stepStop = client.event('stopped');
      await client.request('stepIn', { threadId: 1, granularity: 'instruction' });
      await stepStop;
      await client.request('stackTrace', { threadId: 1, startFrame: 0, levels: 20 });
      await client.request('evaluate', { expression: 'acc + i', frameId: stack.body.stackFrames[0].id, context: 'watch' }).catch(() => undefined); // frame ids change at a stop; either answer is fine
    } else if (kind === 'run-to-end') {
      await terminated;
    } else {
      // Let it run a moment, then end the session under it.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await client.request('disconnect', { terminateDebuggee: true });
  } finally {
    client.dispose();
  }
}

async function soakDapInline(options: SoakDapInlineOptions): Promise<SoakDapInlineResult> {
  const start = await takeCensus();
  const unexpected = new Unexpected();
  // One session first: the DWARF reader, the disassembler and the engine's once-per-process state.
  await debugSession(options, 'breakpoint-step-disconnect');
  const before = await takeCensus();
  const curve = new Curve();
  const sessions: Record<string, number> = {};
  let left = 0;
  const every = Math.max(1, Math.round(options.sessions / options.samples));
  for (let i = 0; i < options.sessions; i++) {
    const kind = i % FAILED_LAUNCH_EVERY === FAILED_LAUNCH_EVERY - 1 ? 'failed-launch' : DAP_SESSION_KINDS[i % DAP_SESSION_KINDS.length];
    try {
      await debugSession(options, kind);
    } catch (error) {
      unexpected.add(`a ${kind} session failed`, error);
    }
    sessions[kind] = (sessions[kind] ?? 0) + 1;
    if (liveSandboxCount() !== 0) left++;
    if ((i + 1) % every === 0 || i + 1 === options.sessions) {
      const sample = await curve.sample(`session ${i + 1}/${options.sessions}`, (i + 1) / options.sessions);
      if ((i + 1) % Math.max(1, Math.round(options.sessions / 10)) === 0) {
        progress(`debug adapter inline: ${i + 1}/${options.sessions} sessions, RSS ${sample.rss_kib} KiB, ${sample.fds} fds, ${sample.threads} threads, ${curve.elapsed().toFixed(0)} s`);
      }
    }
  }
  const after = await takeCensus();
  return { kind: 'dap-inline', options, start, before, after, samples: curve.samples, sessions, sandboxes_left_after_disconnect: left, unexpected: unexpected.list(), duration_s: curve.elapsed() };
}

async function main(argv: readonly string[]): Promise<void> {
  // Open the stdio streams before the first census: libuv reserves one descriptor (/dev/null, its
  // EMFILE fallback) for the event loop when the loop's first stream is made, here process.stderr at
  // the first progress line. Made later, that once-per-process reserve would count as a leak.
  void process.stdout;
  void process.stderr;
  const [mode, json] = argv;
  const options = JSON.parse(json ?? '{}') as unknown;
  let result: SoakHostApiResult | SoakDapInlineResult;
  if (mode === 'host-api') result = await soakHostApi(options as SoakHostApiOptions);
  else if (mode === 'dap-inline') result = await soakDapInline(options as SoakDapInlineOptions);
  else throw new Error(`usage: soak-child.js host-api|dap-inline '<json options>'`);
  process.stdout.write(JSON.stringify(result) + '\n');
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: Error) => {
    process.stderr.write(`soak: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
  });
}
