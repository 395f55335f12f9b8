// The extension's features in a real extension host, on a c-hello project created in the opened
// workspace folder: every contributed command registered, CodeLens on every MV_GUEST_FUNCTION
// line, the microvm build task (and a compile error in Problems), F5 with no launch.json on the
// function under the cursor, Run in micro-VM writing a crash dump the Crash Dumps view lists, and
// that dump opened post-mortem at the faulting line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { newGuestProject } from '../../../guest-templates/toolchain';
import { stopSession } from './debug-sessions';
import { test } from './harness';

const EXTENSION_ID = 'microvm-studio.microvm-studio';

interface Api {
  crashDumps(): readonly { path: string; functionName?: string; description: string }[];
}

interface Manifest {
  contributes: { commands: { command: string }[] };
}

function workspaceFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workbench opened a folder');
  return folder;
}

/** The c-hello project of these tests, created once in the workspace folder. */
function project(): { dir: string; source: string; lineOf: (text: string) => number } {
  const dir = path.join(workspaceFolder().uri.fsPath, 'features-hello');
  if (!fs.existsSync(dir)) newGuestProject('c-hello', dir);
  const source = path.join(dir, 'hello.c');
  const lines = fs.readFileSync(source, 'utf8').split('\n');
  return { dir, source, lineOf: (text) => lines.findIndex((l) => l.includes(text)) };
}

async function api(): Promise<Api> {
  const extension = vscode.extensions.getExtension<Api>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is loaded`);
  return extension.activate();
}

/** The next DAP event of a microvm session that `match` accepts, and the session it came from. */
function nextEvent(match: (event: DebugProtocol.Event) => boolean, what: string, timeoutMs = 45_000) {
  let registration: vscode.Disposable | undefined;
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<{ event: DebugProtocol.Event; session: vscode.DebugSession }>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
    registration = vscode.debug.registerDebugAdapterTrackerFactory('microvm', {
      createDebugAdapterTracker: (session) => ({
        onDidSendMessage: (message: DebugProtocol.ProtocolMessage) => {
          if (message.type === 'event' && match(message as DebugProtocol.Event)) resolve({ event: message as DebugProtocol.Event, session });
        },
      }),
    });
  });
  const dispose = () => {
    clearTimeout(timer);
    registration?.dispose();
  };
  return { promise: promise.finally(dispose), dispose };
}

async function stopAll(): Promise<void> {
  for (let attempt = 0; vscode.debug.activeDebugSession && attempt < 5; attempt++) {
    await stopSession(vscode.debug.activeDebugSession);
  }
  assert.equal(vscode.debug.activeDebugSession, undefined, 'every debug session ended');
}

async function topFrame(session: vscode.DebugSession): Promise<DebugProtocol.StackFrame> {
  const trace = (await session.customRequest('stackTrace', { threadId: 1, startFrame: 0, levels: 1 })) as DebugProtocol.StackTraceResponse['body'];
  return trace.stackFrames[0];
}

test('every contributed command is registered', async () => {
  const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
  await extension.activate();
  const commands = await vscode.commands.getCommands(true);
  const contributed = (extension.packageJSON as Manifest).contributes.commands.map((c) => c.command);
  assert.ok(contributed.length >= 7, contributed.join(', '));
  for (const id of contributed) assert.ok(commands.includes(id), `${id} is registered`);
});

test('CodeLens: Run and Debug on every MV_GUEST_FUNCTION line', async () => {
  const { source, lineOf } = project();
  await api();
  // The command works on open documents only ("Illegal argument" otherwise).
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(source));
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri, 10)) ?? [];
  const ours = lenses.filter((lens) => lens.command?.command.startsWith('microvm.'));
  const expected = ['PrintOutput', 'Fibonacci', 'Add', 'DerefNull'].flatMap((name) => [
    `${lineOf(`MV_GUEST_FUNCTION(${name},`)} ▶ Run ${name}`,
    `${lineOf(`MV_GUEST_FUNCTION(${name},`)} Debug ${name}`,
  ]);
  assert.deepEqual(ours.map((lens) => `${lens.range.start.line} ${lens.command!.title}`).sort(), expected.sort());
});

test('the microvm build task builds the project; a compile error lands in Problems with its line', { timeoutMs: 150_000 }, async () => {
  const { dir, source } = project();
  await api();
  const run = async (): Promise<number | undefined> => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'microvm' });
    const task = tasks.find((t) => (t.definition as { project?: string }).project === path.basename(dir));
    assert.ok(task, `a build task for ${dir} (tasks: ${tasks.map((t) => t.name).join(', ')})`);
    const ended = new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((event) => {
        if (event.execution.task.name === task.name) {
          sub.dispose();
          resolve(event.exitCode);
        }
      });
    });
    await vscode.tasks.executeTask(task);
    return ended;
  };
  assert.equal(await run(), 0);
  assert.ok(fs.existsSync(path.join(dir, 'build', 'c-hello.elf')));
  const original = fs.readFileSync(source, 'utf8');
  const broken = original.replace('return a + b;', 'return a + ;');
  const brokenLine = broken.split('\n').findIndex((l) => l.includes('return a + ;'));
  fs.writeFileSync(source, broken);
  try {
    assert.equal(await run(), 1);
    let problems: vscode.Diagnostic[] = [];
    for (let i = 0; i < 50 && problems.length === 0; i++) {
      problems = vscode.languages.getDiagnostics(vscode.Uri.file(source)).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
      if (problems.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(problems.some((d) => d.range.start.line === brokenLine), `an error on line ${brokenLine + 1} (problems: ${problems.map((d) => `${d.range.start.line + 1}: ${d.message}`).join('; ')})`);
  } finally {
    fs.writeFileSync(source, original);
  }
  assert.equal(await run(), 0, 'fixed again, it builds');
});

test('F5 with no launch.json debugs the function under the cursor (building it first)', { timeoutMs: 150_000 }, async () => {
  const { source, lineOf } = project();
  await api();
  const editor = await vscode.window.showTextDocument(vscode.Uri.file(source));
  const inside = lineOf('return *p;');
  editor.selection = new vscode.Selection(inside, 0, inside, 0);
  const stopped = nextEvent((e) => e.event === 'stopped', 'stopped event');
  try {
    // What VS Code resolves F5 to without a launch.json: the type and nothing else.
    assert.equal(await vscode.debug.startDebugging(workspaceFolder(), { type: 'microvm', request: 'launch', name: 'F5' }), true);
    const { event, session } = await stopped.promise;
    assert.equal((event as DebugProtocol.StoppedEvent).body.reason, 'exception');
    const top = await topFrame(session);
    assert.equal(top.name, 'DerefNull');
    assert.equal(top.line, inside + 1);
  } finally {
    stopped.dispose();
    await stopAll();
  }
});

test('Run in micro-VM writes a crash dump the Crash Dumps view lists; it opens post-mortem at the faulting line', { timeoutMs: 150_000 }, async () => {
  const { dir, lineOf } = project();
  const extension = await api();
  const outcome = (await vscode.commands.executeCommand('microvm.runFunction', { project: dir, function: 'DerefNull' })) as { ok: boolean; text: string; crashDumpPath?: string };
  assert.equal(outcome.ok, false);
  assert.match(outcome.text, /GUEST_FAULT: .*null pointer dereference/);
  const core = outcome.crashDumpPath;
  assert.ok(core && fs.existsSync(core), `a core was written (${core})`);
  assert.equal(path.dirname(core), path.join(workspaceFolder().uri.fsPath, 'microvm-crashes'));
  const listed = extension.crashDumps().find((dump) => dump.path === core);
  assert.ok(listed, 'the Crash Dumps view lists it');
  assert.equal(listed.functionName, 'DerefNull');
  assert.match(listed.description, /^null pointer dereference/);

  const stopped = nextEvent((e) => e.event === 'stopped', 'post-mortem stop');
  try {
    assert.equal(await vscode.commands.executeCommand('microvm.debugCrashDump', vscode.Uri.file(core)), true);
    const { event, session } = await stopped.promise;
    assert.equal((event as DebugProtocol.StoppedEvent).body.reason, 'exception');
    const top = await topFrame(session);
    assert.equal(top.name, 'DerefNull');
    assert.equal(top.line, lineOf('return *p;') + 1);
  } finally {
    stopped.dispose();
    await stopAll();
  }
});
