// Translated guests, cached by the module's hash: <cache>/<key>/ holds module.c, guest.elf and
// meta.json (the guest functions, imports, names and line table the host needs without
// translating again). The key covers the module's bytes, the translator's version, the SDK's
// files, the compiler and the optimisation level. Entries appear atomically (built in a
// temporary directory, then renamed), so concurrent processes never see half an entry.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FunctionSignature } from '../types';
import { LineTable, type LineRange } from './dwarf-lines';
import { buildGuestElf, buildRuntime, compilerOf, sdkHash, type NativeBuildOptions } from './native-build';
import type { HostImport } from './signatures';
import { translateModule } from './translate';

/** Bump when the emitted C changes meaning: old cache entries are then never used. */
export const TRANSLATOR_VERSION = 2;

export interface WasmGuest {
  /** The native guest ELF. */
  readonly elfPath: string;
  /** The generated C (its own lines, and the #line directives into the module's sources). */
  readonly cPath: string;
  /** sha256 of the module. */
  readonly moduleHash: string;
  readonly functions: readonly FunctionSignature[];
  readonly imports: readonly HostImport[];
  readonly functionNames: readonly string[];
  readonly lines: LineTable;
  readonly codeSectionStart: number;
  readonly initialPages: number;
  readonly warnings: readonly string[];
  /** True when this call translated and compiled; false when the cache had it. */
  readonly built: boolean;
  /** Milliseconds spent translating (Wasm → C) and compiling (C → ELF), when built. */
  readonly translateMs: number;
  readonly compileMs: number;
}

interface Meta {
  readonly version: number;
  readonly source?: string;
  readonly functions: FunctionSignature[];
  readonly imports: HostImport[];
  readonly functionNames: string[];
  readonly lines: LineRange[];
  readonly codeSectionStart: number;
  readonly initialPages: number;
  readonly warnings: string[];
  readonly translateMs: number;
  readonly compileMs: number;
}

/** The cache directory: $MICROVM_WASM_CACHE, else ~/.cache/microvm-studio/wasm, else a temporary one. */
export function wasmCacheDir(): string {
  const candidates = [
    process.env.MICROVM_WASM_CACHE,
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'microvm-studio', 'wasm'),
    path.join(os.tmpdir(), `microvm-wasm-cache-${os.userInfo().uid}`),
  ].filter((d): d is string => typeof d === 'string' && d !== '');
  for (const dir of candidates) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.accessSync(dir, fs.constants.W_OK);
      return dir;
    } catch {
      // try the next one
    }
  }
  throw new Error(`no writable directory for translated Wasm guests (tried ${candidates.join(', ')}); set MICROVM_WASM_CACHE`);
}

export interface WasmGuestOptions extends NativeBuildOptions {
  /** The module's file, for messages and the C file's banner. */
  readonly file?: string;
  /** Another cache directory (tests). */
  readonly cacheDir?: string;
}

const sdkHashes = new Map<string, string>();

function cachedSdkHash(): string {
  // Computed once per process: an SDK edited while a host runs is picked up by the next one.
  let hash = sdkHashes.get('sdk');
  if (!hash) {
    hash = sdkHash();
    sdkHashes.set('sdk', hash);
  }
  return hash;
}

/** Translates and compiles `bytes` into a guest ELF, or finds it in the cache. */
export function wasmGuest(bytes: Uint8Array, options: WasmGuestOptions = {}): WasmGuest {
  const moduleHash = crypto.createHash('sha256').update(bytes).digest('hex');
  const sdk = cachedSdkHash();
  const cc = compilerOf(options);
  const optimize = options.optimize ?? '0';
  const key = crypto.createHash('sha256').update(`${moduleHash}:${TRANSLATOR_VERSION}:${sdk}:${cc}:${optimize}`).digest('hex').slice(0, 32);
  const cache = options.cacheDir ?? wasmCacheDir();
  const dir = path.join(cache, key);
  const existing = load(dir, moduleHash);
  if (existing) return existing;

  const started = process.hrtime.bigint();
  const translation = translateModule(bytes, { file: options.file, cFileName: 'module.c' });
  const translated = process.hrtime.bigint();
  const staging = `${dir}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  fs.mkdirSync(staging, { recursive: true });
  try {
    fs.writeFileSync(path.join(staging, 'module.c'), translation.c);
    const runtime = buildRuntime(path.join(cache, `runtime-${sdk}-${crypto.createHash('sha256').update(cc).digest('hex').slice(0, 8)}`), options);
    buildGuestElf(staging, dir, runtime, options);
    const compiled = process.hrtime.bigint();
    const meta: Meta = {
      version: TRANSLATOR_VERSION,
      source: options.file,
      functions: [...translation.functions],
      imports: [...translation.imports],
      functionNames: [...translation.functionNames],
      lines: [...(translation.lines?.ranges ?? [])],
      codeSectionStart: translation.codeSectionStart,
      initialPages: translation.initialPages,
      warnings: [...translation.warnings],
      translateMs: Number(translated - started) / 1e6,
      compileMs: Number(compiled - translated) / 1e6,
    };
    fs.writeFileSync(path.join(staging, 'meta.json'), JSON.stringify(meta));
    try {
      fs.renameSync(staging, dir);
    } catch {
      // another process finished the same module first: its entry is the same
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  const entry = load(dir, moduleHash);
  if (!entry) throw new Error(`the translated guest did not appear in ${dir}`);
  return { ...entry, built: true };
}

function load(dir: string, moduleHash: string): WasmGuest | undefined {
  const elfPath = path.join(dir, 'guest.elf');
  const metaPath = path.join(dir, 'meta.json');
  if (!fs.existsSync(elfPath) || !fs.existsSync(metaPath)) return undefined;
  let meta: Meta;
  try {
    meta = JSON.parse(fs.readFileSync(metaPath, 'utf8')) as Meta;
  } catch {
    return undefined;
  }
  if (meta.version !== TRANSLATOR_VERSION) return undefined;
  return {
    elfPath,
    cPath: path.join(dir, 'module.c'),
    moduleHash,
    functions: meta.functions,
    imports: meta.imports,
    functionNames: meta.functionNames,
    lines: new LineTable(meta.lines),
    codeSectionStart: meta.codeSectionStart,
    initialPages: meta.initialPages,
    warnings: meta.warnings,
    built: false,
    translateMs: meta.translateMs,
    compileMs: meta.compileMs,
  };
}
