// package.json must stay an honest VS Code extension manifest: every contributed command is
// registered by the built extension, `main` exists, and `vscode` is left to the host.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import Module from 'node:module';
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
  contributes?: { commands?: { command: string; title: string; category?: string }[] };
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const contributed = manifest.contributes?.commands ?? [];

/** Loads dist/extension.js with a stand-in `vscode` module and returns the command ids it registered. */
function registeredByActivate(): string[] {
  const registered: string[] = [];
  const disposable = { dispose(): void {} };
  const fakeVscode = {
    window: { createOutputChannel: () => ({ ...disposable, append() {}, appendLine() {}, show() {} }) },
    commands: {
      registerCommand: (id: string) => {
        registered.push(id);
        return disposable;
      },
    },
    workspace: {},
  };
  const mod = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const realLoad = mod._load;
  mod._load = (request, parent, isMain) => (request === 'vscode' ? fakeVscode : realLoad(request, parent, isMain));
  try {
    const entry = path.join(ROOT, manifest.main ?? '');
    delete require.cache[require.resolve(entry)];
    const extension = require(entry) as { activate?: (ctx: unknown) => void; deactivate?: () => void };
    assert.equal(typeof extension.activate, 'function', 'the extension exports activate()');
    const subscriptions: unknown[] = [];
    extension.activate?.({ subscriptions });
    assert.equal(subscriptions.length >= registered.length, true, 'every registration is pushed to context.subscriptions');
    extension.deactivate?.();
  } finally {
    mod._load = realLoad;
  }
  return registered;
}

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

  test('every contributed command has a handler', () => {
    assert.ok(contributed.length > 0, 'at least one command is contributed');
    const source = fs.readFileSync(path.join(ROOT, 'extension', 'extension.ts'), 'utf8');
    const registered = registeredByActivate();
    for (const { command, title } of contributed) {
      assert.ok(title.length > 0, `${command} has a title`);
      assert.ok(source.includes(`registerCommand('${command}'`), `extension.ts registers ${command}`);
      assert.ok(registered.includes(command), `activate() registers ${command} (registered: ${registered.join(', ')})`);
    }
    for (const id of registered) assert.ok(contributed.some((c) => c.command === id), `${id} is contributed in package.json`);
  });

  test('scripts the project relies on', () => {
    const scripts = manifest.scripts ?? {};
    assert.equal(scripts.install, 'node-gyp rebuild && npm run build');
    assert.equal(scripts.test, 'node scripts/run-tests.mjs');
    assert.equal(scripts['test:asan'], 'node scripts/test-asan.mjs');
    assert.equal(scripts.demo, 'node bin/microvm.js demo');
  });
});
