// Where a command writes, so commands run the same in the real CLI and in tests.

export interface Io {
  /** Writes to standard output; the text carries its own newlines. */
  out(text: string): void;
  /** Writes to standard error; the text carries its own newlines. */
  err(text: string): void;
  /** Directory that relative paths (and the default crash-dump directory) resolve against. */
  readonly cwd: string;
}

export const EXIT_OK = 0;
/** The guest faulted, timed out or aborted, or a build or host error happened. */
export const EXIT_FAILURE = 1;
/** The command line itself was wrong. */
export const EXIT_USAGE = 2;

export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    cwd: process.cwd(),
  };
}
