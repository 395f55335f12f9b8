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

test('rustc: an error with its code, file, line and column', (t) => {
  const dir = path.join(scratch, 'rust');
  newGuestProject('rust-hello', dir);
  const source = path.join(dir, 'src', 'main.rs');
  const text = fs.readFileSync(source, 'utf8').replace('    a + b\n', '    a + "b"\n');
  fs.writeFileSync(source, text);
  const line = text.split('\n').findIndex((l) => l.includes('a + "b"')) + 1;
  let stderr = '';
  try {
    buildGuest(dir);
    assert.fail('the build should fail');
  } catch (error) {
    if (error instanceof GuestBuildError && /rustc/.test(error.message) && /not found|too old/.test(error.message)) {
      t.skip(`no usable rustc here: ${error.message.split('\n')[0]}`);
      return;
    }
    assert.ok(error instanceof GuestBuildError, String(error));
    stderr = error.stderr;
  }
  const error = parseCompilerOutput(stderr).find((m) => m.severity === 'error');
  assert.ok(error, stderr);
  assert.equal(path.resolve(dir, error.file), source);
  assert.equal(error.line, line);
  assert.match(error.message, /cannot add `&str` to `i32`|mismatched types/);
});
