// Checks a `microvm` launch configuration (plain JSON from launch.json or any DAP client) and
// turns it into a LaunchPlan. Every problem is one message that names the field and says what to
// fix; nothing is silently defaulted except what the documentation says is optional.
import path from 'node:path';
import { checkKvm, inspectGuest, type HostFunction } from '../../../native/lib';
import { checkCrashDumpDir, CrashDumpDirError } from '../../../native/lib/crash-dump';
import { checkInputFile } from '../../../native/lib/input-file';
import { convertJsonArguments } from '../../../native/lib/presentation';
import type { LaunchPlan } from './launch-plan';
import { checkProgramFile } from './runtime';

/** A configuration the session cannot start; `message` says what to change. */
export class LaunchConfigError extends Error {}

const MAX_TIMEOUT_MS = 2 ** 31;
const MAX_MEMORY = 256 * 1024 * 1024;

function field(config: Record<string, unknown>, name: string, type: 'string' | 'boolean' | 'number', required: boolean): unknown {
  const value = config[name];
  if (value === undefined || value === null) {
    if (required) throw new LaunchConfigError(`the launch configuration needs "${name}" (${type})`);
    return undefined;
  }
  if (typeof value !== type) throw new LaunchConfigError(`"${name}" must be a ${type}, got ${JSON.stringify(value)}`);
  if (type === 'string' && (value as string).trim() === '') throw new LaunchConfigError(`"${name}" is empty`);
  return value;
}

function resolvePath(config: Record<string, unknown>, value: string): string {
  const cwd = typeof config.cwd === 'string' && config.cwd !== '' ? config.cwd : process.cwd();
  return path.resolve(cwd, value);
}

/** Loads the host functions module: an array of HostFunction, or an object of them by name. */
export function loadHostFunctions(modulePath: string): HostFunction[] {
  try {
    checkInputFile(modulePath);
  } catch (error) {
    throw new LaunchConfigError(`"hostFunctions": ${(error as Error).message}`);
  }
  let exported: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    exported = require(modulePath);
  } catch (error) {
    throw new LaunchConfigError(`"hostFunctions": loading ${modulePath} failed: ${(error as Error).message}`);
  }
  const record = exported as { default?: unknown };
  const value = record && typeof record === 'object' && 'default' in record && record.default !== undefined ? record.default : exported;
  if (Array.isArray(value)) return value as HostFunction[];
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).map(([name, fn]) => {
      if (!fn || typeof fn !== 'object') throw new LaunchConfigError(`"hostFunctions": export ${name} of ${modulePath} must be { paramTypes, returnType, implementation }`);
      return { name, ...(fn as Omit<HostFunction, 'name'>) };
    });
  }
  throw new LaunchConfigError(`"hostFunctions": ${modulePath} must export an array of host functions or an object of them by name`);
}

export function parseLaunchConfig(raw: unknown): LaunchPlan {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new LaunchConfigError('the launch configuration must be a JSON object');
  const config = raw as Record<string, unknown>;
  const program = resolvePath(config, field(config, 'program', 'string', true) as string);
  try {
    checkProgramFile(program);
  } catch (error) {
    throw new LaunchConfigError(`"program": ${(error as Error).message}`);
  }
  const coreDump = field(config, 'coreDump', 'string', false) as string | undefined;
  if (coreDump !== undefined) {
    const corePath = resolvePath(config, coreDump);
    try {
      checkInputFile(corePath);
    } catch (error) {
      throw new LaunchConfigError(`"coreDump": ${(error as Error).message}`);
    }
    for (const liveOnly of ['function', 'args', 'stopOnEntry', 'hostFunctions']) {
      if (config[liveOnly] !== undefined) throw new LaunchConfigError(`"${liveOnly}" has no meaning with "coreDump" (a post-mortem session runs nothing): remove one of them`);
    }
    return { kind: 'post-mortem', program, coreDump: corePath };
  }

  const functionName = field(config, 'function', 'string', true) as string;
  const rawArgs = config.args ?? [];
  if (!Array.isArray(rawArgs)) throw new LaunchConfigError(`"args" must be an array of the function's arguments, got ${JSON.stringify(rawArgs)}`);
  const stopOnEntry = (field(config, 'stopOnEntry', 'boolean', false) as boolean | undefined) ?? false;
  const timeoutMs = field(config, 'timeoutMs', 'number', false) as number | undefined;
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS)) {
    throw new LaunchConfigError(`"timeoutMs" must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got ${timeoutMs}`);
  }
  const memorySize = field(config, 'memorySize', 'number', false) as number | undefined;
  if (memorySize !== undefined && (!Number.isInteger(memorySize) || memorySize <= 0 || memorySize % 4096 !== 0 || memorySize > MAX_MEMORY)) {
    throw new LaunchConfigError(`"memorySize" must be a multiple of 4096 bytes up to ${MAX_MEMORY} (256 MiB), got ${memorySize}`);
  }
  const crashDumpDirText = field(config, 'crashDumpDir', 'string', false) as string | undefined;
  let crashDumpDir: string | undefined;
  try {
    crashDumpDir = crashDumpDirText === undefined ? undefined : checkCrashDumpDir(resolvePath(config, crashDumpDirText));
  } catch (error) {
    if (!(error instanceof CrashDumpDirError)) throw error;
    throw new LaunchConfigError(`"crashDumpDir": ${error.reason}`);
  }
  const hostFunctionsPath = field(config, 'hostFunctions', 'string', false) as string | undefined;
  const hostFunctions = hostFunctionsPath === undefined ? [] : loadHostFunctions(resolvePath(config, hostFunctionsPath));

  let functions;
  try {
    functions = inspectGuest(program).functions;
  } catch (error) {
    throw new LaunchConfigError(`"program": ${(error as Error).message}`);
  }
  const signature = functions.find((fn) => fn.name === functionName);
  if (!signature) {
    const known = functions.map((fn) => fn.name).join(', ') || 'none';
    throw new LaunchConfigError(`"function": the guest ${program} has no function ${JSON.stringify(functionName)}; it exports: ${known}`);
  }
  let args;
  try {
    args = convertJsonArguments(signature, rawArgs);
  } catch (error) {
    throw new LaunchConfigError(`"args": ${(error as Error).message}`);
  }
  try {
    checkKvm();
  } catch (error) {
    throw new LaunchConfigError((error as Error).message);
  }
  return { kind: 'live', program, functionName, args, stopOnEntry, timeoutMs, memorySize, crashDumpDir, hostFunctions };
}
