// Tokens of C expressions as a debugger reads them: identifiers and keywords, integer and floating
// literals (kept as text, typed by the parser), character and string literals (escapes decoded),
// $registers, and punctuators. Columns are 1-based for error messages.
import { EvaluationError } from './errors';

export type Token =
  | { readonly kind: 'identifier'; readonly text: string; readonly column: number }
  | { readonly kind: 'number'; readonly text: string; readonly column: number }
  | { readonly kind: 'char'; readonly text: string; readonly value: number; readonly column: number }
  | { readonly kind: 'string'; readonly text: string; readonly bytes: Uint8Array; readonly column: number }
  | { readonly kind: 'register'; readonly text: string; readonly name: string; readonly column: number }
  | { readonly kind: 'punctuator'; readonly text: string; readonly column: number }
  | { readonly kind: 'end'; readonly text: ''; readonly column: number };

// Longest first, so `<<=` is not read as `<<` `=`.
const PUNCTUATORS = [
  '<<=', '>>=', '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+=', '-=', '*=', '/=', '%=', '&=', '^=', '|=',
  '(', ')', '[', ']', '.', '&', '*', '+', '-', '~', '!', '/', '%', '<', '>', '^', '|', '?', ':', ',', '=', '@', '{', '}',
];

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, e: 27, '\\': 92, "'": 39, '"': 34, '?': 63 };

/** Decodes one (possibly escaped) character of a literal at `at`; returns its code and the next index. */
function readLiteralChar(text: string, at: number, column: number): { code: number; next: number } {
  if (text[at] !== '\\') return { code: text.charCodeAt(at) & 0xff, next: at + 1 };
  const c = text[at + 1];
  if (c === undefined) throw new EvaluationError(`syntax error at column ${column}: unterminated escape sequence`, column);
  if (c in SIMPLE_ESCAPES) return { code: SIMPLE_ESCAPES[c], next: at + 2 };
  if (/[0-7]/.test(c)) {
    const digits = /^[0-7]{1,3}/.exec(text.slice(at + 1))?.[0] ?? '';
    return { code: parseInt(digits, 8) & 0xff, next: at + 1 + digits.length };
  }
  if (c === 'x') {
    const digits = /^[0-9a-fA-F]+/.exec(text.slice(at + 2))?.[0] ?? '';
    if (digits === '') throw new EvaluationError(`syntax error at column ${column}: \\x used with no following hex digits`, column);
    return { code: parseInt(digits.slice(-2), 16), next: at + 2 + digits.length };
  }
  return { code: c.charCodeAt(0) & 0xff, next: at + 2 };
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    const column = i + 1;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))![0];
      tokens.push({ kind: 'identifier', text: word, column });
      i += word.length;
      continue;
    }
    if (ch === '$') {
      const word = /^\$[A-Za-z0-9_]*/.exec(text.slice(i))![0];
      tokens.push({ kind: 'register', text: word, name: word.slice(1), column });
      i += word.length;
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      // A preprocessing number: digits, letters, dots, and signs after an exponent letter.
      const word = /^\.?[0-9](?:[eEpP][+-]|[0-9A-Za-z_.])*/.exec(text.slice(i))![0];
      tokens.push({ kind: 'number', text: word, column });
      i += word.length;
      continue;
    }
    if (ch === "'") {
      let j = i + 1;
      const codes: number[] = [];
      while (j < text.length && text[j] !== "'") {
        const { code, next } = readLiteralChar(text, j, column);
        codes.push(code);
        j = next;
      }
      if (j >= text.length) throw new EvaluationError(`syntax error at column ${column}: unterminated character constant`, column);
      if (codes.length !== 1) throw new EvaluationError(codes.length === 0 ? 'Empty character constant.' : 'Invalid character constant.', column);
      tokens.push({ kind: 'char', text: text.slice(i, j + 1), value: codes[0], column });
      i = j + 1;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      const codes: number[] = [];
      while (j < text.length && text[j] !== '"') {
        const { code, next } = readLiteralChar(text, j, column);
        codes.push(code);
        j = next;
      }
      if (j >= text.length) throw new EvaluationError(`syntax error at column ${column}: unterminated string`, column);
      tokens.push({ kind: 'string', text: text.slice(i, j + 1), bytes: Uint8Array.from([...codes, 0]), column });
      i = j + 1;
      continue;
    }
    const punctuator = PUNCTUATORS.find((p) => text.startsWith(p, i));
    if (!punctuator) throw new EvaluationError(`syntax error at column ${column}: unexpected character '${ch}'`, column);
    tokens.push({ kind: 'punctuator', text: punctuator, column });
    i += punctuator.length;
  }
  tokens.push({ kind: 'end', text: '', column: text.length + 1 });
  return tokens;
}
