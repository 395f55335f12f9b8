// The C expression parser on its own: precedence and associativity, casts told from parenthesised
// expressions by the names that are types, abstract declarators in type names, literals and
// escapes, and syntax errors that name the column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EvaluationError, parseExpression, parseTypeName, type Expression } from '../debug-adapter/engine/values';

/** The tree as compact Lisp-like text, so shapes are easy to read in assertions. */
function show(node: Expression): string {
  switch (node.kind) {
    case 'identifier':
      return node.name;
    case 'register':
      return `$${node.name}`;
    case 'integer':
    case 'float':
      return node.text;
    case 'char':
      return `'${node.value}'`;
    case 'string':
      return JSON.stringify([...node.bytes]);
    case 'unary':
      return `(${node.operator} ${show(node.operand)})`;
    case 'sizeofValue':
      return `(sizeof ${show(node.operand)})`;
    case 'sizeofType':
      return `(sizeof-type ${node.type.specifier.kind} ${node.type.declarator.map((d) => d.kind).join(' ')})`;
    case 'cast':
      return `(cast ${node.type.specifier.kind === 'typedef' ? node.type.specifier.name : node.type.specifier.kind} ${show(node.operand)})`;
    case 'binary':
    case 'logical':
      return `(${node.operator} ${show(node.left)} ${show(node.right)})`;
    case 'conditional':
      return `(? ${show(node.condition)} ${show(node.then)} ${show(node.otherwise)})`;
    case 'member':
      return `(${node.arrow ? '->' : '.'} ${show(node.object)} ${node.member})`;
    case 'index':
      return `([] ${show(node.array)} ${show(node.index)})`;
    case 'comma':
      return `(, ${show(node.left)} ${show(node.right)})`;
  }
}

const typedefs = { isTypeName: (name: string) => name === 'shape_t' || name === 'size_type' };

test('precedence and associativity follow C', () => {
  const cases: Array<[string, string]> = [
    ['a + b * c', '(+ a (* b c))'],
    ['a - b - c', '(- (- a b) c)'],
    ['a << 1 + 2', '(<< a (+ 1 2))'],
    ['a < b == c > d', '(== (< a b) (> c d))'],
    ['a & b ^ c | d', '(| (^ (& a b) c) d)'],
    ['a || b && c', '(|| a (&& b c))'],
    ['a ? b : c ? d : e', '(? a b (? c d e))'],
    ['a, b ? c : d', '(, a (? b c d))'],
    ['-a[1]', '(- ([] a 1))'],
    ['*p->next->x', '(* (-> (-> p next) x))'],
    ['&s.corners[2].y', '(& (. ([] (. s corners) 2) y))'],
    ['!~-+*&x', '(! (~ (- (+ (* (& x))))))'],
    ['sizeof x + 1', '(+ (sizeof x) 1)'],
    ['sizeof(int) * 2', '(* (sizeof-type builtin ) 2)'],
    ['sizeof(struct point *)', '(sizeof-type tagged pointer)'],
    ['(a)', 'a'],
    ['(a) - 1', '(- a 1)'],
    ['(shape_t *)p', '(cast shape_t p)'],
    ['(size_type)-1', '(cast size_type (- 1))'],
    ['(int)x.y', '(cast builtin (. x y))'],
    ['(char)(unsigned)x', '(cast builtin (cast builtin x))'],
    ['$rsp + 8', '(+ $rsp 8)'],
    ["'a' + '\\n'", "(+ '97' '10')"],
    ['"ab" "c"', '[97,98,99,0]'],
    ['1.5e3 + .5 + 0x10', '(+ (+ 1.5e3 .5) 0x10)'],
  ];
  assert.deepEqual(cases.map(([text]) => [text, show(parseExpression(text, typedefs))]), cases);
});

test('type names with abstract declarators', () => {
  const declarators = (text: string): string[] => parseTypeName(text, typedefs).declarator.map((d) => (d.kind === 'array' ? `[${d.count ?? ''}]` : d.kind === 'function' ? `(${d.parameters.length}${d.variadic ? '...' : ''})` : `*${d.qualifiers.join(' ')}`));
  assert.deepEqual(declarators('int'), []);
  assert.deepEqual(declarators('unsigned char *'), ['*']);
  assert.deepEqual(declarators('char * const *'), ['*const', '*']);
  assert.deepEqual(declarators('int *[3]'), ['*', '[3]']);
  assert.deepEqual(declarators('int (*)[3]'), ['[3]', '*']);
  assert.deepEqual(declarators('int [2][3]'), ['[3]', '[2]']);
  assert.deepEqual(declarators('int (*)(int, char *)'), ['(2)', '*']);
  assert.deepEqual(declarators('int (*)(const char *, ...)'), ['(1...)', '*']);
  assert.deepEqual(declarators('void (*)(void)'), ['(0)', '*']);
  assert.deepEqual(parseTypeName('const struct shape *', typedefs).specifier, { kind: 'tagged', tag: 'struct', name: 'shape' });
  assert.deepEqual(parseTypeName('long unsigned int', typedefs).specifier, { kind: 'builtin', words: ['long', 'unsigned', 'int'] });
  assert.deepEqual(parseTypeName('shape_t', typedefs).specifier, { kind: 'typedef', name: 'shape_t' });
  assert.deepEqual(parseTypeName('const volatile int', typedefs).qualifiers, ['const', 'volatile']);
});

test('literal escapes', () => {
  const char = (text: string): number => {
    const node = parseExpression(text);
    assert.equal(node.kind, 'char');
    return node.kind === 'char' ? node.value : -1;
  };
  assert.deepEqual(["'\\n'", "'\\t'", "'\\0'", "'\\101'", "'\\x41'", "'\\''", "'\\\\'", "'\\e'", "'\"'"].map(char), [10, 9, 0, 65, 65, 39, 92, 27, 34]);
  const string = parseExpression('"a\\tb\\"\\0c"');
  assert.deepEqual(string.kind === 'string' ? [...string.bytes] : [], [97, 9, 98, 34, 0, 99, 0]);
});

test('syntax errors say what was expected and where', () => {
  const error = (text: string): [string, number | undefined] => {
    try {
      parseExpression(text, typedefs);
    } catch (e) {
      assert.ok(e instanceof EvaluationError);
      return [e.message, e.column];
    }
    return ['no error', undefined];
  };
  assert.deepEqual(error('(a + b'), ["syntax error at column 7: expected ')' before the end of the expression", 7]);
  assert.deepEqual(error('a[1'), ["syntax error at column 4: expected ']' before the end of the expression", 4]);
  assert.deepEqual(error('a + * / b'), ["syntax error at column 7: unexpected '/'", 7]);
  assert.deepEqual(error('a ? b'), ["syntax error at column 6: expected ':' before the end of the expression", 6]);
  assert.deepEqual(error('p->'), ["syntax error at column 4: expected a member name after '->'", 4]);
  assert.deepEqual(error('a b'), ["syntax error at column 3: unexpected 'b'", 3]);
  assert.deepEqual(error('(struct) p'), ["syntax error at column 8: expected a name after 'struct'", 8]);
  assert.deepEqual(error('int'), ["syntax error at column 1: a type name ('int') cannot be used as a value", 1]);
  assert.deepEqual(error('"abc'), ['syntax error at column 1: unterminated string', 1]);
  assert.deepEqual(error("'"), ['syntax error at column 1: unterminated character constant', 1]);
  assert.deepEqual(error('a = 1'), ["assignment ('=' at column 3) is not supported in expressions: assign to the variable instead", 3]);
  assert.deepEqual(error('f(1)'), ['function calls (column 2) are not supported', 2]);
  assert.deepEqual(error('x--'), ["'--' at column 2 is not supported: it would change the program", 2]);
});
