import { liveSandboxCount } from '../../../native/lib';
import { DemoServer, ROUTES } from '../../../native/lib/server';
import { buildHelloGuest } from '../../../guest-templates/build-cache';
import { flagValue, UsageError, type ParsedArgs } from '../args';
import type { Command } from '../command';
import { EXIT_OK, type Io } from '../io';
import { parsePositiveInteger } from '../options';
import { resolveGuest } from './guest-path';

export const serveCommand: Command = {
  spec: {
    name: 'serve',
    summary: 'Serve the KubeCon hello-world demo over HTTP: cold and warm micro-VM calls, a fault, a VM count.',
    positionals: [],
    flags: [
      { name: 'port', value: 'N', description: 'TCP port; 0 picks a free one (default 8080)' },
      { name: 'host', value: 'ADDR', description: 'address to listen on (default 127.0.0.1)' },
      { name: 'pool', value: 'N', description: 'pre-warmed sandboxes, also the cap on cold VMs at once (default 4)' },
      { name: 'queue', value: 'N', description: 'requests that may wait for a busy pool before 503 (default 64)' },
      { name: 'guest', value: 'ELF', description: 'guest to serve (default: the c-hello template, built now)' },
    ],
    details: [
      'Routes (GET):',
      `  ${ROUTES.cold}      a new micro-VM per request runs PrintOutput(...), then is destroyed`,
      `  ${ROUTES.warm}      the same call on a pooled sandbox, restored to its snapshot afterwards`,
      `  ${ROUTES.vmCount}  {"vm_count": N, ...}: micro-VMs alive now`,
      `  ${ROUTES.derefNull}  DerefNull(): 500 with the fault as JSON (docs/crash-dump.md, "Fault JSON")`,
      `  ${ROUTES.noop}      the same answer with no VM work (an HTTP baseline)`,
      'Other paths get 404, other methods 405. Stop with Ctrl-C (SIGINT) or SIGTERM: every VM is disposed.',
    ].join('\n'),
  },
  async run(args: ParsedArgs, io: Io): Promise<number> {
    const port = parsePort(flagValue(args, 'port') ?? '8080');
    const host = flagValue(args, 'host') ?? '127.0.0.1';
    const poolSize = parsePositiveInteger(flagValue(args, 'pool') ?? '4', '--pool');
    const maxQueue = parseCount(flagValue(args, 'queue') ?? '64', '--queue');
    const given = flagValue(args, 'guest');
    const guest = given !== undefined ? resolveGuest(io, given) : buildHelloGuest();

    // Signals that arrive while the pool warms up still stop the server once it is up.
    const stop = stopSignal();
    try {
      const server = await DemoServer.start({ guest, host, port, poolSize, maxQueue });
      io.out(`microvm serve: listening on ${server.url} with ${poolSize} warm sandboxes of ${guest}\n`);
      for (const route of Object.values(ROUTES)) io.out(`  ${server.url}${route}\n`);
      const signal = await stop.received;
      io.out(`microvm serve: ${signal}, shutting down\n`);
      await server.close();
    } finally {
      stop.dispose();
    }
    io.out(`microvm serve: stopped; ${liveSandboxCount()} micro-VMs remain\n`);
    return EXIT_OK;
  },
};

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--port expects 0-65535, got ${JSON.stringify(text)}`);
  return port;
}

function parseCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`${flag} expects an integer >= 0, got ${JSON.stringify(text)}`);
  return Number(text);
}

// The first SIGINT/SIGTERM starts the shutdown; repeats are ignored so it can finish disposing.
function stopSignal(): { received: Promise<NodeJS.Signals>; dispose: () => void } {
  let handler: (signal: NodeJS.Signals) => void = () => {};
  const received = new Promise<NodeJS.Signals>((resolve) => (handler = resolve));
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    received,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
