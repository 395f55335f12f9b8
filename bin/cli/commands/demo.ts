import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { liveSandboxCount, Sandbox } from '../../../native/lib';
import { checkCrashDumpDir } from '../../../native/lib/crash-dump';
import { isMicroVmError } from '../../../native/lib/errors';
import { describeFault, formatDuration, formatError, formatSignature, formatValue } from '../../../native/lib/presentation';
import type { FunctionSignature, GuestValue } from '../../../native/lib/types';
import { writableDir } from '../../../guest-templates/build-cache';
import { buildGuest, newGuestProject } from '../../../guest-templates/toolchain';
import type { ParsedArgs } from '../args';
import type { Command } from '../command';
import { EXIT_FAILURE, EXIT_OK, type Io } from '../io';
import { packageInfo } from '../package-root';

const TEMPLATE = 'c-hello';
export const HELLO = 'Hello, World! I am executing inside of a VM :)\n';

export const demoCommand: Command = {
  spec: {
    name: 'demo',
    summary: 'Build the c-hello guest and walk through a call, a computation and a recovered fault.',
    positionals: [],
    flags: [],
    details: `Builds into <repo>/build/demo/ (or ${path.join(os.tmpdir(), 'microvm-demo')} when the repo is read-only).`,
  },
  async run(_args: ParsedArgs, io: Io): Promise<number> {
    const say = (text: string): void => io.out(`${text}\n`);
    const cache = demoDir();
    const project = path.join(cache, TEMPLATE);

    say(`1. Building the ${TEMPLATE} guest template in ${project}`);
    // A fresh copy each time, so the demo never runs a stale template or SDK; it builds in a second.
    fs.rmSync(project, { recursive: true, force: true });
    newGuestProject(TEMPLATE, project);
    const { elfPath } = buildGuest(project, {});
    say(`   built ${elfPath}`);

    // Only this run's core file is kept, so the cache does not grow with every demo.
    const crashes = path.join(cache, 'crashes');
    fs.rmSync(crashes, { recursive: true, force: true });
    const crashDumpDir = checkCrashDumpDir(crashes);
    const started = performance.now();
    const sandbox = Sandbox.create(elfPath, { crashDumpDir, onPrint: guestPrinter(io) });
    const createUs = (performance.now() - started) * 1000;
    try {
      say(`2. Created a sandbox in ${formatDuration(createUs)}: the guest was loaded, initialised and snapshotted. It exports:`);
      for (const f of sandbox.functions) say(`     ${formatSignature(f)}`);

      say(`3. Calling PrintOutput(${JSON.stringify(HELLO)}); the guest prints through HostPrint:`);
      const hello = await sandbox.call('PrintOutput', HELLO);
      say(`   => ${formatValue(hello.value, 'i32')} (bytes printed), ${formatDuration(hello.durationUs)}`);

      const compute = pickComputeFunction(sandbox.functions);
      if (compute) {
        const args = computeArguments(compute);
        say(`4. Calling ${compute.name}(${args.map((a) => formatValue(a)).join(', ')}) — pure computation inside the VM:`);
        const result = await sandbox.call(compute.name, ...args);
        say(`   => ${formatValue(result.value, compute.returnType)}, ${formatDuration(result.durationUs)}`);
      } else {
        say('4. (the guest has no integer compute function to call)');
      }

      say('5. Calling DerefNull(), which reads through a null pointer:');
      try {
        await sandbox.call('DerefNull');
        say('   unexpectedly returned without a fault');
        return EXIT_FAILURE;
      } catch (err) {
        if (!isMicroVmError(err) || err.code !== 'GUEST_FAULT' || !err.fault) throw err;
        say(`   the call failed with a structured fault: ${err.fault.description}`);
        for (const line of describeFault(err.fault)) say(`     ${line}`);
        if (err.crashDumpPath) say(`   crash dump: ${err.crashDumpPath}\n   inspect it with: gdb ${elfPath} ${err.crashDumpPath}`);
      }

      say('6. The sandbox was restored from its snapshot, so it keeps working:');
      const again = await sandbox.call('PrintOutput', 'Still here after the fault.\n');
      say(`   => ${formatValue(again.value, 'i32')}, ${formatDuration(again.durationUs)}`);
    } catch (err) {
      io.err(`microvm demo: ${formatError(err)}\n`);
      return EXIT_FAILURE;
    } finally {
      sandbox.dispose();
    }
    say(`Done: sandbox disposed, ${liveSandboxCount()} live sandboxes remain.`);
    return EXIT_OK;
  },
};

// A cache under the repo keeps rebuilds incremental; fall back to the temp dir when it is read-only.
function demoDir(): string {
  return writableDir([path.join(packageInfo().root, 'build', 'demo'), path.join(os.tmpdir(), 'microvm-demo')]);
}

/** Indents what the guest prints, even when HostPrint chunks split lines. */
function guestPrinter(io: Io): (text: string) => void {
  let atLineStart = true;
  return (text) => {
    let shown = '';
    for (const c of text) {
      if (atLineStart) shown += '   guest| ';
      shown += c;
      atLineStart = c === '\n';
    }
    io.out(shown);
  };
}

const INTEGER_TYPES = new Set(['i32', 'u32', 'i64', 'u64']);

/** The template's integer-only compute function: the first one that is neither printing nor faulting. */
export function pickComputeFunction(functions: readonly FunctionSignature[]): FunctionSignature | undefined {
  return functions.find((f) =>
    f.name !== 'PrintOutput' && f.name !== 'DerefNull'
    && INTEGER_TYPES.has(f.returnType)
    && f.paramTypes.length > 0 && f.paramTypes.every((t) => INTEGER_TYPES.has(t)));
}

/** Small, distinct arguments that any integer function accepts. */
export function computeArguments(f: FunctionSignature): GuestValue[] {
  return f.paramTypes.map((t, i) => {
    const n = [20, 22, 3, 4, 5, 6][i % 6];
    return t === 'i64' || t === 'u64' ? BigInt(n) : n;
  });
}
