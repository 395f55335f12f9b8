// The packaged extension on its own, outside any workbench: the .vsix holds exactly what it should
// (the rules of `npm run package`) within its size budget, and the unpacked package works with no
// repository around it: its bundled CLI creates, builds, lists, runs and disassembles a c-hello
// guest from the shipped SDK and template (with the stripped addon and iced-x86's shipped files),
// and its stdio debug adapter answers `initialize`.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
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

  /** Runs the packaged CLI (dist/cli.js exports main(argv)) in a fresh Node. */
  function microvm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const script = `require(${JSON.stringify(path.join(ext, 'dist', 'cli.js'))}).main(process.argv.slice(1)).then((c) => { process.exitCode = c; })`;
    const res = spawnSync(process.execPath, ['-e', script, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });
    return { status: res.status, stdout: res.stdout, stderr: res.stderr };
  }

  test('its CLI builds and runs a guest from the shipped template and SDK, and disassembles it', () => {
    const project = path.join(work, 'hello');
    const created = microvm('new', 'c-hello', project);
    assert.equal(created.status, 0, created.stderr);
    const built = microvm('build', project);
    assert.equal(built.status, 0, built.stderr);
    const elf = built.stdout.trim().split('\n').pop() ?? '';
    assert.ok(fs.existsSync(elf), `the built ELF (${elf}) exists`);

    const functions = microvm('functions', elf);
    assert.match(functions.stdout, /PrintOutput\(string\) -> i32/);
    const ran = microvm('run', elf, 'PrintOutput', 'Hello');
    assert.equal(ran.status, 0, ran.stderr);
    assert.match(ran.stdout, /Hello[\s\S]*=> 5/);
    const disasm = microvm('disasm', elf, '--function', 'PrintOutput');
    assert.equal(disasm.status, 0, disasm.stderr);
    assert.match(disasm.stdout, /PrintOutput/);
    assert.match(disasm.stdout, /\bret\b/, 'iced-x86 decoded the function');
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
