// Guest functions as a source file declares them: every `MV_GUEST_FUNCTION(Name, ...)` line, the
// C definition it publishes, and which of them a cursor is in. Pure text work, no VS Code types,
// so that it is tested on its own.

export interface DeclaredFunction {
  readonly name: string;
  /** 0-based line of the MV_GUEST_FUNCTION declaration. */
  readonly declarationLine: number;
  /** 0-based line where the C definition starts (its name and parameter list), if found above. */
  readonly definitionLine: number | undefined;
  /** The declared types as written: return type first, then the parameters. */
  readonly types: readonly string[];
}

const DECLARATION = /^\s*MV_GUEST_FUNCTION\s*\(\s*([A-Za-z_]\w*)\s*((?:,\s*\w+\s*)*)\)/;

/** The guest functions a C source declares, in source order. */
export function declaredFunctions(text: string): DeclaredFunction[] {
  const lines = text.split(/\r?\n/);
  const found: DeclaredFunction[] = [];
  lines.forEach((line, index) => {
    const match = DECLARATION.exec(line);
    if (!match) return;
    const name = match[1];
    const types = match[2].split(',').map((t) => t.trim()).filter(Boolean);
    const previous = found.length > 0 ? found[found.length - 1].declarationLine : -1;
    // The definition: the last line above the declaration (after the previous one) where the name
    // is followed by a parameter list and not by a semicolon on the same line (a prototype).
    const head = new RegExp(`\\b${name}\\s*\\(`);
    let definitionLine: number | undefined;
    for (let i = index - 1; i > previous; i--) {
      if (head.test(lines[i]) && !/;\s*$/.test(lines[i]) && !/^\s*(\/\/|\*|\/\*)/.test(lines[i])) {
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
