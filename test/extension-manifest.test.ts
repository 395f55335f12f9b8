// package.json must stay an honest VS Code extension manifest: every contributed command, view,
// editor, task type and setting is registered or read by the extension's code, `main` exists, and
// `vscode` is left to the host. What the extension does is tested in a real workbench
// (test/workbench/).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..');

interface Manifest {
  name: string;
  displayName?: string;
  publisher?: string;
  version: string;
  main?: string;
  engines?: { vscode?: string };
  activationEvents?: string[];
  contributes?: {
    commands?: { command: string; title: string; category?: string }[];
    debuggers?: { type: string; configurationAttributes?: { launch?: { required?: string[]; properties?: Record<string, { description?: string }> } } }[];
    breakpoints?: { language: string }[];
  };
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const contributed = manifest.contributes?.commands ?? [];
/** Every source of the extension, concatenated: registrations are checked against it. */
const extensionSource = fs
  .readdirSync(path.join(ROOT, 'extension'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => fs.readFileSync(path.join(ROOT, 'extension', f), 'utf8'))
  .join('\n');

describe('extension manifest', () => {
  test('identity and engines', () => {
    assert.equal(manifest.name, 'microvm-studio');
    assert.match(manifest.version, /^\d+\.\d+\.\d+(-[\w.]+)?$/);
    assert.ok(manifest.publisher && /^[a-z0-9][a-z0-9-]*$/i.test(manifest.publisher), 'publisher is a valid id');
    assert.ok(manifest.displayName, 'displayName is set');
    assert.match(manifest.engines?.vscode ?? '', /^\^1\.\d+\.\d+$/);
    const minor = Number(/^\^1\.(\d+)/.exec(manifest.engines?.vscode ?? '')?.[1]);
    // Commands contributed without activationEvents activate on their own only since VS Code 1.74.
    assert.ok(minor >= 74 || (manifest.activationEvents ?? []).length > 0, 'the extension can activate');
    const typesVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', '@types', 'vscode', 'package.json'), 'utf8')) as { version: string };
    assert.ok(Number(typesVersion.version.split('.')[1]) <= minor, `@types/vscode ${typesVersion.version} is not newer than engines.vscode`);
  });

  test('main and bin exist after the build', () => {
    assert.equal(manifest.main, './dist/extension.js');
    assert.ok(fs.existsSync(path.join(ROOT, manifest.main)), `${manifest.main} exists (run npm run build)`);
    const bin = manifest.bin?.microvm;
    assert.ok(bin, 'bin.microvm is declared');
    const text = fs.readFileSync(path.join(ROOT, bin), 'utf8');
    assert.ok(text.startsWith('#!/usr/bin/env node\n'), `${bin} starts with a node shebang`);
    assert.ok((fs.statSync(path.join(ROOT, bin)).mode & 0o111) !== 0, `${bin} is executable`);
  });

  test('vscode is external, never bundled', () => {
    const bundle = fs.readFileSync(path.join(ROOT, 'dist', 'extension.js'), 'utf8');
    assert.match(bundle, /require\("vscode"\)/);
  });

  test('every contributed command is registered, and every registered command contributed', () => {
    assert.ok(contributed.length > 0, 'at least one command is contributed');
    const registered = [...extensionSource.matchAll(/registerCommand\('([\w.]+)'/g)].map((m) => m[1]);
    for (const { command, title } of contributed) {
      assert.ok(title.length > 0, `${command} has a title`);
      assert.ok(registered.includes(command), `the extension registers ${command} (registered: ${registered.join(', ')})`);
    }
    for (const id of registered) assert.ok(contributed.some((c) => c.command === id), `${id} is contributed in package.json`);
  });

  test('views, custom editors, tasks and settings are contributed and used alike', () => {
    const contributes = manifest.contributes as Required<NonNullable<Manifest['contributes']>> & Record<string, unknown>;
    const views = (contributes.views as Record<string, { id: string }[]>).debug.map((v) => v.id);
    assert.deepEqual(views, ['microvm.crashDumps']);
    assert.match(extensionSource, /CRASH_DUMPS_VIEW = 'microvm\.crashDumps'/);
    const editors = (contributes.customEditors as { viewType: string; selector: { filenamePattern: string }[] }[]);
    assert.deepEqual(editors.map((e) => [e.viewType, e.selector[0].filenamePattern]), [['microvm.coreViewer', '*.core']]);
    assert.match(extensionSource, /CORE_VIEWER = 'microvm\.coreViewer'/);
    const tasks = contributes.taskDefinitions as { type: string }[];
    assert.deepEqual(tasks.map((t) => t.type), ['microvm']);
    assert.ok((contributes.problemMatchers as { name: string }[]).some((m) => m.name === 'microvm-gcc'));
    // Every setting the extension reads is contributed with a description.
    const properties = (contributes.configuration as { properties: Record<string, { description?: string }> }).properties;
    const read = [...extensionSource.matchAll(/config\.get<[^>]+>\('(\w+)'/g)].map((m) => `microvm.${m[1]}`);
    assert.ok(read.length >= 6, `settings read: ${read.join(', ')}`);
    for (const key of read) assert.ok(properties[key]?.description, `${key} is contributed with a description`);
    // The walkthrough's pages ship with the extension.
    const walkthroughs = contributes.walkthroughs as { steps: { media: { markdown?: string } }[] }[];
    for (const step of walkthroughs[0].steps) assert.ok(fs.existsSync(path.join(ROOT, step.media.markdown!)), `${step.media.markdown} exists`);
  });

  test('the microvm debug type is contributed, its launch properties documented, and served by the extension', () => {
    assert.match(extensionSource, /registerDebugAdapterDescriptorFactory\(DEBUG_TYPE/);
    const debuggers = manifest.contributes?.debuggers ?? [];
    assert.deepEqual(debuggers.map((d) => d.type), ['microvm']);
    const launch = debuggers[0].configurationAttributes?.launch;
    assert.deepEqual(launch?.required, ['program']);
    // Every property the adapter reads (debug-adapter/engine/runtime/launch-config.ts) is documented.
    const reader = fs.readFileSync(path.join(ROOT, 'debug-adapter', 'engine', 'runtime', 'launch-config.ts'), 'utf8');
    const read = [...new Set([...reader.matchAll(/field\(config, '(\w+)'/g), ...reader.matchAll(/config\.(\w+)/g)].map((m) => m[1]))];
    for (const name of read) assert.ok(launch?.properties?.[name]?.description, `launch property ${name} is documented in package.json`);
    assert.ok(manifest.contributes?.breakpoints?.some((b) => b.language === 'c'), 'breakpoints can be set in C files');
  });

  test('scripts the project relies on', () => {
    const scripts = manifest.scripts ?? {};
    assert.equal(scripts.install, 'node-gyp rebuild && npm run build');
    assert.equal(scripts.test, 'node scripts/run-tests.mjs');
    assert.equal(scripts['test:asan'], 'node scripts/test-asan.mjs');
    assert.equal(scripts.demo, 'node bin/microvm.js demo');
  });
});
