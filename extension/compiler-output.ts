// gcc's and clang's diagnostics (`file:line:column: error: message`) read from their output. Pure
// text work, tested on its own.

export interface CompilerMessage {
  readonly file: string;
  /** 1-based, as the compiler prints them. */
  readonly line: number;
  readonly column: number | undefined;
  readonly severity: 'error' | 'warning' | 'note';
  readonly message: string;
}

const MESSAGE = /^(.+?):(\d+):(?:(\d+):)?\s+(?:fatal\s+)?(error|warning|note):\s+(.*)$/;

/** The messages of a compiler's output, in order. */
export function parseCompilerOutput(output: string): CompilerMessage[] {
  const messages: CompilerMessage[] = [];
  for (const line of output.split(/\r?\n/)) {
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
