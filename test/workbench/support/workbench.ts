// Drives a VS Code workbench page (code-server in headless Chromium) the way a user does: quick
// open, the command palette, go to line, breakpoints, and reading the debug views. Every wait is
// bounded and names what it waited for when it fails.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
    await this.waitForExplorer(folder);
  }

  /**
   * Waits for the workbench and its explorer: rows once the remote file system is connected, or,
   * for an empty folder (which has none), the explorer's tree.
   */
  private async waitForExplorer(folder: string, timeoutMs = 60_000): Promise<void> {
    await this.page.waitForSelector('.monaco-workbench', { timeout: timeoutMs });
    const empty = fs.existsSync(folder) && fs.readdirSync(folder).length === 0;
    await this.page.waitForSelector(`.explorer-folders-view ${empty ? '.monaco-list' : '.monaco-list-row'}`, { timeout: timeoutMs });
  }

  /**
   * Waits for the window to reload into `folder` (as `vscode.openFolder` does: code-server loads
   * `?folder=<folder>` in the same page) and for the new workbench to be up.
   */
  async waitForReloadInto(folder: string, timeoutMs = 60_000): Promise<void> {
    await this.page.waitForURL((url) => url.searchParams.get('folder') === folder, { timeout: timeoutMs });
    await this.waitForExplorer(folder, timeoutMs);
  }

  /**
   * Opens a file with quick open (Ctrl+P), waits for its text, and gives the editor the focus.
   * Opening an editor first also keeps the Welcome walkthrough from taking focus back from a quick
   * pick opened later. The focus is given with the keyboard (focusEditor), not by clicking into the
   * text: on a loaded machine the editor may still be laying out, and a click then scrolls it
   * (Playwright scrolls the tall lines element "into view") and lands on another element.
   */
  async openFile(relativePath: string): Promise<void> {
    const name = path.basename(relativePath);
    await this.withQuickInput('Control+P', async (input) => {
      await input.fill(relativePath);
      await this.waitForRow((text) => text.includes(name), `a quick open row for ${relativePath}`, 30_000);
      await this.page.keyboard.press('Enter');
    });
    const tab = this.page.locator('.tabs-container .tab.active', { hasText: name });
    await tab.waitFor({ timeout: 30_000 });
    const line = this.page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line');
    await line.first().waitFor({ timeout: 30_000 });
    await this.focusEditor();
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
   * no visible difference on a workbench), else saved as it is with a note. `clip`: only that
   * part of the page (a smaller file).
   */
  async screenshot(file: string, { forDocs = false, clip }: { forDocs?: boolean; clip?: { x: number; y: number; width: number; height: number } } = {}): Promise<void> {
    const size = this.page.viewportSize();
    if (size) await this.page.mouse.move(Math.round(size.width * 0.8), 8);
    await sleep(300);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await this.page.screenshot({ path: file, ...(clip ? { clip } : {}) });
    if (!forDocs) return;
    const quantized = `${file}.quantized.png`;
    const res = spawnSync('pngquant', ['--quality', '85-98', '--speed', '1', '--strip', '--force', '--output', quantized, file], { encoding: 'utf8' });
    if (res.status === 0 && fs.existsSync(quantized)) fs.renameSync(quantized, file);
    else console.log(`# note: ${file} is not quantized (${res.error ? 'pngquant is not installed: apt-get install pngquant' : `pngquant: ${res.stderr.trim()}`})`);
    fs.rmSync(quantized, { force: true });
  }

  /** The page's region above the panel (Problems, Output, Debug Console...): the whole width, from
   *  the top to the panel's top edge; the whole page when no panel shows. */
  async regionAbovePanel(): Promise<{ x: number; y: number; width: number; height: number }> {
    const size = this.page.viewportSize() ?? { width: 1280, height: 800 };
    const panel = await this.page.locator('.part.panel.bottom').first().boundingBox({ timeout: 2_000 }).catch(() => null);
    return { x: 0, y: 0, width: size.width, height: panel && panel.y > 0 ? Math.round(panel.y) : size.height };
  }

  /** Gives the active editor group's editor the keyboard focus (Ctrl+1), without clicking into
   *  its text (a click where a sticky-scroll line or a widget lies would land on that). */
  async focusEditor(): Promise<void> {
    const editor = this.page.locator('.editor-group-container.active .monaco-editor').first();
    for (let attempt = 0; ; attempt++) {
      await this.page.keyboard.press('Control+1');
      try {
        await this.waitUntil(() => editor.evaluate((el) => {
          const node = el as unknown as { contains(other: unknown): boolean; ownerDocument: { activeElement: unknown } };
          return node.contains(node.ownerDocument.activeElement);
        }), 'the editor to have the focus', 3_000);
        return;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  }

  /** The quick input's text box, once a quick input (palette, pick, input box, file dialog) shows. */
  async quickInputBox(timeoutMs = 15_000): Promise<Locator> {
    const input = this.page.locator(`${QUICK_INPUT} .quick-input-box input`);
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    return input;
  }

  /** The title of the showing quick input ('' without one). */
  async quickInputTitle(): Promise<string> {
    const title = await this.page.locator(`${QUICK_INPUT} .quick-input-title`).innerText({ timeout: 2_000 }).catch(() => '');
    return title.replace(/\s+/g, ' ').trim();
  }

  /** Waits for the showing quick input to have a row labelled exactly `label`, and returns it. */
  async quickInputRow(label: string, timeoutMs = 15_000): Promise<Locator> {
    return this.waitForRow((text) => text === label, `the quick input row "${label}"`, timeoutMs);
  }

  /** Clicks a button of the showing quick input by its label (e.g. a file dialog's OK button). */
  async clickQuickInputButton(label: string): Promise<void> {
    await this.page.locator(`${QUICK_INPUT} .monaco-button`, { hasText: label }).first().click({ timeout: 10_000 });
  }

  /** Waits until no quick input shows. */
  async waitForQuickInputClosed(timeoutMs = 15_000): Promise<void> {
    // QUICK_INPUT matches only a showing widget: hidden means none shows.
    await this.page.locator(QUICK_INPUT).first().waitFor({ state: 'hidden', timeout: timeoutMs });
  }

  /** Clicks a CodeLens of the active editor by its exact title ("▶ Run Fibonacci"); the line
   *  below it must be in view (goToLine reveals it). */
  async clickCodeLens(title: string, timeoutMs = 15_000): Promise<void> {
    const lens = this.page.locator('.editor-group-container.active .codelens-decoration a').filter({ hasText: new RegExp(`^${escapeRegExp(title)}$`) });
    await lens.first().waitFor({ state: 'visible', timeout: timeoutMs });
    await lens.first().click();
  }

  /** Waits until the Call Stack view shows a frame named `frame` (the first sign of a stop). */
  async waitForFrame(frame: string, timeoutMs = 60_000): Promise<void> {
    const frames = this.page.locator('.debug-call-stack .monaco-list-row .stack-frame .label');
    await this.waitUntil(async () => (await frames.allTextContents()).some((t) => t.trim() === frame), `the frame ${frame} in the Call Stack view`, timeoutMs);
  }

  /** The state message in the Call Stack view's header ("Paused on breakpoint"), if one shows. */
  async callStackState(): Promise<string | undefined> {
    const label = this.page.locator('.call-stack-state-message:not([hidden]) .label').first();
    const text = await label.innerText({ timeout: 2_000 }).catch(() => undefined);
    return text?.replace(/\s+/g, ' ').trim() || undefined;
  }

  /** Expands a scope of the Variables view ("Registers") unless it is expanded, and waits for its
   *  first child row. */
  async expandScope(name: string): Promise<void> {
    const row = this.page.locator(`.debug-variables .monaco-list-row[aria-label="Scope ${name}"]`);
    await row.waitFor({ timeout: 15_000 });
    if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
    await this.waitUntil(async () => {
      if ((await row.getAttribute('aria-expanded')) !== 'true') return false;
      const next = this.page.locator(`.debug-variables .monaco-list-row[data-index="${Number(await row.getAttribute('data-index')) + 1}"]`);
      return (await next.getAttribute('aria-level', { timeout: 1_000 })) === '2';
    }, `the scope ${name} to expand and show its rows`, 15_000);
  }

  /**
   * Brings a row of an expanded scope of the Variables view into view and focus by moving down to
   * it with the arrow key (long scopes such as Registers are rendered only in part), and returns it
   * as shown ("rip = 0x100031"). Starts from the focused row (the scope just expanded).
   */
  async revealVariable(name: string, timeoutMs = 15_000): Promise<string> {
    const tree = this.page.locator('.debug-variables .monaco-list').first();
    const hasFocus = (): Promise<boolean> => tree.evaluate((el) => {
      const node = el as unknown as { contains(other: unknown): boolean; ownerDocument: { activeElement: unknown } };
      return node.contains(node.ownerDocument.activeElement);
    });
    if (!(await hasFocus())) await this.runCommand('Run and Debug: Focus on Variables View');
    const focused = this.page.locator('.debug-variables .monaco-list-row.focused').first();
    const deadline = Date.now() + timeoutMs;
    for (let presses = 0; ; presses++) {
      const text = (await focused.innerText({ timeout: 2_000 }).catch(() => '')).replace(/\s+/g, ' ').trim();
      if (text.startsWith(`${name} `)) return text;
      if (presses > 0 && (await focused.getAttribute('aria-level', { timeout: 1_000 }).catch(() => null)) === '1') {
        throw new Error(`no row ${name} in the scope (reached the next scope: ${text})`);
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms moving down to the variable ${name} (at: ${text || 'no focused row'})`);
      const index = await focused.getAttribute('data-index', { timeout: 1_000 }).catch(() => null);
      await this.page.keyboard.press('ArrowDown');
      await this.waitUntil(async () => (await focused.getAttribute('data-index', { timeout: 1_000 })) !== index, 'the focus to move down a row', 5_000).catch(() => undefined);
    }
  }

  /** The section of a view in the side bar by its title ("Crash Dumps"). */
  private view(title: string): Locator {
    return this.page.locator(`.pane:has(> .pane-header[aria-label="${title} Section"])`);
  }

  /** Expands or collapses a view of the side bar by clicking its header (when it is not so). */
  async setViewExpanded(title: string, expanded: boolean): Promise<void> {
    const header = this.view(title).locator('> .pane-header');
    await header.waitFor({ timeout: 15_000 });
    if ((await header.getAttribute('aria-expanded')) !== String(expanded)) await header.click();
    await this.waitUntil(async () => (await header.getAttribute('aria-expanded')) === String(expanded), `the view ${title} to ${expanded ? 'expand' : 'collapse'}`, 10_000);
  }

  /** The rows of a (tree) view of the side bar, as shown. */
  async viewRows(title: string): Promise<string[]> {
    const rows = await this.view(title).locator('.monaco-list-row').allInnerTexts().catch(() => []);
    return rows.map((t) => t.replace(/\s+/g, ' ').trim());
  }

  /** The rows of the Disassembly view (source lines and instructions), as shown. */
  async disassemblyRows(): Promise<string[]> {
    const rows = await this.page.locator('.disassembly-view .monaco-list-row').allInnerTexts().catch(() => []);
    return rows.map((t) => t.replace(/\s+/g, ' ').trim());
  }

  /** The text of the Debug Console (its rows, as shown). */
  async debugConsoleText(): Promise<string> {
    return (await this.page.locator('.repl .monaco-list-row').allInnerTexts().catch(() => [])).join('\n');
  }

  /** The text of the output channel the Output view shows, and that channel's name. */
  async outputView(): Promise<{ channel: string; text: string }> {
    const view = this.page.locator('.pane-body.output-view');
    // An editor renders spaces as no-break spaces.
    const text = (await view.locator('.view-lines').innerText({ timeout: 5_000 }).catch(() => '')).replace(/\u00a0/g, ' ');
    // The channel picker is in the panel's title bar; the visible one is the Output view's.
    const channel = await this.page.locator('.panel select.monaco-select-box').evaluateAll((selects) => {
      interface Select { offsetParent: unknown; selectedIndex: number; options: { text: string }[] }
      const shown = (selects as unknown as Select[]).find((s) => s.offsetParent !== null);
      return shown ? shown.options[shown.selectedIndex]?.text ?? '' : '';
    }).catch(() => '');
    return { channel, text };
  }

  /** A notification toast whose message contains `text`. */
  notification(text: string): Locator {
    return this.page.locator('.notifications-toasts .notification-toast').filter({ hasText: text });
  }

  /** Clicks a button of the notification toast whose message contains `text`. */
  async clickNotificationButton(text: string, button: string, timeoutMs = 30_000): Promise<void> {
    const toast = this.notification(text);
    await toast.first().waitFor({ state: 'visible', timeout: timeoutMs });
    await toast.first().locator('.monaco-button', { hasText: button }).first().click();
  }

  /**
   * The exception widget (the zone widget VS Code shows under the line of an exception stop) of
   * the active editor: its text and the line it is attached to (the rendered line just above it).
   */
  async exceptionWidget(): Promise<{ text: string; line: number | undefined } | undefined> {
    return this.page.evaluate(() => {
      interface Element { getBoundingClientRect(): { top: number; bottom: number; height: number }; textContent: string | null; innerText: string; querySelector(s: string): Element | null; querySelectorAll(s: string): Iterable<Element> }
      const document = (globalThis as unknown as { document: Element }).document;
      const editor = document.querySelector('.editor-group-container.active .monaco-editor');
      const widget = editor?.querySelector('.zone-widget .exception-widget');
      if (!editor || !widget) return undefined;
      const top = widget.getBoundingClientRect().top;
      let line: number | undefined;
      let best = Infinity;
      for (const number of editor.querySelectorAll('.margin-view-overlays .line-numbers')) {
        const rect = number.getBoundingClientRect();
        const gap = top - rect.bottom;
        if (gap >= -2 && gap < best) {
          best = gap;
          line = Number(number.textContent);
        }
      }
      return { text: widget.innerText.replace(/\s+/g, ' ').trim(), line };
    });
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
