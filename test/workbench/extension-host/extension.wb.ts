// The extension in a real VS Code extension host: it activates, its command is registered, and
// the `microvm` debug type is served: a session on a freshly built c-hello guest stops at a
// source breakpoint on the right line (seen by a DebugAdapterTracker, checked with stackTrace).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildGuest, newGuestProject } from '../../../guest-templates/toolchain';
import { stopSession } from './debug-sessions';
import { test } from './harness';

const EXTENSION_ID = 'microvm-studio.microvm-studio';

test('the extension activates', async () => {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is loaded (extensions: ${vscode.extensions.all.map((e) => e.id).filter((id) => !id.startsWith('vscode.')).join(', ')})`);
  await extension.activate();
  assert.equal(extension.isActive, true);
});

test('microvm.runFunction is registered', async () => {
  const commands = await vscode.commands.getCommands(true);
  assert.ok(commands.includes('microvm.runFunction'), 'microvm.runFunction is among the registered commands');
});

/** Resolves with the first message of the session for which `match` returns true. */
function waitForMessage(
  sessions: vscode.DebugSession[],
  match: (m: DebugProtocol.ProtocolMessage) => boolean,
  what: string,
  timeoutMs: number,
): { promise: Promise<DebugProtocol.ProtocolMessage>; dispose: () => void } {
  let dispose = (): void => undefined;
  const promise = new Promise<DebugProtocol.ProtocolMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
    const registration = vscode.debug.registerDebugAdapterTrackerFactory('microvm', {
      createDebugAdapterTracker(session) {
        sessions.push(session);
        return {
          onDidSendMessage(message: DebugProtocol.ProtocolMessage) {
            if (match(message)) {
              clearTimeout(timer);
              resolve(message);
            }
          },
          onError(error) {
            clearTimeout(timer);
            reject(error);
          },
        };
      },
    });
    dispose = () => {
      clearTimeout(timer);
      registration.dispose();
    };
  });
  return { promise, dispose };
}

const NO_KVM = fs.existsSync('/dev/kvm') ? false : '/dev/kvm does not exist on this machine';

test('a microvm debug session stops at a breakpoint on the right line', { skip: NO_KVM }, async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-wb-exthost-'));
  const project = path.join(work, 'hello');
  const sessions: vscode.DebugSession[] = [];
  const breakpoints: vscode.Breakpoint[] = [];
  let stopped: ReturnType<typeof waitForMessage> | undefined;
  try {
    newGuestProject('c-hello', project);
    const elf = buildGuest(project, {}).elfPath;
    const source = path.join(project, 'hello.c');
    const line = fs.readFileSync(source, 'utf8').split('\n').findIndex((l) => l.includes('return HostPrint(msg);')) + 1;
    assert.ok(line > 0);

    breakpoints.push(new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(source), new vscode.Position(line - 1, 0))));
    vscode.debug.addBreakpoints(breakpoints);
    stopped = waitForMessage(sessions, (m) => m.type === 'event' && (m as DebugProtocol.Event).event === 'stopped', 'stopped event', 45_000);
    const started = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], {
      type: 'microvm', request: 'launch', name: 'workbench test', program: elf, function: 'PrintOutput', args: ['Hello'],
    });
    assert.equal(started, true, 'startDebugging started a session');

    const event = (await stopped.promise) as DebugProtocol.StoppedEvent;
    assert.equal(event.body.reason, 'breakpoint');
    const session = sessions[0];
    const trace = (await session.customRequest('stackTrace', { threadId: event.body.threadId ?? 1, startFrame: 0, levels: 1 })) as DebugProtocol.StackTraceResponse['body'];
    const top = trace.stackFrames[0];
    assert.equal(top?.name, 'PrintOutput');
    assert.equal(top?.line, line, 'the top frame is on the breakpoint line');
    // The workbench hands custom requests' responses back with its own path conversion applied:
    // a remote URI (vscode-remote://host/abs/path) under code-server, a native path in desktop VS Code.
    const reported = top?.source?.path ?? '';
    assert.equal(/^[a-z][\w+.-]*:\/\//i.test(reported) ? vscode.Uri.parse(reported).fsPath : path.resolve(reported), source);
  } finally {
    stopped?.dispose();
    for (const session of sessions) await stopSession(session);
    vscode.debug.removeBreakpoints(breakpoints);
    fs.rmSync(work, { recursive: true, force: true });
  }
});
