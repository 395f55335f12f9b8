// The stdio entry of the debug adapter: `node dist/debug-adapter.js` speaks DAP on stdin/stdout.
import { DebugSession } from '@vscode/debugadapter';
import { MicroVmDebugSession } from './session';

// A failure inside a request is answered as an error; anything that still escapes must not take
// the adapter (and the client's session) down silently.
process.on('uncaughtException', (error) => process.stderr.write(`microvm debug adapter: ${error.stack ?? error.message}\n`));
process.on('unhandledRejection', (error) => process.stderr.write(`microvm debug adapter: ${(error as Error)?.stack ?? String(error)}\n`));

DebugSession.run(MicroVmDebugSession);
