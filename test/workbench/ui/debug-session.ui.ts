// The packaged extension, installed alone in a fresh code-server, debugs the c-hello guest the
// way a user does: open hello.c, F9 on `return HostPrint(msg);`, start debugging, and the
// workbench shows the stop (toolbar, PrintOutput in the Call Stack, the current-line decoration on
// that line, msg in the Variables view). Its screenshot is docs/images/debug-session.png when
// run with MICROVM_WB_UPDATE_SCREENSHOTS=1 (`npm run test:workbench -- --update-screenshots`).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildGuest, newGuestProject } from '../../../guest-templates/toolchain';
import { QUIET_SETTINGS } from '../support/code-server';
import { ARTIFACTS_DIR, makeTempDir, REPO_ROOT, WorkbenchSession } from '../support/session';

const BREAKPOINT_TEXT = 'return HostPrint(msg);';

let work = '';
let folder = '';
let session: WorkbenchSession | undefined;

const NO_KVM = fs.existsSync('/dev/kvm') ? false : '/dev/kvm does not exist on this machine';

before(async () => {
  if (NO_KVM) return;
  work = makeTempDir('microvm-wb-ui-');
  folder = path.join(work, 'hello');
  newGuestProject('c-hello', folder);
  buildGuest(folder, {});
  // Our own launch configuration: the template's runs a `microvm: build` preLaunchTask, which
  // needs the CLI on PATH.
  fs.mkdirSync(path.join(folder, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(folder, '.vscode', 'launch.json'), `${JSON.stringify({
    version: '0.2.0',
    configurations: [{
      type: 'microvm', request: 'launch', name: 'Debug PrintOutput',
      program: '${workspaceFolder}/build/c-hello.elf', function: 'PrintOutput', args: ['Hello'],
    }],
  }, null, 2)}\n`);
  // VS Code's default dark theme (a headless browser would get the light one): the screenshot is
  // the README's.
  session = await WorkbenchSession.start({ name: 'debug-session', folder, settings: { ...QUIET_SETTINGS, 'workbench.colorTheme': 'Default Dark Modern', 'editor.minimap.enabled': false } });
});

after(async () => {
  await session?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('F9 in hello.c, start debugging: the workbench shows the stop in PrintOutput', { skip: NO_KVM }, async () => {
  const s = session!;
  const wb = s.workbench;
  const source = fs.readFileSync(path.join(folder, 'hello.c'), 'utf8').split('\n');
  const line = source.findIndex((l) => l.includes(BREAKPOINT_TEXT)) + 1;
  assert.ok(line > 0, `hello.c has a line with ${BREAKPOINT_TEXT}`);

  await s.step('open hello.c', () => wb.openFile('hello.c'));
  await s.step(`go to line ${line}`, () => wb.goToLine(line));
  await s.step('toggle a breakpoint with F9', () => wb.toggleBreakpoint());
  await s.step('start debugging', () => wb.runCommand('Debug: Start Debugging'));
  const stop = await s.step('wait for the stop in PrintOutput', () => wb.waitForStop('PrintOutput'));
  assert.equal(stop.frames[0], 'PrintOutput', `the top frame (frames: ${stop.frames.join(', ')})`);
  assert.equal(stop.line, line, 'the current-line decoration is on the breakpoint line');
  const msg = await s.step('read msg in the Variables view', () => wb.waitForVariable('msg'));
  assert.match(msg, /"Hello"/, `msg's value (${msg})`);

  const forDocs = process.env.MICROVM_WB_UPDATE_SCREENSHOTS === '1';
  const shot = forDocs ? path.join(REPO_ROOT, 'docs', 'images', 'debug-session.png') : path.join(ARTIFACTS_DIR, 'screenshots', 'debug-session.png');
  // The Debug Console is empty at this stop: closing the panel shows more of the source.
  await s.step('close the panel', () => wb.runCommand('View: Hide Panel'));
  await s.step('take the screenshot', () => wb.screenshot(shot, { forDocs }));
  console.log(`# screenshot: ${shot}`);

  await s.step('continue to the end of the call', () => wb.runCommand('Debug: Continue'));
  await s.step('wait for the session to end', () => wb.waitForNoDebugSession());
});
