// `npm run test:asan`: builds the native addon with AddressSanitizer and UndefinedBehaviorSanitizer
// into build-asan/ and runs the native-facing tests against it. Node itself is not instrumented, so
// the sanitizer runtimes are preloaded; leak checking is off because Node never frees some of its
// own allocations at exit.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'build-asan');
const addon = path.join(outDir, 'microvm_native.node');

function gyp() {
  return JSON.parse(fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, ''));
}

function nodeIncludeDir() {
  const candidates = [
    process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
  ].filter(Boolean);
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'node_api.h')));
  if (!found) throw new Error(`node_api.h not found in ${candidates.join(', ')}`);
  return found;
}

function build() {
  const target = gyp().targets[0];
  const sources = target.sources.map((s) => path.join(root, s));
  const napiInclude = execFileSync(process.execPath, ['-p', "require('node-addon-api').include_dir"], { cwd: root, encoding: 'utf8' }).trim();
  fs.mkdirSync(outDir, { recursive: true });
  const args = [
    '-std=c++17', '-fPIC', '-shared', '-g', '-O1', '-fno-omit-frame-pointer',
    '-fsanitize=address,undefined', '-fno-sanitize-recover=undefined',
    '-Wall', '-Wextra', '-Werror', '-fexceptions',
    ...target.defines.map((d) => `-D${d}`),
    `-I${nodeIncludeDir()}`, `-I${path.resolve(root, napiInclude)}`,
    ...sources, '-o', addon,
  ];
  console.log(`test:asan: g++ ${args.filter((a) => !a.startsWith('/')).join(' ')} <${sources.length} sources>`);
  execFileSync('g++', args, { stdio: 'inherit' });
}

function runtime(name) {
  return execFileSync('gcc', [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
}

build();
const tests = ['sandbox-calls', 'sandbox-faults', 'sandbox-hostile', 'debug-call', 'elf-validation', 'kvm-environment']
  .map((name) => path.join(root, 'out', 'test', `${name}.test.js`))
  .filter((file) => fs.existsSync(file));
const env = {
  ...process.env,
  MICROVM_NATIVE_ADDON: addon,
  LD_PRELOAD: [runtime('libasan.so'), runtime('libubsan.so')].join(':'),
  ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1:allow_user_segv_handler=1',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};
console.log(`test:asan: running ${tests.length} test files against ${path.relative(root, addon)}`);
const result = spawnSync(process.execPath, ['--test', ...tests], { cwd: root, env, stdio: 'inherit' });
process.exit(result.status ?? 1);
