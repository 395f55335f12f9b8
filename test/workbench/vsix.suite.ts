// The packaged extension on its own, outside any workbench: the .vsix holds exactly what it should
// (the rules of `npm run package`) within its size budget, and its stdio debug adapter answers
// `initialize` with no repository around it. What the packaged extension does in a workbench (a
// guest created, built, debugged, disassembled from the shipped SDK, addon and iced-x86) is the UI
// suite's subject.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTempDir, packagedVsix } from './support/session';
import { checkVsix, unpackVsix } from './support/vsix';

const vsix = packagedVsix();

test('the .vsix holds exactly the shipped files, within its size budget', (t) => {
  const report = checkVsix(vsix);
  t.diagnostic(`${path.basename(vsix)}: ${report.entries.length} files, ${report.size} bytes`);
  assert.deepEqual(report.problems, [], 'packaging rules');
  assert.ok(report.size <= report.budget, `${report.size} bytes is within the budget of ${report.budget}`);
});

describe('the unpacked package', { skip: fs.existsSync('/dev/kvm') ? false : '/dev/kvm does not exist on this machine' }, () => {
  let work = '';
  let ext = '';

  before(() => {
    work = makeTempDir('microvm-wb-vsix-');
    ext = path.join(work, 'extension');
    unpackVsix(vsix, ext);
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('its stdio debug adapter answers initialize', async () => {
    const adapter = spawn(process.execPath, [path.join(ext, 'dist', 'debug-adapter.js')], { cwd: work, stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const request = JSON.stringify({ seq: 1, type: 'request', command: 'initialize', arguments: { adapterID: 'microvm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' } });
      adapter.stdin.write(`Content-Length: ${Buffer.byteLength(request)}\r\n\r\n${request}`);
      const response = await new Promise<{ success: boolean; command: string; body?: Record<string, unknown> }>((resolve, reject) => {
        let buffer = '';
        const timer = setTimeout(() => reject(new Error(`no initialize response within 10 s (got: ${buffer})`)), 10_000);
        adapter.stdout.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          for (const match of buffer.matchAll(/Content-Length: (\d+)\r\n\r\n/g)) {
            const start = (match.index ?? 0) + match[0].length;
            const body = buffer.slice(start, start + Number(match[1]));
            if (body.length < Number(match[1])) break;
            const message = JSON.parse(body) as { type: string; command: string; success: boolean };
            if (message.type === 'response') {
              clearTimeout(timer);
              resolve(message);
            }
          }
        });
        adapter.once('exit', (code) => reject(new Error(`the adapter exited with ${code} before answering`)));
      });
      assert.equal(response.command, 'initialize');
      assert.equal(response.success, true);
      assert.equal(response.body?.supportsConfigurationDoneRequest, true);
    } finally {
      adapter.kill();
    }
  });
});
