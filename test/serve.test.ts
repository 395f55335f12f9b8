// `microvm serve`: the demo routes on real KVM (in-process on a free loopback port), the bounded
// pool behind them, and the CLI as a child process stopped by SIGTERM / SIGINT.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildHelloGuest } from '../guest-templates/build-cache';
import { liveSandboxCount } from '../native/lib';
import { BoundedPool, DemoServer, HELLO_MESSAGE, PoolBusyError, PoolClosedError, ROUTES } from '../native/lib/server';
import { needsKvm } from './support/kvm';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'microvm.js');

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

// A fresh connection per request, so that no keep-alive socket outlives a test.
function request(url: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} got no answer in 30 s`)));
    req.on('error', reject);
    req.end();
  });
}

function json(answer: Answer): Record<string, unknown> {
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  return JSON.parse(answer.body) as Record<string, unknown>;
}

describe('bounded pool', () => {
  const tokens = (n: number, destroyed: number[] = []) => ({ items: Array.from({ length: n }, (_, i) => i), destroy: (i: number) => void destroyed.push(i) });

  test('queues up to maxQueue callers, refuses the next at once, and serves the queued in order', async () => {
    const pool = new BoundedPool<number>({ ...tokens(1), maxQueue: 2, maxWaitMs: 10_000 });
    let releaseFirst = (): void => {};
    const first = pool.use(() => new Promise<string>((resolve) => (releaseFirst = () => resolve('first'))));
    const order: string[] = [];
    const queued = [pool.use(async () => void order.push('a')), pool.use(async () => void order.push('b'))];
    assert.deepEqual(pool.stats(), { size: 1, idle: 0, busy: 1, queued: 2 });
    await assert.rejects(pool.use(async () => 'refused'), PoolBusyError);
    releaseFirst();
    assert.equal(await first, 'first');
    await Promise.all(queued);
    assert.deepEqual(order, ['a', 'b']);
    assert.deepEqual(pool.stats(), { size: 1, idle: 1, busy: 0, queued: 0 });
  });

  test('a queued caller gives up after maxWaitMs', async () => {
    const pool = new BoundedPool<number>({ ...tokens(1), maxQueue: 5, maxWaitMs: 20 });
    let release = (): void => {};
    const holding = pool.use(() => new Promise<void>((resolve) => (release = resolve)));
    await assert.rejects(pool.use(async () => 'late'), /within 20 ms/);
    release();
    await holding;
  });

  test('close rejects waiters, waits for busy items to come back, then destroys every item', async () => {
    const destroyed: number[] = [];
    const pool = new BoundedPool<number>({ ...tokens(2, destroyed), maxQueue: 5, maxWaitMs: 10_000 });
    const releases: (() => void)[] = [];
    const holding = [0, 1].map(() => pool.use(() => new Promise<void>((resolve) => releases.push(resolve))));
    const waiting = pool.use(async () => 'waited');
    const closed = pool.close();
    await assert.rejects(waiting, PoolClosedError);
    await assert.rejects(pool.use(async () => 'after'), PoolClosedError);
    releases[1]();
    await holding[1];
    const early = await Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('pending'), 20))]);
    assert.equal(early, 'pending');
    releases[0]();
    await closed;
    assert.deepEqual(destroyed.sort(), [0, 1]);
    assert.deepEqual(pool.stats(), { size: 0, idle: 0, busy: 0, queued: 0 });
  });

  test('an unusable item is destroyed and replaced', async () => {
    const destroyed: number[] = [];
    let next = 10;
    const pool = new BoundedPool<number>({ ...tokens(1, destroyed), maxQueue: 0, maxWaitMs: 1000, usable: (i) => i !== 0, replace: () => next++ });
    await pool.use(async (i) => assert.equal(i, 0));
    await pool.use(async (i) => assert.equal(i, 10));
    assert.deepEqual(destroyed, [0]);
    await pool.close();
    assert.deepEqual(destroyed, [0, 10]);
  });
});

describe('microvm serve routes', { skip: needsKvm }, () => {
  let guest: string;
  let server: DemoServer;
  const url = (route: string): string => `${server.url}${route}`;

  before(async () => {
    guest = buildHelloGuest();
    server = await DemoServer.start({ guest, port: 0, poolSize: 3, maxQueue: 256 });
  });
  after(async () => {
    await server?.close();
  });

  test('listens on loopback on the port it was given (0 = a free one)', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(server.port > 0);
  });

  test('/cold runs PrintOutput in a new VM and answers its output; the VM is gone afterwards', async () => {
    const answer = await request(url(ROUTES.cold));
    assert.equal(answer.status, 200);
    assert.equal(answer.body, HELLO_MESSAGE);
    assert.match(String(answer.headers['content-type']), /^text\/plain/);
    assert.equal(liveSandboxCount(), 3);
  });

  test('/warm answers the same output from a pooled sandbox', async () => {
    for (let i = 0; i < 5; i++) {
      const answer = await request(url(ROUTES.warm));
      assert.equal(answer.status, 200);
      assert.equal(answer.body, HELLO_MESSAGE);
    }
  });

  test('/vm-count reports the live VMs and the pool as JSON', async () => {
    const body = json(await request(url(ROUTES.vmCount)));
    assert.equal(body.vm_count, 3);
    assert.deepEqual(body.pool, { size: 3, idle: 3, busy: 0, queued: 0 });
  });

  test('/safety/deref-raw-null-ptr answers 500 with the structured fault, and the pool goes on serving', async () => {
    const answer = await request(url(ROUTES.derefNull));
    assert.equal(answer.status, 500);
    const body = json(answer);
    assert.equal(body.error, 'GUEST_FAULT');
    const fault = body.fault as Record<string, unknown>;
    // The fault JSON of docs/crash-dump.md, exactly as `microvm run --json` prints it.
    assert.deepEqual(Object.keys(fault), [
      'vector', 'mnemonic', 'exceptionName', 'errorCode', 'faultAddress', 'access', 'rip', 'backtrace', 'functionName',
      'stackOverflow', 'nullDereference', 'description',
    ]);
    assert.equal(fault.vector, 14);
    assert.equal(fault.mnemonic, '#PF');
    assert.equal(fault.exceptionName, 'page fault');
    assert.equal(fault.faultAddress, '0x0');
    assert.equal(fault.access, 'read');
    assert.match(String(fault.rip), /^0x[0-9a-f]+$/);
    assert.equal(fault.functionName, 'DerefNull');
    assert.equal(fault.nullDereference, true);
    assert.match(String(fault.description), /null pointer dereference: read of address 0x0 .* in DerefNull/);
    // Every pooled sandbox still works, including the one that faulted.
    const after = await Promise.all([1, 2, 3, 4, 5, 6].map(() => request(url(ROUTES.warm))));
    for (const answer of after) assert.deepEqual([answer.status, answer.body], [200, HELLO_MESSAGE]);
    assert.equal(json(await request(url(ROUTES.vmCount))).vm_count, 3);
  });

  test('/noop answers without touching a VM', async () => {
    const answer = await request(url(ROUTES.noop));
    assert.deepEqual([answer.status, answer.body], [200, HELLO_MESSAGE]);
  });

  test('a burst of 200 concurrent requests is answered in full, and the server still serves', async () => {
    const routes = [ROUTES.warm, ROUTES.warm, ROUTES.cold, ROUTES.noop];
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => request(url(routes[i % routes.length]))));
    for (const answer of answers) assert.deepEqual([answer.status, answer.body], [200, HELLO_MESSAGE]);
    assert.equal((await request(url(ROUTES.warm))).status, 200);
    assert.equal(json(await request(url(ROUTES.vmCount))).vm_count, 3);
  });

  test('unknown paths get 404, other methods 405 with Allow, HEAD is allowed', async () => {
    const missing = await request(url('/hyperlight/hello-world/nope'));
    assert.equal(missing.status, 404);
    assert.equal(json(missing).error, 'NOT_FOUND');
    assert.equal((await request(url('/nope'), 'POST')).status, 404);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const refused = await request(url(ROUTES.warm), method);
      assert.equal(refused.status, 405, method);
      assert.equal(refused.headers.allow, 'GET, HEAD');
    }
    const head = await request(url(ROUTES.warm), 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(HELLO_MESSAGE)));
  });
});

describe('microvm serve under overload and shutdown', { skip: needsKvm }, () => {
  let guest: string;
  before(() => {
    guest = buildHelloGuest();
  });

  test('past the queue bound requests get 503 with Retry-After at once; none hangs', async () => {
    // Calls on the vCPU thread, so that requests overlap: inline, a hello call ends before the next
    // request is even read, and the queue would never fill.
    const server = await DemoServer.start({ guest, port: 0, poolSize: 1, maxQueue: 1, inlineSliceUs: 0 });
    try {
      const answers = await Promise.all(Array.from({ length: 100 }, () => request(`${server.url}${ROUTES.warm}`)));
      const statuses = new Set(answers.map((a) => a.status));
      assert.deepEqual([...statuses].filter((s) => s !== 200 && s !== 503), []);
      const busy = answers.filter((a) => a.status === 503);
      assert.ok(busy.length > 0, 'one sandbox and a queue of one cannot take 100 requests at once');
      assert.equal(busy[0].headers['retry-after'], '1');
      assert.equal(json(busy[0]).error, 'BUSY');
      assert.ok(answers.some((a) => a.status === 200));
      assert.equal((await request(`${server.url}${ROUTES.warm}`)).status, 200);
    } finally {
      await server.close();
    }
  });

  test('close with requests in flight answers them, then disposes every VM', async () => {
    const server = await DemoServer.start({ guest, port: 0, poolSize: 2, maxQueue: 64 });
    assert.equal(liveSandboxCount(), 2);
    const inFlight = Array.from({ length: 20 }, (_, i) => request(`${server.url}${i % 2 ? ROUTES.warm : ROUTES.cold}`).catch((e: Error) => e));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await server.close();
    for (const outcome of await Promise.all(inFlight)) {
      // Each request was served, refused as busy, or (not yet accepted) saw the socket closed.
      if (!(outcome instanceof Error)) assert.ok(outcome.status === 200 || outcome.status === 503, String(outcome.status));
    }
    assert.equal(liveSandboxCount(), 0);
    await assert.rejects(request(`${server.url}${ROUTES.warm}`), /ECONNREFUSED/);
    await server.close(); // idempotent
  });
});

describe('microvm serve command', { skip: needsKvm }, () => {
  let guest: string;
  before(() => {
    guest = buildHelloGuest();
  });

  async function startCli(): Promise<{ child: ReturnType<typeof spawn>; base: string; output: () => string; exit: Promise<number | null> }> {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--pool', '2', '--guest', guest], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start in 30 s: ${stdout}${stderr}`)), 30_000);
      child.stdout.on('data', () => {
        const match = /listening on (http:\/\/\S+)/.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      void exit.then((code) => reject(new Error(`serve exited with ${code}: ${stdout}${stderr}`)));
    });
    return { child, base, output: () => stdout + stderr, exit };
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`serves, then shuts down cleanly on ${signal} with no VM left`, async () => {
      const { child, base, output, exit } = await startCli();
      try {
        assert.deepEqual(await request(`${base}${ROUTES.warm}`).then((a) => [a.status, a.body]), [200, HELLO_MESSAGE]);
        assert.equal(json(await request(`${base}${ROUTES.vmCount}`)).vm_count, 2);
      } finally {
        child.kill(signal);
      }
      assert.equal(await exit, 0, output());
      assert.match(output(), new RegExp(`${signal}, shutting down`));
      assert.match(output(), /stopped; 0 micro-VMs remain/);
    });
  }

  test('bad flag values are usage errors (exit 2)', async () => {
    for (const flags of [['--port', '70000'], ['--pool', '0'], ['--queue', '-1']]) {
      const child = spawn(process.execPath, [CLI, 'serve', ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 2, `${flags.join(' ')}: ${stderr}`);
      assert.match(stderr, /microvm serve: /);
    }
  });
});
