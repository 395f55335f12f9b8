// A read-only editor for the `.core` files the host writes: the fault in words, the registers and
// a backtrace whose frames open their source line, with a button that starts the post-mortem
// debug session. Cores of another program (or none found) show what the core alone tells.
import crypto from 'node:crypto';
import * as vscode from 'vscode';
import { coreViewerHtml, coreViewModel, notACoreHtml, type ViewModel } from './core-viewer-html';
import { debugCrashDump, programOf, readCrashDump } from './crash-dumps';

export const CORE_VIEWER = 'microvm.coreViewer';

export class CoreViewerProvider implements vscode.CustomReadonlyEditorProvider {
  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    panel.webview.options = { enableScripts: true };
    let view: ViewModel;
    try {
      const dump = readCrashDump(document.uri.fsPath);
      view = coreViewModel(dump, await programOf(dump).catch(() => undefined));
    } catch (error) {
      panel.webview.html = notACoreHtml(document.uri.fsPath, (error as Error).message);
      return;
    }
    panel.webview.html = coreViewerHtml(view, crypto.randomBytes(16).toString('base64'));
    panel.webview.onDidReceiveMessage((message: { kind: string; file?: string; line?: number }) => {
      if (message.kind === 'debug') void debugCrashDump(document.uri.fsPath, view.program);
      if (message.kind === 'open' && message.file && message.line) {
        const line = Math.max(0, message.line - 1);
        void vscode.window.showTextDocument(vscode.Uri.file(message.file), { selection: new vscode.Range(line, 0, line, 0), viewColumn: vscode.ViewColumn.One });
      }
    });
  }
}
