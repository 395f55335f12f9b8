// Rust's legacy symbol mangling (`_ZN10rust_hello9fibonacci17h0123456789abcdefE`, what stable
// rustc emits) turned back into paths as gdb prints them: `rust_hello::fibonacci`, the hash
// dropped, `$LT$`-style escapes decoded. Anything else (C names, v0 `_R` symbols) is returned as is.

const ESCAPES: ReadonlyArray<[string, string]> = [
  ['$SP$', '@'], ['$BP$', '*'], ['$RF$', '&'], ['$LT$', '<'], ['$GT$', '>'], ['$LP$', '('], ['$RP$', ')'], ['$C$', ','],
];

function decodeIdentifier(raw: string): string {
  let text = raw.startsWith('_$') ? raw.slice(1) : raw;
  let out = '';
  while (text.length > 0) {
    if (text.startsWith('..')) {
      out += '::';
      text = text.slice(2);
      continue;
    }
    if (text.startsWith('$')) {
      const named = ESCAPES.find(([escape]) => text.startsWith(escape));
      if (named) {
        out += named[1];
        text = text.slice(named[0].length);
        continue;
      }
      const unicode = /^\$u([0-9a-f]+)\$/.exec(text);
      if (unicode) {
        out += String.fromCodePoint(parseInt(unicode[1], 16));
        text = text.slice(unicode[0].length);
        continue;
      }
    }
    out += text[0];
    text = text.slice(1);
  }
  return out;
}

/** The demangled path of a legacy Rust symbol, or undefined when `symbol` is not one. */
export function demangleRustLegacy(symbol: string): string | undefined {
  if (!symbol.startsWith('_ZN') || !symbol.endsWith('E')) return undefined;
  const parts: string[] = [];
  let at = 3;
  while (at < symbol.length - 1) {
    const digits = /^\d+/.exec(symbol.slice(at));
    if (!digits) return undefined;
    const length = Number(digits[0]);
    at += digits[0].length;
    if (length === 0 || at + length > symbol.length - 1) return undefined;
    parts.push(symbol.slice(at, at + length));
    at += length;
  }
  if (parts.length === 0) return undefined;
  const last = parts[parts.length - 1];
  if (parts.length > 1 && /^h[0-9a-f]{16}$/.test(last)) parts.pop();
  return parts.map(decodeIdentifier).join('::');
}

/** `name` or `name+offset` (a symbolizer's answer) with a Rust name demangled. */
export function demangleSymbolic(text: string): string {
  const plus = text.lastIndexOf('+');
  const name = plus > 0 ? text.slice(0, plus) : text;
  const demangled = demangleRustLegacy(name);
  return demangled === undefined ? text : demangled + (plus > 0 ? text.slice(plus) : '');
}
