// The compiler messages the extension's build task turns into Problems, read from real gcc and
// clang output for a guest with an error and a warning.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parseCompilerOutput } from '../extension/compiler-output';
import { buildGuest, GuestBuildError, newGuestProject } from '../guest-templates/toolchain';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-compiler-output-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

for (const cc of ['gcc', 'clang']) {
  test(`${cc}: the error and the warning, with file, line and column`, () => {
    const dir = path.join(scratch, cc);
    newGuestProject('c-hello', dir);
    const source = path.join(dir, 'hello.c');
    const text = fs.readFileSync(source, 'utf8').replace('return a + b;', 'int unused; return a + ;');
    fs.writeFileSync(source, text);
    const line = text.split('\n').findIndex((l) => l.includes('return a + ;')) + 1;
    let stderr = '';
    try {
      buildGuest(dir, { cc });
      assert.fail('the build should fail');
    } catch (error) {
      assert.ok(error instanceof GuestBuildError);
      stderr = error.stderr;
    }
    const messages = parseCompilerOutput(stderr);
    const error = messages.find((m) => m.severity === 'error');
    assert.ok(error, stderr);
    assert.equal(error.file, source);
    assert.equal(error.line, line);
    assert.equal(typeof error.column, 'number');
    assert.match(error.message, /expected expression/);
    assert.ok(messages.some((m) => m.severity === 'warning' && m.file === source && /unused/.test(m.message)), stderr);
  });
}
