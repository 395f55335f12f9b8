// package.json must stay an honest VS Code extension manifest: every contributed command is
// registered by the built extension, `main` exists, and `vscode` is left to the host.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildGuest, newGuestProject } from '../guest-templates/toolchain';

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

interface FakeUi {
  /** Picks one item from a quick pick, by its label. */
  pick: (labels: string[]) => string | undefined;
  /** The text typed into the arguments box. */
  input?: string;
  elves: string[];
}

interface Loaded {
  registered: Map<string, (...args: unknown[]) => unknown>;
  channel: string[];
  messages: string[];
  validation: (string | undefined)[];
  subscriptions: unknown[];
  debugTypes: string[];
}

/**
 * Loads dist/extension.js with a stand-in `vscode` module, runs activate(), and records what the
 * extension registers and shows. Only the API surface extension.ts uses is faked.
 */
function loadExtension(ui: FakeUi = { pick: () => undefined, elves: [] }): Loaded {
  const loaded: Loaded = { registered: new Map(), channel: [], messages: [], validation: [], subscriptions: [], debugTypes: [] };
  const disposable = { dispose(): void {} };
  const say = (text: string): Promise<undefined> => {
    loaded.messages.push(text);
    return Promise.resolve(undefined);
  };
  const fakeVscode = {
    window: {
      createOutputChannel: () => ({
        ...disposable,
        append: (text: string) => loaded.channel.push(text),
        appendLine: (text: string) => loaded.channel.push(`${text}\n`),
        show() {},
      }),
      showQuickPick: async <T extends { label: string }>(items: T[]) => items.find((i) => i.label === ui.pick(items.map((x) => x.label))),
      showInputBox: async (options: { validateInput?: (v: string) => string | undefined }) => {
        if (ui.input !== undefined) loaded.validation.push(options.validateInput?.(ui.input));
        return ui.input;
      },
      showErrorMessage: say,
      showWarningMessage: say,
      showInformationMessage: say,
    },
    commands: {
      registerCommand: (id: string, handler: (...args: unknown[]) => unknown) => {
        loaded.registered.set(id, handler);
        return disposable;
      },
    },
    debug: {
      registerDebugAdapterDescriptorFactory: (type: string) => {
        loaded.debugTypes.push(type);
        return disposable;
      },
    },
    workspace: {
      findFiles: async () => ui.elves.map((fsPath) => ({ fsPath })),
      asRelativePath: (uri: { fsPath: string }) => uri.fsPath,
      getWorkspaceFolder: () => undefined,
    },
  };
  const mod = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const realLoad = mod._load;
  mod._load = (request, parent, isMain) => (request === 'vscode' ? fakeVscode : realLoad(request, parent, isMain));
  try {
    const entry = path.join(ROOT, manifest.main ?? '');
    delete require.cache[require.resolve(entry)];
    const extension = require(entry) as { activate?: (ctx: unknown) => void; deactivate?: () => void };
    assert.equal(typeof extension.activate, 'function', 'the extension exports activate()');
    extension.activate?.({ subscriptions: loaded.subscriptions });
  } finally {
    mod._load = realLoad;
  }
  return loaded;
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
    const loaded = loadExtension();
    const registered = [...loaded.registered.keys()];
    assert.ok(loaded.subscriptions.length > registered.length, 'the registrations and the output channel are disposed with the extension');
    for (const { command, title } of contributed) {
      assert.ok(title.length > 0, `${command} has a title`);
      assert.ok(source.includes(`registerCommand('${command}'`), `extension.ts registers ${command}`);
      assert.ok(registered.includes(command), `activate() registers ${command} (registered: ${registered.join(', ')})`);
    }
    for (const id of registered) assert.ok(contributed.some((c) => c.command === id), `${id} is contributed in package.json`);
  });

  test('the microvm debug type is contributed, its launch properties documented, and served by the extension', () => {
    const debuggers = manifest.contributes?.debuggers ?? [];
    assert.deepEqual(debuggers.map((d) => d.type), ['microvm']);
    const launch = debuggers[0].configurationAttributes?.launch;
    assert.deepEqual(launch?.required, ['program']);
    // Every property the adapter reads (debug-adapter/engine/runtime/launch-config.ts) is documented.
    const reader = fs.readFileSync(path.join(ROOT, 'debug-adapter', 'engine', 'runtime', 'launch-config.ts'), 'utf8');
    const read = [...new Set([...reader.matchAll(/field\(config, '(\w+)'/g), ...reader.matchAll(/config\.(\w+)/g)].map((m) => m[1]))];
    for (const name of read) assert.ok(launch?.properties?.[name]?.description, `launch property ${name} is documented in package.json`);
    assert.ok(manifest.contributes?.breakpoints?.some((b) => b.language === 'c'), 'breakpoints can be set in C files');
    assert.deepEqual(loadExtension().debugTypes, ['microvm']);
  });

  test('scripts the project relies on', () => {
    const scripts = manifest.scripts ?? {};
    assert.equal(scripts.install, 'node-gyp rebuild && npm run build');
    assert.equal(scripts.test, 'node scripts/run-tests.mjs');
    assert.equal(scripts['test:asan'], 'node scripts/test-asan.mjs');
    assert.equal(scripts.demo, 'node bin/microvm.js demo');
  });
});

describe('Run in micro-VM', { skip: fs.existsSync('/dev/kvm') ? false : '/dev/kvm does not exist on this machine' }, () => {
  let work = '';
  let elf = '';

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-extension-test-'));
    newGuestProject('c-hello', path.join(work, 'hello'));
    elf = buildGuest(path.join(work, 'hello'), {}).elfPath;
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  async function runCommand(ui: FakeUi): Promise<Loaded> {
    const loaded = loadExtension(ui);
    await loaded.registered.get('microvm.runFunction')?.();
    return loaded;
  }

  test('calls the picked function and shows output and result in the channel', async () => {
    const loaded = await runCommand({ elves: [elf], pick: (labels) => (labels.includes('PrintOutput') ? 'PrintOutput' : labels[0]), input: '"Hello there"' });
    assert.deepEqual(loaded.validation, [undefined]);
    const text = loaded.channel.join('');
    assert.match(text, /▶ PrintOutput\("Hello there"\)/);
    assert.match(text, /Hello there\n=> 11 \(/);
    assert.deepEqual(loaded.messages, []);
  });

  test('validates the arguments as they are typed', async () => {
    const loaded = await runCommand({ elves: [elf], pick: (labels) => (labels.includes('Add') ? 'Add' : labels[0]), input: '1 abc' });
    assert.match(loaded.validation[0] ?? '', /^argument 2 of Add: expected i32, got "abc"/);
    assert.match(loaded.messages[0] ?? '', /argument 2 of Add/, 'a bad line that gets through is reported, not thrown');
    assert.equal(loaded.channel.join(''), '', 'nothing runs');
  });

  test('a fault is shown as an error with its details', async () => {
    const loaded = await runCommand({ elves: [elf], pick: (labels) => (labels.includes('DerefNull') ? 'DerefNull' : labels[0]) });
    const text = loaded.channel.join('');
    assert.match(text, /GUEST_FAULT: .*null pointer dereference/);
    assert.match(text, /#PF page fault/);
    assert.equal(loaded.messages.length, 1);
    assert.match(loaded.messages[0], /DerefNull failed: .*null pointer dereference/);
    assert.ok(fs.existsSync(path.join(path.dirname(elf), 'microvm-crashes')), 'a crash dump is written beside the guest');
  });

  test('no guest in the workspace is explained', async () => {
    const loaded = await runCommand({ elves: [], pick: () => undefined });
    assert.match(loaded.messages[0] ?? '', /no guest ELF/);
  });
});
