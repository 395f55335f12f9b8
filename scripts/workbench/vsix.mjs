// Reads a .vsix (a zip) without an unzip tool and checks what the packaged extension may contain.
// Used by scripts/package.mjs after packing (a violation fails `npm run package`) and by the
// workbench suite (test/workbench/vsix.suite.ts), so both apply the same rules.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

/** The size we aim for (the workbench suite fails above it; packaging only warns). */
export const VSIX_SIZE_BUDGET = 1024 * 1024;

/**
 * The entries of a zip file: name, sizes, and a read() that inflates the data.
 * Only what vsce writes is supported: stored or deflated entries, no zip64, no encryption.
 */
export function readZip(file) {
  const buf = fs.readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file (no end-of-central-directory record)`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${n}`);
    const method = buf.readUInt16LE(at + 10);
    const compressedSize = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const localHeader = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    entries.push({
      name,
      size,
      compressedSize,
      read() {
        const start = localHeader + 30 + buf.readUInt16LE(localHeader + 26) + buf.readUInt16LE(localHeader + 28);
        const data = buf.subarray(start, start + compressedSize);
        if (method === 0) return Buffer.from(data);
        if (method === 8) return zlib.inflateRawSync(data);
        throw new Error(`${file}: ${name} uses compression method ${method}`);
      },
    });
  }
  return entries;
}

/** Section names of an ELF64 little-endian file. */
export function elfSectionNames(elf) {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) throw new Error('not an ELF64 little-endian file');
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const header = (i) => shoff + i * shentsize;
  const strtab = Number(elf.readBigUInt64LE(header(shstrndx) + 0x18));
  const names = [];
  for (let i = 0; i < shnum; i++) {
    const nameOffset = strtab + elf.readUInt32LE(header(i));
    names.push(elf.toString('latin1', nameOffset, elf.indexOf(0, nameOffset)));
  }
  return names;
}

const ADDON = 'extension/build/Release/microvm_native.node';

/**
 * The files an extension manifest points at (walkthrough media, icons, grammars, snippets, JSON
 * schemas, `main`...): every string in it that reads as a relative path of a file with an
 * extension, e.g. "extension/walkthrough/build.md" or "./images/icon.png". `$(play)` icons, globs,
 * URLs, commands and ${variables} do not. `exists` filters out strings that only look like paths.
 */
export function manifestFileReferences(manifest, exists) {
  const found = new Set();
  const visit = (value) => {
    if (typeof value === 'string') {
      const rel = value.replace(/^\.\//, '');
      if (/^[\w.-]+(\/[\w.-]+)*\.[A-Za-z0-9]+$/.test(rel) && !rel.startsWith('.') && exists(rel)) found.add(rel);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  // Fields for npm and the repository, not for VS Code, name no shipped files: the bin, the
  // scripts, the npm entry points and type declarations of the host API...
  const npmOnly = new Set(['scripts', 'bin', 'dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies',
    'repository', 'exports', 'types', 'typings', 'files', 'directories', 'module', 'bugs', 'homepage', 'funding']);
  visit(Object.fromEntries(Object.entries(manifest).filter(([key]) => !npmOnly.has(key))));
  return [...found].sort();
}

/** Files the extension cannot work without (paths inside the .vsix). */
export const REQUIRED = [
  'extension.vsixmanifest',
  'extension/package.json',
  'extension/readme.md', // vsce lower-cases the README and CHANGELOG names
  'extension/LICENSE.txt', // and gives LICENSE an extension
  'extension/changelog.md',
  'extension/dist/extension.js',
  'extension/dist/debug-adapter.js',
  ADDON,
  'extension/guest-templates/sdk/c/include/microvm.h',
  'extension/guest-templates/sdk/c/microvm.ld',
  'extension/guest-templates/sdk/c/runtime/entry.S',
  'extension/guest-templates/c-hello/microvm.json',
  'extension/guest-templates/c-hello/hello.c',
  'extension/node_modules/iced-x86/package.json',
  'extension/node_modules/iced-x86/iced_x86.js',
  'extension/node_modules/iced-x86/iced_x86_bg.wasm',
];

/** Everything that may be in the .vsix; anything else is a packaging mistake. */
const ALLOWED = [
  /^extension\.vsixmanifest$/,
  /^\[Content_Types\]\.xml$/,
  /^extension\/(package\.json|readme\.md|LICENSE\.txt|changelog\.md)$/,
  /^extension\/dist\/(extension|debug-adapter)\.js$/,
  /^extension\/build\/Release\/microvm_native\.node$/,
  /^extension\/guest-templates\/sdk\/.+$/,
  /^extension\/guest-templates\/[\w.-]+\/.+$/,
  /^extension\/node_modules\/iced-x86\/(package\.json|iced_x86\.js|iced_x86_bg\.wasm|LICENSE\.txt)$/,
  /^extension\/docs\/images\/[^/]+\.(png|jpe?g|gif|svg)$/,
];

/** Never shipped even where ALLOWED would match: sources, maps, build outputs, crash dumps. */
const FORBIDDEN = [
  /\.(ts|map|o|elf|core|vsix)$/,
  /^extension\/guest-templates\/[^/]+\/(.+\/)?(build|target|microvm-crashes|node_modules)\//,
  /^extension\/guest-templates\/[^/]+\.\w+$/, // toolchain.ts, build-cache.ts & co. are bundled
];

/**
 * Checks a .vsix against the packaging rules. Returns the entries and a list of problems (empty
 * when it is right).
 */
export function checkVsix(file, { repoRoot } = {}) {
  const entries = readZip(file);
  const names = new Set(entries.map((e) => e.name));
  const problems = [];
  const referenced = new Set();
  for (const required of REQUIRED) if (!names.has(required)) problems.push(`missing ${required}`);
  const addon = entries.find((e) => e.name === ADDON);
  if (addon) {
    const unstripped = elfSectionNames(addon.read()).filter((s) => s === '.symtab' || s.startsWith('.debug'));
    if (unstripped.length > 0) problems.push(`${ADDON} is not stripped (it has ${unstripped.join(', ')})`);
  }
  for (const bundle of entries.filter((e) => /^extension\/dist\/.*\.js$/.test(e.name))) {
    if (/\/\/# sourceMappingURL=/.test(bundle.read().toString('utf8').slice(-300))) problems.push(`${bundle.name} still points at a source map that is not shipped`);
  }
  const manifestEntry = entries.find((e) => e.name === 'extension/package.json');
  if (manifestEntry) {
    const manifest = JSON.parse(manifestEntry.read().toString('utf8'));
    const main = `extension/${String(manifest.main ?? '').replace(/^\.\//, '')}`;
    if (!names.has(main)) problems.push(`package.json "main" (${manifest.main}) is not in the package`);
    // What the manifest points at must ship, and may (a check with the repository, when given).
    for (const rel of manifestFileReferences(manifest, (f) => !repoRoot || fs.existsSync(path.join(repoRoot, f)))) {
      referenced.add(`extension/${rel}`);
      if (repoRoot && !names.has(`extension/${rel}`)) problems.push(`package.json points at ${rel}, which is not in the package`);
    }
  }
  for (const { name } of entries) {
    const allowed = referenced.has(name) || ALLOWED.some((re) => re.test(name));
    if (!allowed || FORBIDDEN.some((re) => re.test(name))) problems.push(`should not be packaged: ${name}`);
  }
  return { entries, problems, size: fs.statSync(file).size };
}

/** Writes the extension's files (the entries under extension/) into `dir`, as VS Code installs them. */
export function unpackVsix(file, dir) {
  for (const entry of readZip(file)) {
    if (!entry.name.startsWith('extension/') || entry.name.endsWith('/')) continue;
    const target = path.join(dir, entry.name.slice('extension/'.length));
    if (!target.startsWith(path.resolve(dir) + path.sep)) throw new Error(`${file}: ${entry.name} points outside the package`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, entry.read());
  }
}

// As a command, for the TypeScript test support (compiled to CommonJS, it cannot import this ES module):
//   node scripts/workbench/vsix.mjs check <file.vsix>        prints { size, problems, entries } as JSON
//   node scripts/workbench/vsix.mjs unpack <file.vsix> <dir>
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command, file, dir] = process.argv.slice(2);
  if (command === 'check' && file) {
    const { entries, problems, size } = checkVsix(file, { repoRoot: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..') });
    console.log(JSON.stringify({ size, budget: VSIX_SIZE_BUDGET, problems, entries: entries.map(({ name, size: s, compressedSize }) => ({ name, size: s, compressedSize })) }));
  } else if (command === 'unpack' && file && dir) {
    unpackVsix(file, dir);
  } else {
    console.error('usage: vsix.mjs check <file.vsix> | vsix.mjs unpack <file.vsix> <dir>');
    process.exit(2);
  }
}
