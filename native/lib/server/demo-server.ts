// The KubeCon "hello world" demo on our engine: an HTTP server whose routes run a guest function in
// a fresh micro-VM (cold), in a pre-warmed pooled one (warm), fault on purpose, or do no VM work at
// all (noop, the baseline the benchmarks compare HTTP figures against).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMicroVmError } from '../errors';
import { errorDetailsToJson, type ErrorJson, type JsonValue } from '../presentation';
import { Sandbox, inspectGuest, liveSandboxCount } from '../sandbox';
import type { SandboxOptions } from '../types';
import { BoundedPool, PoolBusyError, PoolClosedError, type PoolStats } from './bounded-pool';
import { WarmPool } from './warm-pool';

export const HELLO_MESSAGE = 'Hello, World! I am executing inside of a VM :)\n';
export const ROUTE_PREFIX = '/hyperlight/hello-world';
export const ROUTES = {
  cold: `${ROUTE_PREFIX}/cold`,
  warm: `${ROUTE_PREFIX}/warm`,
  vmCount: `${ROUTE_PREFIX}/vm-count`,
  derefNull: `${ROUTE_PREFIX}/safety/deref-raw-null-ptr`,
  noop: `${ROUTE_PREFIX}/noop`,
} as const;

const ALLOWED_METHODS = 'GET, HEAD';

export interface DemoServerOptions {
  /** The guest ELF; it must export PrintOutput(string) and, for the safety route, DerefNull(). */
  readonly guest: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Pre-warmed sandboxes; also the number of cold VMs allowed at once. Default 4. */
  readonly poolSize?: number;
  /** Requests that may wait for a busy pool (each for warm and cold); beyond it they get 503. Default 64. */
  readonly maxQueue?: number;
  /** A queued request gets 503 after this long. Default 10 s. */
  readonly maxWaitMs?: number;
  /** Per-call timeout of every sandbox. Default 5 s. */
  readonly callTimeoutMs?: number;
  /** SandboxOptions.inlineSliceUs of every sandbox (0: every call on its vCPU thread). Default 1000. */
  readonly inlineSliceUs?: number;
}

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly type: 'text' | 'json';
  readonly headers?: Readonly<Record<string, string>>;
}

const text = (status: number, body: string): Reply => ({ status, body, type: 'text' });
const json = (status: number, body: JsonValue | ServerErrorJson, headers?: Record<string, string>): Reply => ({ status, body: JSON.stringify(body) + '\n', type: 'json', headers });

export interface DemoServerStats {
  readonly vm_count: number;
  readonly pool: PoolStats;
  readonly cold: PoolStats;
}

export class DemoServer {
  private readonly server: http.Server;
  private closing: Promise<void> | undefined;
  private bound: AddressInfo | undefined;
  private readonly routes: ReadonlyMap<string, () => Promise<Reply>>;

  private constructor(
    private readonly options: DemoServerOptions,
    private readonly pool: WarmPool,
    // Cold VMs are bounded too, or a burst would create one VM per request at once.
    private readonly coldSlots: BoundedPool<number>,
    private readonly sandboxOptions: SandboxOptions,
  ) {
    this.routes = new Map<string, () => Promise<Reply>>([
      ['/', async () => text(200, `Micro-VM Studio demo server. Routes:\n${Object.values(ROUTES).join('\n')}\n`)],
      [ROUTES.cold, () => this.cold()],
      [ROUTES.warm, () => this.warm()],
      [ROUTES.vmCount, async () => json(200, statsJson(this.stats()))],
      [ROUTES.derefNull, () => this.derefNull()],
      [ROUTES.noop, async () => text(200, HELLO_MESSAGE)],
    ]);
    this.server = http.createServer((req, res) => void this.respond(req, res));
  }

  /** Checks the guest, warms the pool and listens; resolves once the port is bound. */
  static async start(options: DemoServerOptions): Promise<DemoServer> {
    const { functions } = inspectGuest(options.guest);
    if (!functions.some((f) => f.name === 'PrintOutput' && f.paramTypes.length === 1 && f.paramTypes[0] === 'string')) {
      throw new Error(`${options.guest} does not export PrintOutput(string), which the demo routes call`);
    }
    const size = options.poolSize ?? 4;
    const maxQueue = options.maxQueue ?? 64;
    const maxWaitMs = options.maxWaitMs ?? 10_000;
    const sandboxOptions: SandboxOptions = { timeoutMs: options.callTimeoutMs ?? 5000, inlineSliceUs: options.inlineSliceUs };
    const pool = new WarmPool({ guest: options.guest, size, maxQueue, maxWaitMs, sandboxOptions });
    const coldSlots = new BoundedPool<number>({ items: Array.from({ length: size }, (_, i) => i), maxQueue, maxWaitMs, destroy: () => {} });
    const server = new DemoServer(options, pool, coldSlots, sandboxOptions);
    try {
      await server.listen(options.port ?? 8080, options.host ?? '127.0.0.1');
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  private listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.bound = this.server.address() as AddressInfo;
        resolve();
      });
    });
  }

  /** The port it listens (or listened) on. */
  get port(): number {
    if (!this.bound) throw new Error('the server is not listening');
    return this.bound.port;
  }

  get url(): string {
    if (!this.bound) throw new Error('the server is not listening');
    const { address, family, port } = this.bound;
    return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
  }

  stats(): DemoServerStats {
    return { vm_count: liveSandboxCount(), pool: this.pool.stats(), cold: this.coldSlots.stats() };
  }

  private async respond(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let reply: Reply;
    const route = this.routes.get(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (!route) reply = json(404, { error: 'NOT_FOUND', message: `no route ${req.url ?? ''}`, routes: Object.values(ROUTES) });
    else if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply = json(405, { error: 'METHOD_NOT_ALLOWED', message: `${req.method ?? ''} is not allowed; use GET` }, { Allow: ALLOWED_METHODS });
    } else {
      try {
        reply = await route();
      } catch (error) {
        reply = failure(error);
      }
    }
    const headers: Record<string, string | number> = {
      'Content-Type': reply.type === 'json' ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(reply.body),
      ...reply.headers,
    };
    // While shutting down, tell keep-alive clients to go so that the server can finish closing.
    if (this.closing) headers.Connection = 'close';
    res.writeHead(reply.status, headers);
    res.end(reply.body);
  }

  private async warm(): Promise<Reply> {
    const result = await this.pool.use((sandbox) => sandbox.call('PrintOutput', HELLO_MESSAGE));
    return { ...text(200, result.output), headers: { 'X-Call-Duration-Us': result.durationUs.toFixed(1) } };
  }

  private async cold(): Promise<Reply> {
    const result = await this.coldSlots.use(async () => {
      const sandbox = Sandbox.create(this.options.guest, this.sandboxOptions);
      try {
        return await sandbox.call('PrintOutput', HELLO_MESSAGE);
      } finally {
        sandbox.dispose();
      }
    });
    return text(200, result.output);
  }

  private async derefNull(): Promise<Reply> {
    return this.pool.use(async (sandbox) => {
      try {
        const result = await sandbox.call('DerefNull');
        return json(500, { error: 'NO_FAULT', message: `DerefNull returned ${String(result.value)} without faulting` });
      } catch (error) {
        if (!isMicroVmError(error) || !error.fault) throw error;
        return json(500, errorBody(error));
      }
    });
  }

  /**
   * Stops accepting connections, answers queued requests 503, lets calls in progress finish, then
   * disposes every VM. Idempotent; resolves when the server is closed.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    await Promise.all([this.pool.close(), this.coldSlots.close()]);
    // Responses in flight carry `Connection: close`; give them a moment, then cut what remains.
    const grace = setTimeout(() => this.server.closeAllConnections(), 2000);
    this.server.closeIdleConnections();
    await closed;
    clearTimeout(grace);
  }
}

function statsJson(stats: DemoServerStats): JsonValue {
  const pool = (p: PoolStats): JsonValue => ({ size: p.size, idle: p.idle, busy: p.busy, queued: p.queued });
  return { vm_count: stats.vm_count, pool: pool(stats.pool), cold: pool(stats.cold) };
}

function failure(error: unknown): Reply {
  if (error instanceof PoolBusyError || error instanceof PoolClosedError) {
    return json(503, { error: 'BUSY', message: error.message }, { 'Retry-After': '1' });
  }
  return json(500, errorBody(error));
}

/**
 * An error response body: the server's envelope puts the code in `error`; the other fields are
 * the shared ErrorJson's (message, function, fault, ...), so they match `microvm run --json`.
 */
type ServerErrorJson = Omit<ErrorJson, 'code'> & { readonly error: string };

function errorBody(error: unknown): ServerErrorJson {
  const { code, ...rest } = errorDetailsToJson(error);
  return { error: code, ...rest };
}
