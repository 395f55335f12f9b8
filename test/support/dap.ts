// A DAP client session against the stdio adapter (node dist/debug-adapter.js), as VS Code drives
// it: initialize, launch, breakpoints, configurationDone; helpers to wait for stops and read the
// stack, scopes and variables.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { repoRoot } from '../../guest-templates/toolchain';

export const ADAPTER = path.join(repoRoot(), 'dist', 'debug-adapter.js');

/** Line numbers of the `MARK: name` comments of a source file. */
export function marks(source: string): (name: string) => number {
  const lines = fs.readFileSync(source, 'utf8').split('\n');
  return (name) => {
    const index = lines.findIndex((line) => line.includes(`MARK: ${name}`));
    assert.ok(index >= 0, `no MARK: ${name} in ${source}`);
    return index + 1;
  };
}

/** A DebugClient on an adapter process this module starts and, whatever happens, ends. */
class StdioDebugClient extends DebugClient {
  private adapter: ChildProcess | undefined;

  override start(): Promise<void> {
    this.adapter = spawn(process.execPath, [ADAPTER], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.adapter.stderr?.resume(); // unread stderr must not fill its pipe and block the adapter
    this.connect(this.adapter.stdout!, this.adapter.stdin!);
    return Promise.resolve();
  }

  /** Disconnects (the adapter disposes its micro-VM), then ends the process even if it does not answer. */
  override async stop(): Promise<void> {
    const disconnected = this.disconnectRequest().catch(() => undefined);
    await Promise.race([disconnected, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    this.adapter?.kill('SIGKILL');
    this.adapter = undefined;
  }
}

/**
 * For a describe block whose tests each want a fresh adapter: the returned `session()` ends the
 * session it started last and starts a new one; the last one ends after the block.
 */
export function freshSessions(): () => Promise<DapSession> {
  let dap: DapSession | undefined;
  after(async () => dap?.stop());
  return async () => {
    await dap?.stop();
    dap = await new DapSession().start();
    return dap;
  };
}

export class DapSession {
  readonly client: DebugClient;
  readonly outputs: DebugProtocol.OutputEvent['body'][] = [];

  constructor() {
    if (!fs.existsSync(ADAPTER)) throw new Error(`${ADAPTER} is missing: run npm run build`);
    this.client = new StdioDebugClient('node', ADAPTER, 'microvm');
    this.client.defaultTimeout = 20000;
  }

  /** Starts the adapter and initializes it (with `initialize`'s arguments, VS Code's by default). */
  async start(initialize: DebugProtocol.InitializeRequestArguments = { adapterID: 'microvm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path', supportsMemoryReferences: true }): Promise<this> {
    await this.client.start();
    this.client.on('output', (event: DebugProtocol.OutputEvent) => this.outputs.push(event.body));
    await this.client.initializeRequest(initialize);
    return this;
  }

  /** Launches and configures: `configure` sets breakpoints between `initialized` and configurationDone. */
  async launch(config: Record<string, unknown>, configure: () => Promise<unknown> = async () => undefined): Promise<void> {
    const initialized = this.client.waitForEvent('initialized');
    await this.client.launch({ type: 'microvm', request: 'launch', name: 'test', ...config } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    await configure();
    await this.client.configurationDoneRequest();
  }

  /** Launches with one breakpoint at `line` of `source`, which must be verified there, and waits for the stop. */
  async launchToLine(config: Record<string, unknown>, source: string, line: number): Promise<DebugProtocol.StoppedEvent['body']> {
    return this.stopAfter(() =>
      this.launch(config, async () => {
        const set = await this.client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line }] });
        assert.equal(set.body.breakpoints[0].verified, true);
        assert.equal(set.body.breakpoints[0].line, line);
      }),
    );
  }

  /** Runs `action` and waits for the stop it causes. */
  async stopAfter(action: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent['body']> {
    const stopped = this.client.waitForEvent('stopped');
    // If the action fails, the wait must not reject later, unhandled, and take the test process down.
    stopped.catch(() => undefined);
    await action();
    return ((await stopped) as DebugProtocol.StoppedEvent).body;
  }

  async frames(): Promise<DebugProtocol.StackFrame[]> {
    return (await this.client.stackTraceRequest({ threadId: 1 })).body.stackFrames;
  }

  async top(): Promise<DebugProtocol.StackFrame> {
    return (await this.client.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 1 })).body.stackFrames[0];
  }

  async scope(name: string, frameId?: number): Promise<DebugProtocol.Scope> {
    const id = frameId ?? (await this.top()).id;
    const scopes = (await this.client.scopesRequest({ frameId: id })).body.scopes;
    const found = scopes.find((s) => s.name === name);
    assert.ok(found, `no ${name} scope among ${scopes.map((s) => s.name).join(', ')}`);
    return found;
  }

  async variables(reference: number): Promise<DebugProtocol.Variable[]> {
    return (await this.client.variablesRequest({ variablesReference: reference })).body.variables;
  }

  /** name → value of a scope's rows (Locals by default) in the innermost frame. */
  async values(scopeName = 'Locals', frameId?: number): Promise<Map<string, string>> {
    const scope = await this.scope(scopeName, frameId);
    return new Map((await this.variables(scope.variablesReference)).map((v) => [v.name, v.value]));
  }

  async evaluate(expression: string, frameId?: number): Promise<DebugProtocol.EvaluateResponse['body']> {
    const id = frameId ?? (await this.top()).id;
    return (await this.client.evaluateRequest({ expression, frameId: id, context: 'watch' })).body;
  }

  /** Console and stdout text so far. */
  text(category?: string): string {
    return this.outputs.filter((o) => category === undefined || o.category === category).map((o) => o.output).join('');
  }

  async stop(): Promise<void> {
    await this.client.stop();
  }
}
