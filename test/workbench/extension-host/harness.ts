// A minimal test API for tests that run inside the VS Code extension host (node:test cannot report
// from there: its runner lives in the process that started it). A *.wb.ts file in this folder
// calls test(); index.ts loads every such file, runs the tests one after another and reports.
export interface TestOptions {
  /** Default 60 s. */
  timeoutMs?: number;
  /** Skip the test, saying why (e.g. no /dev/kvm). */
  skip?: string | false;
}

export interface TestResult {
  name: string;
  ok: boolean;
  durationMs: number;
  error?: string;
  /** Why it was skipped (then ok is true). */
  skipped?: string;
}

interface Registered {
  name: string;
  body: () => unknown;
  timeoutMs: number;
  skip?: string | false;
}

const registered: Registered[] = [];
let prefix = '';

/**
 * Registers a test, as node:test's test() does: test(name, body) or test(name, options, body).
 * `body` may be async and fails by throwing (node:assert).
 */
export function test(name: string, body: () => unknown): void;
export function test(name: string, options: TestOptions, body: () => unknown): void;
export function test(name: string, a: TestOptions | (() => unknown), b?: () => unknown): void {
  const [options, body] = typeof a === 'function' ? [{}, a] : [a, b];
  if (typeof body !== 'function') throw new TypeError(`test "${name}" has no body`);
  registered.push({ name: prefix ? `${prefix}: ${name}` : name, body, timeoutMs: options.timeoutMs ?? 60_000, skip: options.skip });
}

/** Names the tests registered while `load` runs after the file that registers them. */
export function loadWithPrefix(name: string, load: () => void): void {
  prefix = name;
  try {
    load();
  } finally {
    prefix = '';
  }
}

function withTimeout(promise: Promise<unknown>, ms: number, name: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer)).catch((err: unknown) => {
    throw err instanceof Error ? err : new Error(`${name}: ${String(err)}`);
  });
}

/** Runs every registered test in order (each to its end or its timeout) and empties the list. */
export async function runRegistered(filter?: string): Promise<TestResult[]> {
  const results: TestResult[] = [];
  const tests = registered.splice(0).filter((t) => !filter || t.name.includes(filter));
  for (const t of tests) {
    if (t.skip) {
      results.push({ name: t.name, ok: true, durationMs: 0, skipped: t.skip });
      continue;
    }
    const started = Date.now();
    try {
      await withTimeout(Promise.resolve().then(t.body), t.timeoutMs, t.name);
      results.push({ name: t.name, ok: true, durationMs: Date.now() - started });
    } catch (err) {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      results.push({ name: t.name, ok: false, durationMs: Date.now() - started, error });
    }
  }
  return results;
}
