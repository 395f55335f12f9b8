// DAP figures: the stdio debug adapter (`node dist/debug-adapter.js`) driven over stdin/stdout
// exactly as a client drives it, timed at the client: an instruction step, a line step with the
// views VS Code refreshes after it, and launch to the first breakpoint.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildTestGuest, testGuestSource } from '../test/guests/build-guests';

/** Median-first statistics of one DAP figure, in microseconds. */
export interface DapStat {
  readonly count: number;
  readonly median_us: number;
  readonly p90_us: number;
  readonly mean_us: number;
  readonly min_us: number;
  readonly max_us: number;
  /** The first sample: a fresh adapter process, nothing compiled by the JIT yet. */
  readonly first_us: number;
}

export interface DapResults {
  /** The adapter, relative to the repository. */
  readonly adapter: string;
  /** The guest and how it was built. */
  readonly guest: string;
  readonly call: string;
  /** The source breakpoint set during configuration, as file:line. */
  readonly breakpoint: string;
  /** Adapter processes started (one launch each). */
  readonly sessions: number;
  /** Spawning `node dist/debug-adapter.js` until the `initialize` response. */
  readonly adapter_start: DapStat;
  /** `launch` request until the `stopped` event of the breakpoint set during configuration. */
  readonly launch_to_stop: DapStat;
  /** The parts of it: `launch` until its response (config checks, VM creation), ... */
  readonly launch_response: DapStat;
  /** ... the breakpoint requests sent on `initialized` until the last is answered, ... */
  readonly set_breakpoints: DapStat;
  /** ... and `configurationDone` sent until `stopped` (running the guest to the breakpoint). */
  readonly configuration_to_stop: DapStat;
  /** `stepIn` (granularity instruction) → `stopped` → `stackTrace` answered. */
  readonly step_instruction: DapStat;
  /** Its first part: `stepIn` sent until `stopped` arrived. */
  readonly step_instruction_stop: DapStat;
  /** `next` → `stopped` → `stackTrace` + `scopes` + Locals `variables` answered. */
  readonly next: DapStat;
  /** Its first part: `next` sent until `stopped` arrived. */
  readonly next_stop: DapStat;
  /** `threads` → its response: a request the adapter answers with no work, the DAP round trip floor. */
  readonly round_trip: DapStat;
  /** Machine instructions per source line seen while instruction-stepping the loop (what a `next` steps over). */
  readonly instructions_per_line: number;
  /** How often each stop reason was reported while stepping (sanity: `step`, and `breakpoint` on the breakpoint's line). */
  readonly step_reasons: Readonly<Record<string, number>>;
  /** Sessions that ended in an error and were run again, their samples dropped: what went wrong. */
  readonly failed_sessions: readonly string[];
}

export interface DapOptions {
  /** Adapter processes to start, one launch each. */
  readonly launches: number;
  /** Instruction steps, in the first session. */
  readonly instructionSteps: number;
  /** Line steps (`next`), in the first session after the instruction steps (then as many `threads` round trips as instruction steps). */
  readonly nexts: number;
  /** Write a V8 CPU profile of each adapter process into this directory (`node --cpu-prof`). */
  readonly cpuProfileDir?: string;
}

const THREAD_ID = 1;
const FUNCTION = 'Accumulate';
/** Big enough that the loop never ends while the bench steps it. */
const LOOP_COUNT = 2_000_000_000;
const BREAK_MARK = 'loop body';
/** Lines of Accumulate's loop: where every step must stop. */
const LOOP_MARKS = ['loop body', 'store total'];
/** A step answers in milliseconds: a wait this long means a lost stop. */
const WAIT_MS = 20_000;
/** Sessions that may fail (and run again) before the bench gives up. */
const MAX_FAILURES = 3;

export function adapterPath(root: string): string {
  return path.join(root, 'dist', 'debug-adapter.js');
}

/** Why the DAP figures cannot be measured here, or undefined when they can. */
export function dapUnavailable(root: string): string | undefined {
  const adapter = adapterPath(root);
  return fs.existsSync(adapter) ? undefined : `${path.relative(root, adapter)} is missing (run \`npm run build\`)`;
}

export function dapStat(samplesUs: readonly number[]): DapStat {
  if (samplesUs.length === 0) throw new RangeError('no samples to summarise');
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return {
    count: n,
    median_us: median,
    p90_us: sorted[Math.min(n - 1, Math.ceil(0.9 * n) - 1)], // nearest rank
    mean_us: sorted.reduce((sum, x) => sum + x, 0) / n,
    min_us: sorted[0],
    max_us: sorted[n - 1],
    first_us: samplesUs[0],
  };
}

const now = (): bigint => process.hrtime.bigint();
const elapsedUs = (from: bigint, to: bigint): number => Number(to - from) / 1000;

interface Arrival<T> {
  readonly message: T;
  /** When the message was parsed off the adapter's stdout. */
  readonly at: bigint;
}

interface Answered<R extends DebugProtocol.Response> extends Arrival<R> {
  /** When the request was written to the adapter's stdin. */
  readonly sentAt: bigint;
}

type AdapterChild = ChildProcessByStdio<Writable, Readable, Readable>;

/**
 * A minimal DAP client over the adapter's stdio. Arrival times are taken where each message is
 * parsed, so a figure is what a client sees, not when a promise chain got round to it.
 */
export class DapClient {
  readonly spawnedAt: bigint;
  /** How the process ended, once it has. */
  exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** close() had to kill it: it did not exit within 5 s of the disconnect. */
  killed = false;
  private readonly child: AdapterChild;
  private buffer = Buffer.alloc(0);
  private seq = 1;
  private readonly pending = new Map<number, { resolve: (arrival: Arrival<DebugProtocol.Response>) => void; reject: (error: Error) => void }>();
  private readonly waiters: Array<{ name: string; resolve: (arrival: Arrival<DebugProtocol.Event>) => void; reject: (error: Error) => void }> = [];
  private stderr = '';
  /** The last output events, for the message when something goes wrong. */
  private readonly output: string[] = [];
  private readonly exited: Promise<void>;
  private gone: Error | undefined;

  constructor(adapter: string, cpuProfileDir: string | undefined) {
    const profile = cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfileDir];
    this.spawnedAt = now();
    this.child = spawn(process.execPath, [...profile, adapter], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.stderr.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        this.fail(new Error(`the adapter exited (${signal ?? `code ${code}`})`));
        resolve();
      });
      this.child.on('error', (error) => {
        this.fail(error);
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private receive(chunk: Buffer): void {
    const at = now();
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = /Content-Length: *(\d+)/i.exec(this.buffer.toString('ascii', 0, headerEnd));
      if (!length) throw new Error(`bad DAP header from the adapter: ${this.buffer.toString('ascii', 0, headerEnd)}`);
      const start = headerEnd + 4;
      const end = start + Number(length[1]);
      if (this.buffer.length < end) return;
      const message = JSON.parse(this.buffer.toString('utf8', start, end)) as DebugProtocol.ProtocolMessage;
      this.buffer = this.buffer.subarray(end);
      this.dispatch(message, at);
    }
  }

  private dispatch(message: DebugProtocol.ProtocolMessage, at: bigint): void {
    if (message.type === 'response') {
      const response = message as DebugProtocol.Response;
      const entry = this.pending.get(response.request_seq);
      this.pending.delete(response.request_seq);
      if (!entry) return;
      if (response.success) entry.resolve({ message: response, at });
      else entry.reject(new Error(`${response.command} failed: ${response.message ?? 'no message'}${this.context()}`));
    } else if (message.type === 'event') {
      const event = message as DebugProtocol.Event;
      if (event.event === 'output') {
        this.output.push(String((event as DebugProtocol.OutputEvent).body.output));
        if (this.output.length > 20) this.output.shift();
      }
      const index = this.waiters.findIndex((w) => w.name === event.event);
      if (index >= 0) this.waiters.splice(index, 1)[0].resolve({ message: event, at });
      else if (event.event === 'terminated') this.failWaiters(new Error(`the debug session terminated${this.context()}`));
    }
  }

  private context(): string {
    const output = this.output.join('').trim();
    const stderr = this.stderr.trim();
    return (output ? `\nadapter output: ${output}` : '') + (stderr ? `\nadapter stderr: ${stderr}` : '');
  }

  private failWaiters(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private fail(error: Error): void {
    this.gone ??= error;
    const full = new Error(`${error.message}${this.context()}`);
    for (const entry of this.pending.values()) entry.reject(full);
    this.pending.clear();
    this.failWaiters(full);
  }

  private withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS / 1000} s${this.context()}`)), WAIT_MS);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  request<R extends DebugProtocol.Response>(command: string, args?: object): Promise<Answered<R>> {
    if (this.gone) return Promise.reject(this.gone);
    const seq = this.seq++;
    const request: DebugProtocol.Request = { seq, type: 'request', command, arguments: args };
    const json = JSON.stringify(request);
    const answered = new Promise<Arrival<DebugProtocol.Response>>((resolve, reject) => this.pending.set(seq, { resolve, reject }));
    const sentAt = now();
    this.child.stdin.write(`Content-Length: ${Buffer.byteLength(json, 'utf8')}\r\n\r\n${json}`);
    return this.withTimeout(answered, `${command} response`).then((arrival) => ({ message: arrival.message as R, at: arrival.at, sentAt }));
  }

  /** The next event of this name; call it before the request that causes the event. */
  event<E extends DebugProtocol.Event>(name: string): Promise<Arrival<E>> {
    if (this.gone) return Promise.reject(this.gone);
    const arrived = new Promise<Arrival<DebugProtocol.Event>>((resolve, reject) => this.waiters.push({ name, resolve, reject }));
    const result = this.withTimeout(arrived, `${name} event`).then((arrival) => arrival as Arrival<E>);
    result.catch(() => undefined); // awaited later, maybe after a failed request: never an unhandled rejection
    return result;
  }

  /**
   * Ends the session as a client does (disconnect, close the pipe) and waits for the process;
   * without `disconnect`, only the pipe is closed, as when a client goes away without a word.
   */
  async close({ disconnect = true }: { disconnect?: boolean } = {}): Promise<void> {
    if (!this.gone) {
      if (disconnect) {
        try {
          await this.request('disconnect', { terminateDebuggee: true });
        } catch {
          // The process is ended below either way.
        }
      }
      this.child.stdin.end();
    }
    const timer = setTimeout(() => {
      this.killed = true;
      this.child.kill('SIGKILL');
    }, 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Line numbers of the `MARK: name` comments of a source file. */
function markLine(lines: readonly string[], name: string, file: string): number {
  const index = lines.findIndex((line) => line.includes(`MARK: ${name}`));
  if (index < 0) throw new Error(`${file} has no "MARK: ${name}" comment`);
  return index + 1;
}

interface Guest {
  readonly elf: string;
  readonly source: string;
  readonly breakLine: number;
  readonly loopLines: ReadonlySet<number>;
}

interface Samples {
  adapterStart: number[];
  launchToStop: number[];
  launchResponse: number[];
  setBreakpoints: number[];
  configurationToStop: number[];
  step: number[];
  stepStop: number[];
  next: number[];
  nextStop: number[];
  roundTrip: number[];
  reasons: Record<string, number>;
  lineChanges: number;
}

function emptySamples(): Samples {
  return {
    adapterStart: [], launchToStop: [], launchResponse: [], setBreakpoints: [], configurationToStop: [], step: [], stepStop: [], next: [], nextStop: [], roundTrip: [], reasons: {}, lineChanges: 0,
  };
}

function mergeSamples(into: Samples, from: Samples): void {
  for (const key of ['adapterStart', 'launchToStop', 'launchResponse', 'setBreakpoints', 'configurationToStop', 'step', 'stepStop', 'next', 'nextStop', 'roundTrip'] as const) {
    into[key].push(...from[key]);
  }
  for (const [reason, count] of Object.entries(from.reasons)) into.reasons[reason] = (into.reasons[reason] ?? 0) + count;
  into.lineChanges += from.lineChanges;
}

async function topFrame(client: DapClient): Promise<Answered<DebugProtocol.StackTraceResponse>> {
  // 20 levels: what VS Code asks for first (the rest of a deep stack only when it is shown).
  return client.request<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: THREAD_ID, startFrame: 0, levels: 20 });
}

/** Names the step a failure happened in. */
async function during<T>(what: string, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`);
  }
}

const describe = (event: DebugProtocol.StoppedEvent): string => `${event.body.reason}${event.body.description ? `, "${event.body.description}"` : ''}`;

function checkStop(stack: DebugProtocol.StackTraceResponse, guest: Guest, after: string): DebugProtocol.StackFrame {
  const top = stack.body.stackFrames[0];
  if (!top || !top.name.startsWith(FUNCTION) || !top.source?.path || path.resolve(top.source.path) !== guest.source) {
    throw new Error(`after ${after} the top frame is ${top ? `${top.name} at ${top.source?.path}:${top.line}` : 'missing'}, not ${FUNCTION} in ${guest.source}`);
  }
  return top;
}

/** One adapter process: start, launch to the breakpoint, optionally the step figures, then disconnect. */
async function session(adapter: string, guest: Guest, samples: Samples, steps: { instructions: number; nexts: number } | undefined, cpuProfileDir: string | undefined): Promise<void> {
  const client = new DapClient(adapter, cpuProfileDir);
  try {
    const init = await client.request<DebugProtocol.InitializeResponse>('initialize', {
      clientID: 'microvm-bench', adapterID: 'microvm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path',
      supportsVariableType: true, supportsMemoryReferences: true,
    });
    samples.adapterStart.push(elapsedUs(client.spawnedAt, init.at));

    // The configuration sequence a client runs: launch; on `initialized` the breakpoints (sent
    // together, as VS Code does), then configurationDone; the guest runs to the breakpoint.
    const initialized = client.event('initialized');
    const firstStop = client.event<DebugProtocol.StoppedEvent>('stopped');
    const launch = await client.request<DebugProtocol.LaunchResponse>('launch', {
      type: 'microvm', request: 'launch', name: 'bench', program: guest.elf, function: FUNCTION, args: [LOOP_COUNT], stopOnEntry: false,
      timeoutMs: 600_000, // stepping is slow per instruction; the loop must not time out mid-bench
    });
    await initialized;
    const filters = (init.message.body?.exceptionBreakpointFilters ?? []).filter((f) => f.default === true).map((f) => f.filter);
    const configuring = now();
    const [breakpoints] = await Promise.all([
      client.request<DebugProtocol.SetBreakpointsResponse>('setBreakpoints', { source: { path: guest.source }, breakpoints: [{ line: guest.breakLine }] }),
      client.request('setFunctionBreakpoints', { breakpoints: [] }),
      client.request('setExceptionBreakpoints', { filters }),
    ]);
    samples.setBreakpoints.push(elapsedUs(configuring, now()));
    const bp = breakpoints.message.body.breakpoints[0];
    if (!bp?.verified || bp.line !== guest.breakLine) throw new Error(`the breakpoint at ${guest.source}:${guest.breakLine} was not verified there: ${JSON.stringify(bp)}`);
    const configured = await client.request('configurationDone');
    const stop = await firstStop;
    samples.launchToStop.push(elapsedUs(launch.sentAt, stop.at));
    samples.launchResponse.push(elapsedUs(launch.sentAt, launch.at));
    samples.configurationToStop.push(elapsedUs(configured.sentAt, stop.at));
    if (stop.message.body.reason !== 'breakpoint') throw new Error(`the first stop is "${stop.message.body.reason}", not the breakpoint`);
    const at = checkStop((await topFrame(client)).message, guest, `launch (stopped: ${describe(stop.message)})`);
    if (at.line !== guest.breakLine) throw new Error(`the first stop is at line ${at.line}, not the breakpoint's line ${guest.breakLine}`);

    if (!steps) return;
    let line = at.line;
    for (let i = 0; i < steps.instructions; i++) {
      const stopped = client.event<DebugProtocol.StoppedEvent>('stopped');
      const step = await client.request('stepIn', { threadId: THREAD_ID, granularity: 'instruction' });
      const event = await during(`instruction step ${i + 1} from line ${line}`, stopped);
      const stack = await topFrame(client);
      samples.step.push(elapsedUs(step.sentAt, stack.at));
      samples.stepStop.push(elapsedUs(step.sentAt, event.at));
      samples.reasons[event.message.body.reason] = (samples.reasons[event.message.body.reason] ?? 0) + 1;
      const top = checkStop(stack.message, guest, `instruction step ${i + 1} (stopped: ${describe(event.message)})`);
      if (top.line !== line) samples.lineChanges++;
      line = top.line;
    }
    for (let i = 0; i < steps.nexts; i++) {
      const stopped = client.event<DebugProtocol.StoppedEvent>('stopped');
      const next = await client.request('next', { threadId: THREAD_ID });
      const event = await during(`next ${i + 1} from line ${line}`, stopped);
      const stack = await topFrame(client);
      const top = stack.message.body.stackFrames[0];
      const scopes = await client.request<DebugProtocol.ScopesResponse>('scopes', { frameId: top.id });
      const locals = scopes.message.body.scopes.find((s) => s.name === 'Locals');
      if (!locals) throw new Error(`no Locals scope after next: ${scopes.message.body.scopes.map((s) => s.name).join(', ')}`);
      const variables = await client.request<DebugProtocol.VariablesResponse>('variables', { variablesReference: locals.variablesReference });
      samples.next.push(elapsedUs(next.sentAt, variables.at));
      samples.nextStop.push(elapsedUs(next.sentAt, event.at));
      samples.reasons[event.message.body.reason] = (samples.reasons[event.message.body.reason] ?? 0) + 1;
      checkStop(stack.message, guest, `next ${i + 1} (stopped: ${describe(event.message)})`);
      line = top.line;
      if (!guest.loopLines.has(top.line)) throw new Error(`next stopped at line ${top.line}, outside the loop (lines ${[...guest.loopLines].join(', ')})`);
      const names = variables.message.body.variables.map((v) => v.name);
      if (!names.includes('acc') || !names.includes('i')) throw new Error(`Locals after next lack acc and i: ${names.join(', ')}`);
    }
    // The floor of every figure above: a request the adapter answers without touching the VM.
    for (let i = 0; i < steps.instructions; i++) {
      const threads = await client.request<DebugProtocol.ThreadsResponse>('threads');
      samples.roundTrip.push(elapsedUs(threads.sentAt, threads.at));
      if (threads.message.body.threads.length !== 1) throw new Error(`threads answered ${JSON.stringify(threads.message.body.threads)}`);
    }
  } finally {
    await client.close();
  }
}

export async function measureDap(root: string, options: DapOptions): Promise<DapResults> {
  const adapter = adapterPath(root);
  const elf = buildTestGuest('debuggee', { optimize: '0' }); // -O0: what a user debugs
  const source = path.resolve(testGuestSource('debuggee'));
  const lines = fs.readFileSync(source, 'utf8').split('\n');
  const breakLine = markLine(lines, BREAK_MARK, source);
  const loopLines = new Set(LOOP_MARKS.map((mark) => markLine(lines, mark, source)));
  // The `for` line above the body (the condition and i++) is part of the loop too.
  for (let i = breakLine - 2; i >= 0; i--) {
    if (/\bfor\s*\(/.test(lines[i])) {
      loopLines.add(i + 1);
      break;
    }
  }
  const guest: Guest = { elf, source, breakLine, loopLines };

  const samples = emptySamples();
  const failures: string[] = [];
  for (let i = 0; i < options.launches; ) {
    // A session's samples count only when all of it ran: a failed one is run again, and said so.
    const attempt = emptySamples();
    try {
      await session(adapter, guest, attempt, i === 0 ? { instructions: options.instructionSteps, nexts: options.nexts } : undefined, options.cpuProfileDir);
    } catch (error) {
      const message = `session ${i + 1}: ${(error as Error).message.split('\n')[0]}`;
      failures.push(message);
      if (failures.length > MAX_FAILURES) throw new Error(`${failures.length} DAP sessions failed:\n${failures.join('\n')}\nlast: ${(error as Error).message}`);
      process.stderr.write(`bench: DAP ${message}; running it again\n`);
      continue;
    }
    mergeSamples(samples, attempt);
    i++;
  }
  const cc = process.env.MICROVM_CC ?? 'cc';
  return {
    adapter: path.relative(root, adapter),
    guest: `${path.relative(root, source)} (${path.basename(cc)} -O0)`,
    call: `${FUNCTION}(${LOOP_COUNT})`,
    breakpoint: `${path.basename(source)}:${guest.breakLine}`,
    sessions: options.launches,
    adapter_start: dapStat(samples.adapterStart),
    launch_to_stop: dapStat(samples.launchToStop),
    launch_response: dapStat(samples.launchResponse),
    set_breakpoints: dapStat(samples.setBreakpoints),
    configuration_to_stop: dapStat(samples.configurationToStop),
    step_instruction: dapStat(samples.step),
    step_instruction_stop: dapStat(samples.stepStop),
    next: dapStat(samples.next),
    next_stop: dapStat(samples.nextStop),
    round_trip: dapStat(samples.roundTrip),
    instructions_per_line: samples.lineChanges > 0 ? options.instructionSteps / samples.lineChanges : options.instructionSteps,
    step_reasons: samples.reasons,
    failed_sessions: failures,
  };
}
