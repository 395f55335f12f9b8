// Compiler diagnostics read from their output: gcc's and clang's `file:line:column: error: message`
// and rustc's `error[E0308]: message` followed by ` --> file:line:column`. Pure text work, tested
// on its own.

export interface CompilerMessage {
  readonly file: string;
  /** 1-based, as the compiler prints them. */
  readonly line: number;
  readonly column: number | undefined;
  readonly severity: 'error' | 'warning' | 'note';
  readonly message: string;
}

const MESSAGE = /^(.+?):(\d+):(?:(\d+):)?\s+(?:fatal\s+)?(error|warning|note):\s+(.*)$/;
const RUST_HEADLINE = /^(error|warning)(?:\[\w+\])?:\s+(.*)$/;
const RUST_LOCATION = /^\s*-->\s+(.+?):(\d+):(\d+)$/;

/** The messages of a compiler's output, in order. */
export function parseCompilerOutput(output: string): CompilerMessage[] {
  const messages: CompilerMessage[] = [];
  let rustHeadline: RegExpExecArray | undefined;
  for (const line of output.split(/\r?\n/)) {
    const location = rustHeadline ? RUST_LOCATION.exec(line) : null;
    if (rustHeadline && location) {
      messages.push({
        file: location[1],
        line: Number(location[2]),
        column: Number(location[3]),
        severity: rustHeadline[1] as 'error' | 'warning',
        message: rustHeadline[2],
      });
      rustHeadline = undefined;
      continue;
    }
    const headline = RUST_HEADLINE.exec(line);
    if (headline) {
      // The location is on a line below (` --> src/main.rs:12:5`); a summary line has none.
      rustHeadline = headline;
      continue;
    }
    const match = MESSAGE.exec(line);
    if (!match) continue;
    messages.push({
      file: match[1],
      line: Number(match[2]),
      column: match[3] ? Number(match[3]) : undefined,
      severity: match[4] as CompilerMessage['severity'],
      message: match[5],
    });
  }
  return messages;
}
