// Drives a VS Code workbench page (code-server in headless Chromium) the way a user does: quick
// open, the command palette, go to line, breakpoints, and reading the debug views. Every wait is
// bounded and names what it waited for when it fails.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The quick input (palette, quick open, go to line) when it is showing. */
const QUICK_INPUT = '.quick-input-widget:not([style*="display: none"])';
const QUICK_INPUT_ROWS = `${QUICK_INPUT} .quick-input-list .monaco-list-row`;

export interface DebugStop {
  /** The frame names in the Call Stack view, top first. */
  frames: string[];
  /** The line that carries the current-statement decoration (1-based). */
  line: number;
}

export class Workbench {
  constructor(readonly page: Page) {}

  /** Opens `${serverUrl}/?folder=...` (plus any query) and waits for the workbench to be up. */
  async open(serverUrl: string, folder: string, query = ''): Promise<void> {
    await this.page.goto(`${serverUrl}/?folder=${encodeURIComponent(folder)}${query}`);
    await this.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    // The explorer shows the folder once the remote file system is connected.
    await this.page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 60_000 });
  }

  /**
   * Opens a file with quick open (Ctrl+P), then clicks into its text so that the editor has the
   * focus. Opening an editor first also keeps the Welcome walkthrough from taking focus back from
   * a quick pick opened later.
   */
  async openFile(relativePath: string): Promise<void> {
    const name = path.basename(relativePath);
    await this.withQuickInput('Control+P', async (input) => {
      await input.fill(relativePath);
      await this.waitForRow((text) => text.includes(name), `a quick open row for ${relativePath}`);
      await this.page.keyboard.press('Enter');
    });
    const tab = this.page.locator('.tabs-container .tab.active', { hasText: name });
    await tab.waitFor({ timeout: 15_000 });
    const text = this.page.locator('.editor-group-container.active .monaco-editor .view-lines');
    await text.waitFor({ timeout: 15_000 });
    await text.click({ position: { x: 5, y: 5 } });
  }

  /**
   * Runs a command from the palette (F1) by its exact label, e.g. "Debug: Start Debugging". An
   * open palette does not refresh its list, so it is reopened until the command shows (a
   * contributed command appears once its extension is registered).
   */
  async runCommand(label: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let shown: string[] = [];
    for (;;) {
      const found = await this.withQuickInput('F1', async (input) => {
        await input.fill(`>${label}`);
        const row = await this.waitForRow((text) => text === label, `the palette row "${label}"`, 3_000).catch(() => undefined);
        if (!row) {
          shown = await this.quickInputLabels();
          return false;
        }
        await row.click();
        return true;
      });
      if (found) return;
      await this.page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`the command "${label}" never showed in the palette (it showed: ${shown.join(' | ') || 'nothing'})`);
      await sleep(500);
    }
  }

  /** Moves the cursor of the active editor to a line (Ctrl+G). */
  async goToLine(line: number): Promise<void> {
    await this.withQuickInput('Control+G', async (input) => {
      await input.fill(`:${line}`);
      await sleep(100);
      await this.page.keyboard.press('Enter');
    });
    await this.waitUntil(async () => (await this.cursorLine()) === line, `the cursor on line ${line}`, 5_000);
  }

  /** The cursor's line in the active editor, from the status bar ("Ln 12, Col 3"). */
  async cursorLine(): Promise<number | undefined> {
    const text = await this.page.locator('#status\\.editor\\.selection').textContent({ timeout: 5_000 }).catch(() => null);
    const match = /Ln (\d+)/.exec(text ?? '');
    return match ? Number(match[1]) : undefined;
  }

  /** Toggles a breakpoint on the cursor's line (F9) and waits for its glyph. */
  async toggleBreakpoint(): Promise<void> {
    const before = await this.breakpointGlyphs().count();
    await this.page.keyboard.press('F9');
    await this.waitUntil(async () => (await this.breakpointGlyphs().count()) !== before, 'a breakpoint glyph to appear or go', 5_000);
  }

  private breakpointGlyphs(): Locator {
    return this.page.locator('.editor-group-container.active .glyph-margin-widgets .codicon[class*="codicon-debug-breakpoint"]');
  }

  /** The 1-based line numbers of the lines of the active editor that are currently rendered,
   *  by their vertical position. */
  private async lineAt(selector: string): Promise<number | undefined> {
    return this.page.evaluate((sel) => {
      // Runs in the page; the project compiles without the DOM library, hence the local types.
      interface Element { getBoundingClientRect(): { top: number; height: number }; textContent: string | null; querySelector(s: string): Element | null; querySelectorAll(s: string): Iterable<Element> }
      const document = (globalThis as unknown as { document: Element }).document;
      const editor = document.querySelector('.editor-group-container.active .monaco-editor');
      const mark = editor?.querySelector(sel);
      if (!editor || !mark) return undefined;
      const top = mark.getBoundingClientRect().top;
      for (const number of editor.querySelectorAll('.margin-view-overlays .line-numbers')) {
        const rect = number.getBoundingClientRect();
        if (Math.abs(rect.top - top) < rect.height / 2) return Number(number.textContent);
      }
      return undefined;
    }, selector);
  }

  /** The line of the current-statement decoration (the top stack frame's line), if showing. */
  async currentStatementLine(): Promise<number | undefined> {
    return this.lineAt('.debug-top-stack-frame-line');
  }

  /** Waits for the debug toolbar, a stop in `frame` (by name, in the Call Stack view) and the
   *  current-statement decoration in an editor. */
  async waitForStop(frame: string, timeoutMs = 60_000): Promise<DebugStop> {
    await this.page.waitForSelector('.debug-toolbar', { timeout: timeoutMs });
    const frames = this.page.locator('.debug-call-stack .monaco-list-row .stack-frame .label');
    await this.waitUntil(async () => (await frames.allTextContents()).some((t) => t.trim() === frame), `the frame ${frame} in the Call Stack view`, timeoutMs);
    await this.page.waitForSelector('.editor-group-container.active .debug-top-stack-frame-line', { timeout: timeoutMs });
    let line: number | undefined;
    await this.waitUntil(async () => (line = await this.currentStatementLine()) !== undefined, 'the line of the current-statement decoration', 10_000);
    return { frames: (await frames.allTextContents()).map((t) => t.trim()), line: line! };
  }

  /** Waits until no debug session runs (the debug toolbar is gone). */
  async waitForNoDebugSession(timeoutMs = 30_000): Promise<void> {
    await this.page.waitForSelector('.debug-toolbar', { state: 'hidden', timeout: timeoutMs });
  }

  /** The rows of the Variables view as shown ("msg: 0x… "Hello""), expanded scopes included. */
  async variables(): Promise<string[]> {
    const rows = this.page.locator('.debug-variables .monaco-list-row');
    await rows.first().waitFor({ timeout: 15_000 });
    return (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  }

  /** Waits until the Variables view shows a row that starts with `name`. */
  async waitForVariable(name: string, timeoutMs = 15_000): Promise<string> {
    let row: string | undefined;
    await this.waitUntil(async () => (row = (await this.variables()).find((r) => r.startsWith(name))) !== undefined, `the variable ${name} in the Variables view`, timeoutMs);
    return row!;
  }

  /**
   * Saves a screenshot of the page, with the mouse moved to an empty part of the title bar first
   * so that no button shows as hovered. `forDocs`: one that is committed and shipped (README
   * images): quantized to 256 colours with pngquant when it is installed (a third of the bytes,
   * no visible difference on a workbench), else saved as it is with a note.
   */
  async screenshot(file: string, { forDocs = false } = {}): Promise<void> {
    const size = this.page.viewportSize();
    if (size) await this.page.mouse.move(Math.round(size.width * 0.8), 8);
    await sleep(300);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await this.page.screenshot({ path: file });
    if (!forDocs) return;
    const quantized = `${file}.quantized.png`;
    const res = spawnSync('pngquant', ['--quality', '85-98', '--speed', '1', '--strip', '--force', '--output', quantized, file], { encoding: 'utf8' });
    if (res.status === 0 && fs.existsSync(quantized)) fs.renameSync(quantized, file);
    else console.log(`# note: ${file} is not quantized (${res.error ? 'pngquant is not installed: apt-get install pngquant' : `pngquant: ${res.stderr.trim()}`})`);
    fs.rmSync(quantized, { force: true });
  }

  /** Presses `key` to open a quick input, runs `body` with its text box, and leaves it closed. */
  private async withQuickInput<T>(key: string, body: (input: Locator) => Promise<T>): Promise<T> {
    const input = this.page.locator(`${QUICK_INPUT} .quick-input-box input`);
    for (let attempt = 0; ; attempt++) {
      await this.page.keyboard.press(key);
      try {
        await input.waitFor({ state: 'visible', timeout: 5_000 });
        break;
      } catch (err) {
        if (attempt >= 3) throw new Error(`${key} did not open the quick input: ${String(err)}`);
        await this.page.keyboard.press('Escape');
      }
    }
    return body(input);
  }

  private async quickInputLabels(): Promise<string[]> {
    const labels = await this.page.locator(`${QUICK_INPUT_ROWS} .label-name`).allInnerTexts().catch(() => []);
    return labels.map((l) => l.replace(/\s+/g, ' ').trim());
  }

  private async waitForRow(match: (text: string) => boolean, what: string, timeoutMs = 10_000): Promise<Locator> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = this.page.locator(QUICK_INPUT_ROWS);
      const count = await rows.count();
      for (let i = 0; i < count; i++) {
        const label = await rows.nth(i).locator('.label-name').first().innerText().catch(() => '');
        if (match(label.replace(/\s+/g, ' ').trim())) return rows.nth(i);
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  async waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(150);
    }
  }
}
