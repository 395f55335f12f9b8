// The syntax tree of a C expression. Type names (in casts and sizeof) stay syntactic here: the
// evaluator resolves them against the program's DWARF, so the parser needs no debug information.

/** A type name as written: specifiers (`unsigned long`, `struct point`, a typedef) and an abstract declarator. */
export interface TypeNameSyntax {
  readonly specifier:
    | { readonly kind: 'builtin'; readonly words: readonly string[] }
    | { readonly kind: 'void' }
    | { readonly kind: 'tagged'; readonly tag: 'struct' | 'union' | 'enum'; readonly name: string }
    | { readonly kind: 'typedef'; readonly name: string };
  readonly qualifiers: readonly Qualifier[];
  /** Applied to the specified type innermost first, e.g. `int *[3]` is [pointer, array 3]. */
  readonly declarator: readonly DeclaratorPart[];
  readonly column: number;
}

export type Qualifier = 'const' | 'volatile' | 'restrict';

export type DeclaratorPart =
  | { readonly kind: 'pointer'; readonly qualifiers: readonly Qualifier[] }
  | { readonly kind: 'array'; readonly count: number | undefined }
  | { readonly kind: 'function'; readonly parameters: readonly TypeNameSyntax[]; readonly variadic: boolean; readonly prototyped: boolean };

export type ArithmeticOperator = '*' | '/' | '%' | '+' | '-' | '<<' | '>>' | '&' | '^' | '|';
export type ComparisonOperator = '<' | '<=' | '>' | '>=' | '==' | '!=';
/** `@` is gdb's: `*p@n` is the n objects from p on, as an array. */
export type BinaryOperator = ArithmeticOperator | ComparisonOperator | '@';
export type UnaryOperator = '-' | '+' | '!' | '~' | '*' | '&';

export type Expression =
  | { readonly kind: 'identifier'; readonly name: string; readonly column: number }
  | { readonly kind: 'register'; readonly name: string; readonly column: number }
  | { readonly kind: 'integer'; readonly text: string; readonly column: number }
  | { readonly kind: 'float'; readonly text: string; readonly column: number }
  | { readonly kind: 'char'; readonly value: number; readonly column: number }
  | { readonly kind: 'string'; readonly bytes: Uint8Array; readonly column: number }
  | { readonly kind: 'unary'; readonly operator: UnaryOperator; readonly operand: Expression; readonly column: number }
  | { readonly kind: 'sizeofValue'; readonly operand: Expression; readonly column: number }
  | { readonly kind: 'sizeofType'; readonly type: TypeNameSyntax; readonly column: number }
  | { readonly kind: 'cast'; readonly type: TypeNameSyntax; readonly operand: Expression; readonly column: number }
  | { readonly kind: 'binary'; readonly operator: BinaryOperator; readonly left: Expression; readonly right: Expression; readonly column: number }
  | { readonly kind: 'logical'; readonly operator: '&&' | '||'; readonly left: Expression; readonly right: Expression; readonly column: number }
  | { readonly kind: 'conditional'; readonly condition: Expression; readonly then: Expression; readonly otherwise: Expression; readonly column: number }
  | { readonly kind: 'member'; readonly object: Expression; readonly member: string; readonly arrow: boolean; readonly column: number }
  | { readonly kind: 'index'; readonly array: Expression; readonly index: Expression; readonly column: number }
  | { readonly kind: 'comma'; readonly left: Expression; readonly right: Expression; readonly column: number };
