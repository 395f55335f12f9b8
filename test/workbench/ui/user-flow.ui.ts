// The whole user flow, with only the packaged .vsix installed and nothing but the user's gestures
// (keyboard, mouse, the command palette, the extension's dialogs; no `vscode` API, no file written
// into the workspace by the test, no terminal):
//   1. an empty folder; "Micro-VM: New Guest Project" from the palette: the c-hello template, a
//      parent folder typed into the (simple) file dialog, a name; the window reloads into it;
//   2. hello.c: F9 on `return HostPrint(msg);`, F5 (the template's launch configuration, which
//      builds the guest first through the extension's build task): the stop on that line in the
//      Call Stack and the current-line decoration, `msg` in Variables, `rip` in the Registers
//      scope, the Disassembly view's instructions, F10 to the next line, F5 to the end and the
//      return value in the Debug Console;
//   3. the "▶ Run Fibonacci" CodeLens with `10` typed as its argument: `=> 55` in the Micro-VM
//      output channel;
//   4. "▶ Run DerefNull": the fault's notification, its "Debug crash dump" button, and the
//      post-mortem session stopped on `return *p;` with the exception widget under it.
// The time from pressing F5 to the first stop is reported as a diagnostic. Screenshots of the key
// points go to workbench-artifacts/screenshots/; with MICROVM_WB_UPDATE_SCREENSHOTS=1
// (`npm run test:workbench -- --update-screenshots`) the README's crash-dump screenshot is written
// to docs/images/crash-dump.png instead (only the README's images are kept in docs/images/: the
// .vsix ships that folder, within a 1 MiB budget).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { QUIET_SETTINGS } from '../support/code-server';
import { ARTIFACTS_DIR, makeTempDir, REPO_ROOT, WorkbenchSession } from '../support/session';

const TEMPLATE = 'c-hello';
const PROJECT = 'hello';
const BREAKPOINT_TEXT = 'return HostPrint(msg);';
const FAULT_TEXT = 'return *p;';

const NO_KVM = fs.existsSync('/dev/kvm') ? false : '/dev/kvm does not exist on this machine';
const FOR_DOCS = process.env.MICROVM_WB_UPDATE_SCREENSHOTS === '1';

let work = '';
let empty = '';
let session: WorkbenchSession | undefined;

before(async () => {
  if (NO_KVM) return;
  // The parent folder the project is created in, holding the empty folder the workbench opens
  // first: the project is outside that workspace, so the window reloads into it.
  work = makeTempDir('microvm-wb-flow-');
  empty = path.join(work, 'empty');
  fs.mkdirSync(empty);
  // VS Code's default dark theme (a headless browser would get the light one) for the README.
  session = await WorkbenchSession.start({
    name: 'user-flow',
    folder: empty,
    settings: { ...QUIET_SETTINGS, 'workbench.colorTheme': 'Default Dark Modern', 'editor.minimap.enabled': false },
  });
});

after(async () => {
  await session?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Where a key-point screenshot goes: docs/images/ for the README's when updating them. */
function screenshotPath(file: string, readme = false): string {
  return FOR_DOCS && readme ? path.join(REPO_ROOT, 'docs', 'images', file) : path.join(ARTIFACTS_DIR, 'screenshots', file);
}

/** 1-based line of the first line of `source` that holds `text`. */
function lineOf(source: string, text: string): number {
  const line = source.split('\n').findIndex((l) => l.includes(text)) + 1;
  assert.ok(line > 0, `hello.c has a line with ${text}`);
  return line;
}

test('the user flow: new guest, F5 to a breakpoint, inspect, step, continue, Run, a fault opened post-mortem', { skip: NO_KVM }, async (t) => {
  const s = session!;
  const wb = s.workbench;
  const page = s.page;
  const project = path.join(work, PROJECT);
  const shot = async (file: string, readme = false, abovePanel = false): Promise<void> => {
    const where = screenshotPath(file, readme);
    await s.step(`take the screenshot ${file}`, async () => wb.screenshot(where, { forDocs: FOR_DOCS && readme, clip: abovePanel ? await wb.regionAbovePanel() : undefined }));
    t.diagnostic(`screenshot: ${where}`);
  };

  // 1. A new guest project from the palette.
  await s.step('run "Micro-VM: New Guest Project" from the palette', () => wb.runCommand('Micro-VM: New Guest Project'));
  await s.step(`pick the ${TEMPLATE} template`, async () => {
    // The command activates the extension first (nothing in an empty folder did).
    await wb.quickInputBox(60_000);
    await (await wb.quickInputRow(TEMPLATE, 60_000)).click();
  });
  await s.step('type the parent folder into the file dialog and accept it', async () => {
    // VS Code's simple file dialog (code-server has no native one): a quick input whose value is
    // a path, with the dialog's open label as its OK button.
    const input = await wb.quickInputBox(30_000);
    await wb.quickInputRow('..', 30_000);
    await input.fill(`${work}/`);
    // The listing follows the typed folder: its child `empty` shows once it is read.
    await wb.quickInputRow('empty', 30_000);
    await wb.clickQuickInputButton('Create the project here');
  });
  await s.step('name the project and press Enter', async () => {
    const input = await wb.quickInputBox();
    await wb.waitUntil(async () => (await wb.quickInputTitle()).startsWith(`New ${TEMPLATE} project in ${work}`), 'the project name box', 30_000);
    await input.fill(PROJECT);
    await page.keyboard.press('Enter');
  });
  await s.step('wait for the window to reload into the new project', () => wb.waitForReloadInto(project, 90_000));
  const source = fs.readFileSync(path.join(project, 'hello.c'), 'utf8');
  const breakpointLine = lineOf(source, BREAKPOINT_TEXT);

  // 2. Debug PrintOutput with the template's launch configuration.
  await s.step('open hello.c', () => wb.openFile('hello.c'));
  await s.step(`go to line ${breakpointLine} (${BREAKPOINT_TEXT})`, () => wb.goToLine(breakpointLine));
  await s.step('toggle a breakpoint with F9', () => wb.toggleBreakpoint());
  const pressed = Date.now();
  await s.step('press F5 and wait for PrintOutput in the Call Stack', async () => {
    await page.keyboard.press('F5');
    // Building the guest first (the extension's build task) is part of it.
    await wb.waitForFrame('PrintOutput', 150_000);
  });
  const firstStopMs = Date.now() - pressed;
  t.diagnostic(`F5 to the first stop (PrintOutput in the Call Stack, build included): ${firstStopMs} ms`);
  const stop = await s.step('wait for the stop on the breakpoint line', () => wb.waitForStop('PrintOutput'));
  assert.equal(stop.frames[0], 'PrintOutput', `the top frame (frames: ${stop.frames.join(', ')})`);
  assert.equal(stop.line, breakpointLine, 'the current-line decoration is on the breakpoint line');
  let state: string | undefined;
  await s.step('see why it stopped in the Call Stack header', () => wb.waitUntil(async () => (state = await wb.callStackState()) !== undefined, 'the Call Stack state message', 15_000));
  assert.match(state!, /breakpoint/i, `the stop's reason (${state})`);

  const msg = await s.step('read msg in the Variables view', () => wb.waitForVariable('msg', 30_000));
  assert.match(msg, /^msg = 0x[0-9a-f]+ "Hello"$/, `msg's value (${msg})`);
  await s.step('expand the Registers scope', () => wb.expandScope('Registers'));
  const rip = await s.step('find rip in the Registers scope', () => wb.revealVariable('rip'));
  assert.match(rip, /^rip = 0x[0-9a-f]+$/, `rip's value (${rip})`);
  await shot('debug-registers.png');

  await s.step('open the Disassembly view from the palette', () => wb.runCommand('Open Disassembly View'));
  let disassembly: string[] = [];
  await s.step('wait for instruction rows in the Disassembly view', () => wb.waitUntil(async () => {
    disassembly = await wb.disassemblyRows();
    return disassembly.filter((row) => /0x[0-9a-f]+ (?:[0-9a-f]{2} )+\s*[a-z]/.test(row)).length >= 5 && disassembly.some((row) => row.includes(BREAKPOINT_TEXT));
  }, 'instruction rows and the line of the stop in the Disassembly view', 30_000));
  await shot('disassembly.png');

  await s.step('go back to hello.c', () => page.locator('.tabs-container .tab', { hasText: 'hello.c' }).first().click());
  await s.step('step over with F10', async () => {
    await wb.focusEditor();
    await page.keyboard.press('F10');
    await wb.waitUntil(async () => (await wb.currentStatementLine()) === breakpointLine + 1, `the current-line decoration on line ${breakpointLine + 1}`, 30_000);
  });
  await s.step('continue with F5', () => page.keyboard.press('F5'));
  await s.step('see the return value in the Debug Console', async () => {
    await wb.runCommand('Debug Console: Focus on Debug Console View');
    await wb.waitUntil(async () => (await wb.debugConsoleText()).includes('PrintOutput => 5 ('), '"PrintOutput => 5 (" in the Debug Console', 30_000);
  });
  const consoleText = await wb.debugConsoleText();
  assert.match(consoleText, /Hello[\s\S]*PrintOutput => 5 \(/, `the Debug Console (${consoleText})`);
  await s.step('wait for the session to end (stopping it if it still runs)', async () => {
    if (await page.locator('.debug-toolbar').isVisible()) await page.keyboard.press('Shift+F5');
    await wb.waitForNoDebugSession();
  });

  // 3. Run Fibonacci through its CodeLens.
  const fibonacciLine = lineOf(source, 'MV_GUEST_FUNCTION(Fibonacci');
  await s.step(`reveal line ${fibonacciLine} (MV_GUEST_FUNCTION(Fibonacci ...)`, async () => {
    await wb.focusEditor();
    await wb.goToLine(fibonacciLine);
  });
  await s.step('click "▶ Run Fibonacci"', () => wb.clickCodeLens('▶ Run Fibonacci', 30_000));
  await s.step('type 10 into the arguments box and press Enter', async () => {
    const input = await wb.quickInputBox(60_000);
    await wb.waitUntil(async () => (await wb.quickInputTitle()) === 'Fibonacci(u32) -> u64', 'the arguments box of Fibonacci(u32) -> u64', 60_000);
    await input.fill('10');
    await page.keyboard.press('Enter');
    await wb.waitForQuickInputClosed();
  });
  let output = { channel: '', text: '' };
  await s.step('see "=> 55" in the Micro-VM output channel', () => wb.waitUntil(
    async () => (output = await wb.outputView()).channel === 'Micro-VM' && /^=> 55 \(/m.test(output.text),
    '"=> 55" in the Micro-VM output channel', 60_000,
  ));
  assert.match(output.text, /▶ Fibonacci\(10\) in build\/c-hello\.elf/, `the Micro-VM channel (${output.text})`);

  // 4. Run DerefNull, and debug its crash dump from the notification.
  const derefLine = lineOf(source, 'MV_GUEST_FUNCTION(DerefNull');
  const faultLine = lineOf(source, FAULT_TEXT);
  await s.step(`reveal line ${derefLine} (MV_GUEST_FUNCTION(DerefNull ...)`, async () => {
    await wb.focusEditor();
    await wb.goToLine(derefLine);
  });
  await s.step('click "▶ Run DerefNull"', () => wb.clickCodeLens('▶ Run DerefNull', 30_000));
  await s.step('see the fault notification', () => wb.notification('DerefNull failed').first().waitFor({ state: 'visible', timeout: 60_000 }));
  const notification = (await wb.notification('DerefNull failed').first().innerText()).replace(/\s+/g, ' ');
  assert.match(notification, /null pointer dereference/, `the notification (${notification})`);
  await s.step('click its "Debug crash dump" button', () => wb.clickNotificationButton('DerefNull failed', 'Debug crash dump'));
  const crash = await s.step('wait for the post-mortem stop in DerefNull', () => wb.waitForStop('DerefNull'));
  assert.equal(crash.frames[0], 'DerefNull', `the top frame (frames: ${crash.frames.join(', ')})`);
  assert.equal(crash.line, faultLine, `the current-line decoration is on ${FAULT_TEXT}`);
  await s.step('see the post-mortem state in the Call Stack header', () => wb.waitUntil(async () => /null pointer dereference/.test((state = await wb.callStackState()) ?? ''), 'the post-mortem state message', 15_000));
  t.diagnostic(`Call Stack: ${state}`);
  let widget: Awaited<ReturnType<typeof wb.exceptionWidget>>;
  await s.step('see the exception widget on the faulting line', () => wb.waitUntil(
    async () => (widget = await wb.exceptionWidget()) !== undefined && widget.line === faultLine && /null pointer dereference/.test(widget.text),
    `the exception widget with "null pointer dereference" under line ${faultLine}`, 30_000,
  ));
  t.diagnostic(`exception widget under line ${widget!.line}: ${widget!.text.slice(0, 120)}`);
  let dumps: string[] = [];
  await s.step('see the dump in the Crash Dumps view', async () => {
    // Room for it: the Watch and Breakpoints views are of no use in a post-mortem session.
    await wb.setViewExpanded('Watch', false);
    await wb.setViewExpanded('Breakpoints', false);
    await wb.setViewExpanded('Crash Dumps', true);
    await wb.waitUntil(async () => (dumps = await wb.viewRows('Crash Dumps')).some((row) => row.startsWith('DerefNull') && row.includes('null pointer dereference')), 'DerefNull in the Crash Dumps view', 30_000);
  });
  t.diagnostic(`Crash Dumps view: ${dumps.find((row) => row.startsWith('DerefNull'))}`);
  await s.step('give the editor the focus back', () => wb.focusEditor());
  await shot('crash-dump.png', true, true);
  await s.step('stop the post-mortem session', async () => {
    await wb.focusEditor();
    await page.keyboard.press('Shift+F5');
    await wb.waitForNoDebugSession();
  });
});
