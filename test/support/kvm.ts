// Tests that need /dev/kvm run whenever it exists; where it does not, they skip and say why.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { MicroVmError, Sandbox } from '../../native/lib';

function kvmSkipReason(): string | false {
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
    return false;
  } catch (error) {
    const reason = `skipped: /dev/kvm is not usable here (${(error as Error).message})`;
    console.log(reason);
    return reason;
  }
}

/** `false` when KVM is usable, else the reason to pass as `{ skip }`. */
export const needsKvm: string | false = kvmSkipReason();

/** Calls `fn` in a fresh sandbox that writes crash dumps into `dir`; the core file its fault wrote. */
export function crashDump(elf: string, dir: string, fn: string, ...args: number[]): string {
  const sandbox = Sandbox.create(elf, { crashDumpDir: dir });
  try {
    sandbox.callSync(fn, ...args);
  } catch (error) {
    assert.ok(error instanceof MicroVmError && error.crashDumpPath, String(error));
    return error.crashDumpPath;
  } finally {
    sandbox.dispose();
  }
  assert.fail(`${fn} did not fault`);
}
