// A child process of `npm run fuzz` that runs one TypeScript target in a worker thread
// (scripts/fuzz/worker.ts) and watches it: an input that runs longer than the hang limit is saved
// as a finding, and then this process kills itself, since a worker blocked in a system call (say,
// opening a FIFO) cannot be terminated. Stats and findings go to the parent over IPC.
//   node out/scripts/fuzz/host.js <target> <milliseconds> <seed> <hang-ms>
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ROOT, WORK } from './seeds';
import { CONTROL_BYTES, PHASE, STATS_BYTES, type FindingMessage, type SlowMessage, type WorkerData } from './worker';

export type HostMessage =
  | { readonly kind: 'stats'; readonly stats: { executions: number; refused: number; accepted: number; slowest: number } }
  | { readonly kind: 'finding'; readonly file: string };

/** Input bytes the watchdog can save: larger inputs are saved cut to this. */
const WINDOW = 8 * 1024 * 1024;

export function saveFinding(target: string, input: Uint8Array, text: string): string {
  const dir = path.join(WORK, 'findings', target);
  fs.mkdirSync(dir, { recursive: true });
  const id = crypto.createHash('sha1').update(input).digest('hex').slice(0, 12);
  const file = path.join(dir, `${id}.input`);
  fs.writeFileSync(file, input);
  fs.writeFileSync(path.join(dir, `${id}.txt`), `${text}\n`);
  return file;
}

function send(message: HostMessage): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));
}

function main(): void {
  const [target, ms, seed, hang] = process.argv.slice(2);
  const milliseconds = Number(ms);
  const hangMs = Number(hang);
  const shared = new SharedArrayBuffer(CONTROL_BYTES + STATS_BYTES + WINDOW);
  const control = new Int32Array(shared, 0, 4);
  const stats = new Float64Array(shared, CONTROL_BYTES, 4);
  const window = new Uint8Array(shared, CONTROL_BYTES + STATS_BYTES);
  const current = () => window.slice(0, Math.min(Atomics.load(control, 1), WINDOW));
  const snapshot = (): HostMessage => ({ kind: 'stats', stats: { executions: stats[0], refused: stats[1], accepted: stats[2], slowest: stats[3] } });
  const data: WorkerData = { target, milliseconds, seed: Number(seed), shared };
  // 2 GiB of JS heap: a reader that builds an unbounded structure dies with ERR_WORKER_OUT_OF_MEMORY.
  const worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: data, resourceLimits: { maxOldGenerationSizeMb: 2048 } });
  let lastCount = -1;
  let lastChange = Date.now();
  const finding = async (input: Uint8Array, text: string, headline: string) => {
    const file = saveFinding(target, input, text);
    console.log(`fuzz: ${target}: ${headline}\n      input saved to ${path.relative(ROOT, file)}`);
    await send({ kind: 'finding', file });
  };
  const watchdog = setInterval(() => {
    void send(snapshot());
    const count = Atomics.load(control, 0);
    if (count !== lastCount) {
      lastCount = count;
      lastChange = Date.now();
      return;
    }
    if (Atomics.load(control, 2) === PHASE.fuzzing && Date.now() - lastChange > hangMs) {
      clearInterval(watchdog);
      void finding(current(), `hang: input ${count} ran for more than ${hangMs} ms`, `HANG: an input ran for more than ${hangMs} ms`)
        .then(() => send(snapshot()))
        .then(() => process.kill(process.pid, 'SIGKILL'));
    }
  }, 250);
  worker.on('message', (message: FindingMessage | SlowMessage) => {
    if (message.kind === 'slow') {
      console.log(`fuzz: ${target}: note: one input took ${Math.round(message.milliseconds)} ms (${message.input.length} bytes)`);
      return;
    }
    void finding(message.input, `${message.error}\n\n${message.stack}`, `FINDING ${message.error.split('\n')[0].slice(0, 300)}`);
  });
  worker.on('error', (error) => {
    clearInterval(watchdog);
    const code = (error as NodeJS.ErrnoException).code ?? error.message;
    void finding(current(), `the worker died: ${error.stack ?? error.message}`, `FINDING the worker died (${code})`).then(() => send(snapshot())).then(() => process.exit(0));
  });
  worker.on('exit', () => {
    clearInterval(watchdog);
    void send(snapshot()).then(() => process.exit(0));
  });
}

main();
