// A read-only editor for the `.core` files the host writes: the fault in words, the registers and
// a backtrace whose frames open their source line, with a button that starts the post-mortem
// debug session. Cores of another program (or none found) show what the core alone tells.
import crypto from 'node:crypto';
import path from 'node:path';
import * as vscode from 'vscode';
import { ElfFile } from '../native/lib/elf';
import { checkCoreMatchesProgram } from '../debug-adapter/engine/postmortem/core-match';
import { formatBacktrace, formatCoreRegisters, summarizeCore, type CoreSummary } from '../debug-adapter/engine/postmortem';
import { loadBiasFromEntry } from '../debug-adapter/engine/unwind';
import { readCoreStatus } from '../native/lib/coredump';
import { debugCrashDump, programOf, readCrashDump, type CrashDump } from './crash-dumps';

export const CORE_VIEWER = 'microvm.coreViewer';

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

interface ViewModel {
  readonly dump: CrashDump;
  readonly program: string | undefined;
  readonly summary: CoreSummary | undefined;
  /** Why there is no source backtrace. */
  readonly problem: string | undefined;
}

async function model(file: string): Promise<ViewModel> {
  const dump = readCrashDump(file);
  const program = dump.program ?? (await programOf({ ...dump }, undefined).catch(() => undefined));
  if (!program) return { dump, program, summary: undefined, problem: 'the guest ELF that wrote this core was not found' };
  try {
    const guest = ElfFile.fromFile(program);
    const core = ElfFile.fromFile(file);
    const entry = readCoreStatus(core).auxv.get(9 /* AT_ENTRY */);
    checkCoreMatchesProgram(core, guest, entry !== undefined ? loadBiasFromEntry(guest, entry) : 0n, { program, coreDump: file });
    return { dump, program, summary: summarizeCore(guest, core), problem: undefined };
  } catch (error) {
    return { dump, program, summary: undefined, problem: (error as Error).message };
  }
}

function html(view: ViewModel, nonce: string): string {
  const { dump, summary } = view;
  const frames = summary?.backtrace.frames ?? [];
  const rows = frames
    .map((frame) => {
      const where = frame.file && frame.line ? `${path.basename(frame.file)}:${frame.line}` : '';
      const link = frame.file && frame.line
        ? `<a href="#" data-file="${escape(frame.file)}" data-line="${frame.line}">${escape(where)}</a>`
        : '';
      return `<tr><td>#${frame.level}</td><td><code>${escape(frame.function ?? '??')}</code>${frame.inlined ? ' <em>inlined</em>' : ''}</td><td>${link}</td><td><code>0x${frame.pc.toString(16)}</code></td></tr>`;
    })
    .join('');
  const registers = summary ? escape(formatCoreRegisters(summary.registers)) : '';
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}';">
<style>
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1.5em; }
  h1 { font-size: 1.3em; } .fault { font-size: 1.1em; color: var(--vscode-errorForeground); }
  table { border-collapse: collapse; } td { padding: 2px 12px 2px 0; vertical-align: top; }
  pre { background: var(--vscode-textCodeBlock-background); padding: 8px; }
  button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 6px 14px; cursor: pointer; }
  .muted { color: var(--vscode-descriptionForeground); }
</style></head>
<body>
<h1>Crash dump: ${escape(dump.functionName ?? path.basename(dump.path))}</h1>
<p class="fault" id="fault">${escape(dump.description)}</p>
<p class="muted">${escape(dump.path)} · ${escape(dump.time.toLocaleString())}${view.program ? ` · ${escape(view.program)}` : ''}</p>
<p><button id="debug">Debug</button></p>
${view.problem ? `<p>${escape(view.problem)}</p>` : ''}
${summary ? `<h2>Backtrace</h2><table id="backtrace">${rows}</table><pre class="muted">${escape(formatBacktrace(summary.backtrace))}</pre>` : ''}
${summary ? `<h2>Registers</h2><pre id="registers">${registers}</pre>` : ''}
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  document.getElementById('debug').addEventListener('click', () => vscode.postMessage({ kind: 'debug' }));
  for (const link of document.querySelectorAll('a[data-file]')) {
    link.addEventListener('click', (event) => {
      event.preventDefault();
      vscode.postMessage({ kind: 'open', file: link.dataset.file, line: Number(link.dataset.line) });
    });
  }
</script>
</body></html>`;
}

export class CoreViewerProvider implements vscode.CustomReadonlyEditorProvider {
  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    panel.webview.options = { enableScripts: true };
    let view: ViewModel;
    try {
      view = await model(document.uri.fsPath);
    } catch (error) {
      panel.webview.html = `<!DOCTYPE html><html><body><p>${escape(document.uri.fsPath)} is not a micro-VM core file: ${escape((error as Error).message)}</p></body></html>`;
      return;
    }
    panel.webview.html = html(view, crypto.randomBytes(16).toString('base64'));
    panel.webview.onDidReceiveMessage((message: { kind: string; file?: string; line?: number }) => {
      if (message.kind === 'debug') void debugCrashDump(document.uri.fsPath, view.program);
      if (message.kind === 'open' && message.file && message.line) {
        const line = Math.max(0, message.line - 1);
        void vscode.window.showTextDocument(vscode.Uri.file(message.file), { selection: new vscode.Range(line, 0, line, 0), viewColumn: vscode.ViewColumn.One });
      }
    });
  }
}
