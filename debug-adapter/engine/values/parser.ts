// A recursive-descent parser for C expressions with C's precedence and associativity: comma,
// ?:, ||, &&, |, ^, &, equality, relational, shifts, additive, multiplicative, casts, unary
// (- + ! ~ * & sizeof) and postfix ([] . ->), and gdb's `@` (between shifts and additive, as in
// gdb's grammar). `(name)` is a cast when `isTypeName(name)` says the
// identifier names a type (a typedef not shadowed by a variable), as in C's own grammar.
// Side effects (assignment, ++/--, calls) are refused: evaluation must not change the target.
import type { BinaryOperator, DeclaratorPart, Expression, Qualifier, TypeNameSyntax, UnaryOperator } from './ast';
import { EvaluationError } from './errors';
import { tokenize, type Token } from './lexer';

export interface ParseOptions {
  /** Whether an identifier names a type (a typedef) here. */
  readonly isTypeName?: (name: string) => boolean;
  /**
   * Whether an identifier names something here. Like gdb, an unknown name is reported when the
   * parser reaches it, before any syntax error further on.
   */
  readonly isKnownIdentifier?: (name: string) => boolean;
}

const BUILTIN_WORDS = new Set(['char', 'short', 'int', 'long', 'float', 'double', 'signed', 'unsigned', '_Bool']);
const QUALIFIERS = new Set<string>(['const', 'volatile', 'restrict']);
const TAGS = new Set(['struct', 'union', 'enum']);

const BINARY_LEVELS: ReadonlyArray<readonly BinaryOperator[]> = [
  ['|'],
  ['^'],
  ['&'],
  ['==', '!='],
  ['<', '<=', '>', '>='],
  ['<<', '>>'],
  ['@'],
  ['+', '-'],
  ['*', '/', '%'],
];

const ASSIGNMENTS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '&=', '^=', '|=', '<<=', '>>=']);

export function parseExpression(text: string, options: ParseOptions = {}): Expression {
  return new Parser(tokenize(text), options).parseAll();
}

/** Parses a type name alone, e.g. `unsigned char *` or `struct point`. */
export function parseTypeName(text: string, options: ParseOptions = {}): TypeNameSyntax {
  const parser = new Parser(tokenize(text), options);
  return parser.parseWholeTypeName();
}

class Parser {
  private at = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly options: ParseOptions,
  ) {}

  private get token(): Token {
    return this.tokens[this.at];
  }

  private peek(offset = 1): Token {
    return this.tokens[Math.min(this.at + offset, this.tokens.length - 1)];
  }

  private is(text: string, token: Token = this.token): boolean {
    return (token.kind === 'punctuator' || token.kind === 'identifier') && token.text === text;
  }

  private next(): Token {
    const token = this.token;
    if (token.kind !== 'end') this.at++;
    return token;
  }

  private fail(message: string, token: Token = this.token): never {
    throw new EvaluationError(`syntax error at column ${token.column}: ${message}`, token.column);
  }

  private unexpected(token: Token = this.token): never {
    return this.fail(token.kind === 'end' ? 'unexpected end of expression' : `unexpected '${token.text}'`, token);
  }

  private expect(text: string): Token {
    if (!this.is(text)) this.fail(`expected '${text}'${this.token.kind === 'end' ? ' before the end of the expression' : ` before '${this.token.text}'`}`);
    return this.next();
  }

  private atEnd(): boolean {
    return this.token.kind === 'end';
  }

  parseAll(): Expression {
    if (this.atEnd()) this.fail('empty expression');
    const expression = this.parseComma();
    if (!this.atEnd()) this.unexpected();
    return expression;
  }

  parseWholeTypeName(): TypeNameSyntax {
    const type = this.parseTypeName();
    if (!this.atEnd()) this.unexpected();
    return type;
  }

  private parseComma(): Expression {
    let left = this.parseAssignment();
    while (this.is(',')) {
      const { column } = this.next();
      left = { kind: 'comma', left, right: this.parseAssignment(), column };
    }
    return left;
  }

  private parseAssignment(): Expression {
    const expression = this.parseConditional();
    if (this.token.kind === 'punctuator' && ASSIGNMENTS.has(this.token.text)) {
      throw new EvaluationError(`assignment ('${this.token.text}' at column ${this.token.column}) is not supported in expressions: assign to the variable instead`, this.token.column);
    }
    return expression;
  }

  private parseConditional(): Expression {
    const condition = this.parseLogical('||');
    if (!this.is('?')) return condition;
    const { column } = this.next();
    const then = this.parseComma();
    this.expect(':');
    return { kind: 'conditional', condition, then, otherwise: this.parseConditional(), column };
  }

  private parseLogical(operator: '&&' | '||'): Expression {
    const operand = (): Expression => (operator === '||' ? this.parseLogical('&&') : this.parseBinary(0));
    let left = operand();
    while (this.is(operator)) {
      const { column } = this.next();
      left = { kind: 'logical', operator, left, right: operand(), column };
    }
    return left;
  }

  private parseBinary(level: number): Expression {
    if (level >= BINARY_LEVELS.length) return this.parseCast();
    const operators = BINARY_LEVELS[level];
    let left = this.parseBinary(level + 1);
    while (this.token.kind === 'punctuator' && (operators as readonly string[]).includes(this.token.text)) {
      const token = this.next();
      left = { kind: 'binary', operator: token.text as BinaryOperator, left, right: this.parseBinary(level + 1), column: token.column };
    }
    return left;
  }

  /** Whether the token after `(` begins a type name. */
  private startsTypeName(token: Token): boolean {
    if (token.kind !== 'identifier') return false;
    const word = token.text;
    if (BUILTIN_WORDS.has(word) || QUALIFIERS.has(word) || TAGS.has(word) || word === 'void') return true;
    return this.options.isTypeName?.(word) ?? false;
  }

  private parseCast(): Expression {
    if (this.is('(') && this.startsTypeName(this.peek())) {
      const { column } = this.next();
      const type = this.parseTypeName();
      this.expect(')');
      if (this.is('{')) this.fail('compound literals are not supported');
      return { kind: 'cast', type, operand: this.parseCast(), column };
    }
    return this.parseUnary();
  }

  private parseUnary(): Expression {
    const token = this.token;
    if (token.kind === 'punctuator' && ['-', '+', '!', '~', '*', '&'].includes(token.text)) {
      this.next();
      return { kind: 'unary', operator: token.text as UnaryOperator, operand: this.parseCast(), column: token.column };
    }
    if (this.is('++') || this.is('--')) throw new EvaluationError(`'${token.text}' at column ${token.column} is not supported: it would change the program`, token.column);
    if (this.is('sizeof')) {
      this.next();
      if (this.is('(') && this.startsTypeName(this.peek())) {
        this.next();
        const type = this.parseTypeName();
        this.expect(')');
        return { kind: 'sizeofType', type, column: token.column };
      }
      return { kind: 'sizeofValue', operand: this.parseUnary(), column: token.column };
    }
    return this.parsePostfix();
  }

  private parsePostfix(): Expression {
    let expression = this.parsePrimary();
    for (;;) {
      const token = this.token;
      if (this.is('[')) {
        this.next();
        const index = this.parseComma();
        this.expect(']');
        expression = { kind: 'index', array: expression, index, column: token.column };
      } else if (this.is('.') || this.is('->')) {
        this.next();
        const name = this.token;
        if (name.kind !== 'identifier') this.fail(`expected a member name after '${token.text}'`, name);
        this.next();
        expression = { kind: 'member', object: expression, member: name.text, arrow: token.text === '->', column: token.column };
      } else if (this.is('(')) {
        throw new EvaluationError(`function calls (column ${token.column}) are not supported`, token.column);
      } else if (this.is('++') || this.is('--')) {
        throw new EvaluationError(`'${token.text}' at column ${token.column} is not supported: it would change the program`, token.column);
      } else {
        return expression;
      }
    }
  }

  private parsePrimary(): Expression {
    const token = this.token;
    switch (token.kind) {
      case 'identifier':
        if (BUILTIN_WORDS.has(token.text) || TAGS.has(token.text) || QUALIFIERS.has(token.text) || token.text === 'void') {
          this.fail(`a type name ('${token.text}') cannot be used as a value`);
        }
        if (this.options.isKnownIdentifier && !this.options.isKnownIdentifier(token.text)) {
          throw new EvaluationError(`No symbol "${token.text}" in current context.`, token.column);
        }
        this.next();
        return { kind: 'identifier', name: token.text, column: token.column };
      case 'register':
        this.next();
        return { kind: 'register', name: token.name, column: token.column };
      case 'number':
        this.next();
        return isFloatLiteral(token.text) ? { kind: 'float', text: token.text, column: token.column } : { kind: 'integer', text: token.text, column: token.column };
      case 'char':
        this.next();
        return { kind: 'char', value: token.value, column: token.column };
      case 'string': {
        // Adjacent literals concatenate, as in C.
        const codes: number[] = [];
        for (let part = this.token; part.kind === 'string'; part = this.token) {
          codes.push(...part.bytes.subarray(0, part.bytes.length - 1));
          this.next();
        }
        return { kind: 'string', bytes: Uint8Array.from([...codes, 0]), column: token.column };
      }
      case 'punctuator':
        if (token.text === '(') {
          this.next();
          const inner = this.parseComma();
          this.expect(')');
          return inner;
        }
        return this.unexpected();
      case 'end':
        return this.unexpected();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Type names

  private parseTypeName(): TypeNameSyntax {
    const column = this.token.column;
    const qualifiers: Qualifier[] = [];
    const words: string[] = [];
    let specifier: TypeNameSyntax['specifier'] | undefined;
    for (;;) {
      const token = this.token;
      if (token.kind !== 'identifier') break;
      if (QUALIFIERS.has(token.text)) {
        qualifiers.push(token.text as Qualifier);
        this.next();
      } else if (BUILTIN_WORDS.has(token.text) && specifier === undefined) {
        words.push(token.text);
        this.next();
      } else if (token.text === 'void' && specifier === undefined && words.length === 0) {
        specifier = { kind: 'void' };
        this.next();
      } else if (TAGS.has(token.text) && specifier === undefined && words.length === 0) {
        this.next();
        const name = this.token;
        if (name.kind !== 'identifier') this.fail(`expected a name after '${token.text}'`, name);
        this.next();
        specifier = { kind: 'tagged', tag: token.text as 'struct' | 'union' | 'enum', name: name.text };
      } else if (specifier === undefined && words.length === 0 && (this.options.isTypeName?.(token.text) ?? false)) {
        this.next();
        specifier = { kind: 'typedef', name: token.text };
      } else {
        break;
      }
    }
    if (words.length > 0) specifier = { kind: 'builtin', words };
    if (!specifier) this.fail('expected a type name');
    return { specifier, qualifiers, declarator: this.parseAbstractDeclarator(), column };
  }

  private parseAbstractDeclarator(): DeclaratorPart[] {
    const pointers: DeclaratorPart[] = [];
    while (this.is('*')) {
      this.next();
      const qualifiers: Qualifier[] = [];
      while (this.token.kind === 'identifier' && QUALIFIERS.has(this.token.text)) qualifiers.push(this.next().text as Qualifier);
      pointers.push({ kind: 'pointer', qualifiers });
    }
    let inner: DeclaratorPart[] = [];
    if (this.is('(') && (this.is('*', this.peek()) || this.is('(', this.peek()) || this.is('[', this.peek()))) {
      this.next();
      inner = this.parseAbstractDeclarator();
      this.expect(')');
    }
    const suffixes: DeclaratorPart[] = [];
    for (;;) {
      if (this.is('[')) {
        this.next();
        let count: number | undefined;
        if (this.token.kind === 'number') {
          const text = this.next().text;
          count = /^(0x[0-9a-f]+|[0-9]+)[ul]*$/i.test(text) ? Number(BigInt(text.replace(/[ul]+$/i, ''))) : this.fail(`an array size must be an integer, not '${text}'`);
        }
        this.expect(']');
        suffixes.push({ kind: 'array', count });
      } else if (this.is('(')) {
        this.next();
        suffixes.push(this.parseParameters());
      } else {
        break;
      }
    }
    // Pointers bind to the specified type first, then suffixes right to left, then the parenthesised part.
    return [...pointers, ...suffixes.reverse(), ...inner];
  }

  private parseParameters(): DeclaratorPart {
    const parameters: TypeNameSyntax[] = [];
    let variadic = false;
    if (this.is(')')) {
      this.next();
      return { kind: 'function', parameters, variadic, prototyped: false };
    }
    for (;;) {
      if (this.is('.') && this.is('.', this.peek()) && this.is('.', this.peek(2))) {
        this.at += 3;
        variadic = true;
        break;
      }
      parameters.push(this.parseTypeName());
      if (!this.is(',')) break;
      this.next();
    }
    this.expect(')');
    const onlyVoid = parameters.length === 1 && parameters[0].specifier.kind === 'void' && parameters[0].declarator.length === 0;
    return { kind: 'function', parameters: onlyVoid ? [] : parameters, variadic, prototyped: true };
  }
}

/** Whether a number token is a floating literal: a dot, a decimal exponent, or a hex exponent. */
export function isFloatLiteral(text: string): boolean {
  if (/^0[xX]/.test(text)) return /[pP]/.test(text);
  return text.includes('.') || /[eE]/.test(text);
}
