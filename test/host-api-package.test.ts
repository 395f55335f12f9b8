// The host API as another project uses it: `require('microvm-studio')` (and `import`) load the host
// API bundle without VS Code, with type declarations, and the README's JavaScript examples (a call,
// host functions) run as written. Also: the microvm.json manifest is documented field by field.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildGuest, newGuestProject, readManifest } from '../guest-templates/toolchain';
import { needsKvm } from './support/kvm';
import { explain, ROOT, runNode, type ChildRun } from './support/child';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

interface Manifest {
  readonly main: string;
  readonly types?: string;
  readonly exports?: Record<string, string | Record<string, string>>;
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;

/** The fenced code block of `language` that follows `heading` in `text` (the `nth`, from 0). */
function codeBlock(text: string, heading: string, language: string, nth = 0): string {
  const at = text.indexOf(heading);
  assert.ok(at >= 0, `the README has a section "${heading}"`);
  const blocks = [...text.slice(at).matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))];
  assert.ok(blocks[nth], `"${heading}" has ${nth + 1} ${language} block(s)`);
  return blocks[nth][1];
}

describe('the microvm-studio package from another project', () => {
  let consumer = '';

  before(() => {
    // A project that depends on microvm-studio, as `npm install <path>` links it.
    consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-consumer-'));
    fs.mkdirSync(path.join(consumer, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(consumer, 'node_modules', 'microvm-studio'), 'dir');
    fs.writeFileSync(path.join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n');
  });

  after(() => {
    if (consumer) fs.rmSync(consumer, { recursive: true, force: true });
  });

  test('"main" stays the VS Code extension; "exports" "." is the host API bundle, with types', () => {
    assert.equal(manifest.main, './dist/extension.js');
    const dot = manifest.exports?.['.'];
    assert.ok(dot && typeof dot === 'object', `package.json "exports" has "." with conditions: ${JSON.stringify(manifest.exports)}`);
    assert.equal(dot.default, './dist/host-api.js');
    assert.ok(fs.existsSync(path.join(ROOT, dot.default)), `${dot.default} is built by scripts/bundle.mjs`);
    assert.equal(manifest.types, dot.types);
    assert.ok(fs.existsSync(path.join(ROOT, dot.types)), `${dot.types} is emitted by scripts/bundle.mjs`);
  });

  test('require and import load the host API without vscode', () => {
    const cjs = runNode(['-e', "const api = require('microvm-studio'); console.log(typeof api.Sandbox.create, typeof api.inspectGuest, typeof api.MicroVmError)"], { cwd: consumer, timeoutMs: 60_000 });
    assert.equal(cjs.status, 0, explain(cjs));
    assert.equal(cjs.stdout, 'function function function\n');
    const esm = runNode(['--input-type=module', '-e', "import { Sandbox, checkKvm } from 'microvm-studio'; console.log(typeof Sandbox, typeof checkKvm)"], { cwd: consumer, timeoutMs: 60_000 });
    assert.equal(esm.status, 0, explain(esm));
    assert.equal(esm.stdout, 'function function\n');
  });

  test('TypeScript resolves the declarations through "exports"', () => {
    fs.writeFileSync(path.join(consumer, 'use.ts'), [
      "import { Sandbox, type HostFunction, type CallResult } from 'microvm-studio';",
      "const add: HostFunction = { name: 'HostAdd', paramTypes: ['i32', 'i32'], returnType: 'i32', implementation: (a, b) => (a as number) + (b as number) };",
      "export async function run(elf: string): Promise<CallResult> { return Sandbox.create(elf, { hostFunctions: [add] }).call('AddViaHost', 40, 2); }",
      '',
    ].join('\n'));
    const tsc = runNode([path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16',
      '--target', 'es2022', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), 'use.ts'], { cwd: consumer, timeoutMs: 60_000 });
    assert.equal(tsc.status, 0, explain(tsc));
  });

  describe("the README's JavaScript examples", { skip: needsKvm }, () => {
    let project = '';
    let elf = '';

    before(() => {
      // The c-hello template plus the README's guest function that calls a host function.
      project = path.join(consumer, 'hello');
      newGuestProject('c-hello', project);
      fs.appendFileSync(path.join(project, 'hello.c'), `\n${codeBlock(README, '### Host functions', 'c')}`);
      elf = buildGuest(project, {}).elfPath;
    });

    const run = (example: string): ChildRun => {
      const file = path.join(consumer, `example-${Math.random().toString(36).slice(2)}.js`);
      fs.writeFileSync(file, example.replaceAll("'hello/build/c-hello.elf'", JSON.stringify(elf)));
      return runNode([file], { cwd: consumer, timeoutMs: 60_000 });
    };

    test('a call from JavaScript', () => {
      const result = run(codeBlock(README, '### From JavaScript', 'js'));
      assert.equal(result.status, 0, explain(result));
      assert.equal(result.stdout, 'Hello from JavaScript\n22\n');
    });

    test('host functions registered from JavaScript', () => {
      const result = run(codeBlock(README, '### Host functions', 'js'));
      assert.equal(result.status, 0, explain(result));
      assert.equal(result.stdout, '42\n');
    });
  });
});

describe('the microvm.json manifest is documented', () => {
  const SDK_README = path.join(ROOT, 'guest-templates', 'sdk', 'c', 'README.md');
  const HEADING = '## The project manifest: microvm.json';

  test('the README points to it, and every field the toolchain reads is in its table', () => {
    assert.match(README, /\[[^\]]*microvm\.json[^\]]*\]\(guest-templates\/sdk\/c\/README\.md#the-project-manifest-microvmjson\)/);
    const doc = fs.readFileSync(SDK_README, 'utf8');
    const example = codeBlock(doc, HEADING, 'json');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-manifest-'));
    try {
      fs.writeFileSync(path.join(dir, 'microvm.json'), example);
      const read = readManifest(dir);
      const fields = Object.entries(read).filter(([, value]) => value !== undefined).map(([key]) => key);
      assert.deepEqual(fields.sort(), ['cflags', 'language', 'name', 'output', 'sources'], 'the example uses every field of a C project');
      const section = doc.slice(doc.indexOf(HEADING));
      for (const field of fields) assert.match(section, new RegExp(`^\\| \`${field}\` \\|`, 'm'), `${field} has a row`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
