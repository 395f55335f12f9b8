// The crash-dump viewer's content: a core file's fault in words, its backtrace with source
// links and its registers, as an HTML page for a webview. No VS Code types, so that it is tested
// on real cores without a workbench.
import path from 'node:path';
import { ElfFile } from '../native/lib/elf';
import { checkCoreMatchesProgram } from '../debug-adapter/engine/postmortem/core-match';
import { coreLoadBias, formatBacktrace, formatCoreRegisters, summarizeCore, type CoreSummary } from '../debug-adapter/engine/postmortem';
import type { CrashDump } from './crash-dump-file';

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface ViewModel {
  readonly dump: CrashDump;
  readonly program: string | undefined;
  readonly summary: CoreSummary | undefined;
  /** Why there is no source backtrace. */
  readonly problem: string | undefined;
}

/** What the viewer shows of a core, given the guest ELF that wrote it (when one was found). */
export function coreViewModel(dump: CrashDump, program: string | undefined): ViewModel {
  if (!program) return { dump, program, summary: undefined, problem: 'the guest ELF that wrote this core was not found' };
  try {
    const guest = ElfFile.fromFile(program);
    const core = ElfFile.fromFile(dump.path);
    checkCoreMatchesProgram(core, guest, coreLoadBias(guest, core), { program, coreDump: dump.path });
    return { dump, program, summary: summarizeCore(guest, core), problem: undefined };
  } catch (error) {
    return { dump, program, summary: undefined, problem: (error as Error).message };
  }
}

/** The viewer's page: the fault, a Debug button, the backtrace (frames link to their line), the registers. */
export function coreViewerHtml(view: ViewModel, nonce: string): string {
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
${summary ? `<h2>Backtrace</h2><table id="backtrace">${rows}</table>${summary.backtrace.omittedFrames > 0 ? `<p class="muted">${summary.backtrace.omittedFrames} more frames not shown (Debug shows the whole stack)</p>` : ''}<pre class="muted">${escape(formatBacktrace(summary.backtrace))}</pre>` : ''}
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

/** The page for a file that is not a core this viewer reads. */
export function notACoreHtml(file: string, reason: string): string {
  return `<!DOCTYPE html><html><body><p>${escape(file)} is not a micro-VM core file: ${escape(reason)}</p></body></html>`;
}
