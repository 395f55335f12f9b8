// Guest functions as a source file declares them: every `MV_GUEST_FUNCTION(Name, ...)` line of a C
// source or `guest_function!(Name = function, ...)` line of a Rust one, the definition it
// publishes, and which of them a cursor is in. Pure text work, no VS Code types, so that it is
// tested on its own.

export interface DeclaredFunction {
  readonly name: string;
  /** 0-based line of the MV_GUEST_FUNCTION declaration. */
  readonly declarationLine: number;
  /** 0-based line where the C definition starts (its name and parameter list), if found above. */
  readonly definitionLine: number | undefined;
  /** The declared types as written: return type first, then the parameters. */
  readonly types: readonly string[];
}

const C_DECLARATION = /^\s*MV_GUEST_FUNCTION\s*\(\s*([A-Za-z_]\w*)\s*((?:,\s*\w+\s*)*)\)/;
/** `guest_function!(Name = path::to::function, types...)`; the Rust function is the last path segment. */
const RUST_DECLARATION = /^\s*(?:microvm::)?guest_function!\s*\(\s*([A-Za-z_]\w*)\s*=\s*(?:[A-Za-z_]\w*::)*([A-Za-z_]\w*)\s*((?:,\s*\w+\s*)*)\)/;

/** A declaration on a line: the guest name, the function that implements it, the type tokens. */
function declarationOn(line: string): { name: string; definition: RegExp; types: string } | undefined {
  const c = C_DECLARATION.exec(line);
  // A C definition: the name and its parameter list, not a prototype (a semicolon ends the line).
  if (c) return { name: c[1], definition: new RegExp(`\\b${c[1]}\\s*\\((?!.*;\\s*$)`), types: c[2] };
  const rust = RUST_DECLARATION.exec(line);
  // A Rust definition: `fn name` (a recursive call in the body is not one).
  if (rust) return { name: rust[1], definition: new RegExp(`\\bfn\\s+${rust[2]}\\b`), types: rust[3] };
  return undefined;
}

/** The guest functions a C or Rust source declares, in source order. */
export function declaredFunctions(text: string): DeclaredFunction[] {
  const lines = text.split(/\r?\n/);
  const found: DeclaredFunction[] = [];
  lines.forEach((line, index) => {
    const match = declarationOn(line);
    if (!match) return;
    const { name } = match;
    const types = match.types.split(',').map((t) => t.trim()).filter(Boolean);
    const previous = found.length > 0 ? found[found.length - 1].declarationLine : -1;
    // The definition: the last line above the declaration (after the previous one) that defines
    // the implementing function, comments aside.
    let definitionLine: number | undefined;
    for (let i = index - 1; i > previous; i--) {
      if (match.definition.test(lines[i]) && !/^\s*(\/\/|\*|\/\*)/.test(lines[i])) {
        definitionLine = i;
        break;
      }
    }
    found.push({ name, declarationLine: index, definitionLine, types });
  });
  return found;
}

/** The guest function whose definition (from its head to its declaration) holds `line` (0-based). */
export function functionAtLine(functions: readonly DeclaredFunction[], line: number): DeclaredFunction | undefined {
  return functions.find((fn) => line >= (fn.definitionLine ?? fn.declarationLine) && line <= fn.declarationLine);
}
