// Ending debug sessions from an extension-host test: stopDebugging resolves before the session has
// ended, so wait for its terminate event too (at most 10 s: a test must not hang on a stuck one).
import * as vscode from 'vscode';

export async function stopSession(session: vscode.DebugSession): Promise<void> {
  const ended = new Promise<void>((resolve) => {
    const sub = vscode.debug.onDidTerminateDebugSession((s) => {
      if (s.id === session.id) {
        sub.dispose();
        resolve();
      }
    });
  });
  await vscode.debug.stopDebugging(session);
  await Promise.race([ended, new Promise((r) => setTimeout(r, 10_000))]);
}
