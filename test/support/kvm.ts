// Tests that need /dev/kvm run whenever it exists; where it does not, they skip and say why.
import fs from 'node:fs';

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

/** The environment for external tools (gdb, readelf…): without the sanitizer runtimes that `npm run test:asan` preloads into Node. */
export function toolEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  delete env.ASAN_OPTIONS;
  delete env.UBSAN_OPTIONS;
  return env;
}
