// evaluate(text, scope): a C expression's value in a stopped frame, as gdb's `print` computes it.
// Values stay lazy while the expression is walked (so `&*p` and `sizeof *p` read nothing); the
// result is then read, and unreadable memory is an error as in gdb (`Cannot access memory at
// address 0x0`), while an optimized-out result is a value that prints `<optimized out>`.
import { byteSizeOf, type TypeInfo } from '../dwarf';
import { addressOf, dereference, member, repeat, subscript } from './access';
import { arithmetic, asBigint, comparison, floatValue, READ_OPERANDS, truth, TYPE_ONLY, unary, type OperandReader } from './arithmetic';
import type { Expression } from './ast';
import { arrayOf, C_TYPES, coreType, isIntegral } from './c-types';
import { castValue } from './convert';
import { EvaluationError } from './errors';
import { floatLiteral, integerLiteral } from './literals';
import { isKnownIdentifier, isTypedefName, lookupIdentifier, resolveTypeName } from './names';
import { parseExpression } from './parser';
import { registerView } from './registers';
import { integerBytes } from './scalars';
import type { EvaluationScope } from './scope';
import { computedValue, integerValue, Value } from './value';

/** Evaluates a C expression in a scope. Throws EvaluationError for anything gdb would refuse. */
export function evaluate(text: string, scope: EvaluationScope): Value {
  const expression = parseExpression(text, { isTypeName: (name) => isTypedefName(scope, name), isKnownIdentifier: (name) => isKnownIdentifier(scope, name) });
  const value = new Evaluator(scope, READ_OPERANDS).evaluate(expression);
  const contents = value.contents;
  if (!('bytes' in contents) && contents.kind === 'error') throw new EvaluationError(contents.reason);
  const spelled = text.trim();
  return value.named(spelled, spelled);
}

/** gdb's `sizeof`: the size of a type; 1 for void and functions. */
function sizeOf(type: TypeInfo | undefined): number {
  const core = coreType(type);
  if (core.kind === 'void' || core.kind === 'function') return 1;
  const size = byteSizeOf(type);
  if (size === 0 && (core.kind === 'struct' || core.kind === 'union')) throw new EvaluationError('Attempt to take size of incomplete type.');
  return size;
}

class Evaluator {
  constructor(
    private readonly scope: EvaluationScope,
    private readonly reader: OperandReader,
  ) {}

  evaluate(node: Expression): Value {
    const scope = this.scope;
    switch (node.kind) {
      case 'identifier': {
        const value = lookupIdentifier(scope, node.name);
        if (!value) throw new EvaluationError(`No symbol "${node.name}" in current context.`);
        return value;
      }
      case 'register':
        return this.register(node.name);
      case 'integer': {
        const { value, type } = integerLiteral(node.text);
        return integerValue(scope, type, value);
      }
      case 'float': {
        const { value, type, extended } = floatLiteral(node.text);
        return floatValue(scope, type, extended ?? value);
      }
      case 'char':
        return integerValue(scope, C_TYPES.char, BigInt(node.value));
      case 'string':
        return computedValue(scope, arrayOf(C_TYPES.char, node.bytes.length), node.bytes);
      case 'unary': {
        const operand = this.evaluate(node.operand);
        if (node.operator === '*') return dereference(operand);
        if (node.operator === '&') return addressOf(operand);
        return unary(node.operator, operand, this.reader);
      }
      case 'sizeofValue': {
        const operand = new Evaluator(scope, TYPE_ONLY).evaluate(node.operand);
        return integerValue(scope, C_TYPES.int, BigInt(operand.bitField ? Math.max(byteSizeOf(operand.type), 1) : sizeOf(operand.type)));
      }
      case 'sizeofType':
        return integerValue(scope, C_TYPES.int, BigInt(sizeOf(resolveTypeName(node.type, scope))));
      case 'cast':
        return castValue(this.evaluate(node.operand), resolveTypeName(node.type, scope), this.reader);
      case 'binary': {
        const left = this.evaluate(node.left);
        const right = this.evaluate(node.right);
        switch (node.operator) {
          case '<':
          case '<=':
          case '>':
          case '>=':
          case '==':
          case '!=':
            return comparison(node.operator, left, right, this.reader);
          case '@':
            if (!isIntegral(right.type)) throw new EvaluationError('Argument to arithmetic operation not a number or boolean.');
            return repeat(left, asBigint(this.reader.scalar(right)));
          default:
            return arithmetic(node.operator, left, right, this.reader);
        }
      }
      case 'logical': {
        // Short-circuit, as C: the right operand is not evaluated when the left decides.
        const left = truth(this.evaluate(node.left), this.reader);
        if (node.operator === '&&' ? !left : left) return integerValue(scope, C_TYPES.int, left ? 1n : 0n);
        return integerValue(scope, C_TYPES.int, truth(this.evaluate(node.right), this.reader) ? 1n : 0n);
      }
      case 'conditional':
        // gdb gives the chosen operand as it is (no conversion to a common type).
        return truth(this.evaluate(node.condition), this.reader) ? this.evaluate(node.then) : this.evaluate(node.otherwise);
      case 'member':
        return member(this.evaluate(node.object), node.member, node.arrow);
      case 'index': {
        const array = this.evaluate(node.array);
        const index = this.evaluate(node.index);
        if (!isIntegral(index.type)) throw new EvaluationError('Argument to arithmetic operation not a number or boolean.');
        return subscript(array, asBigint(this.reader.scalar(index)));
      }
      case 'comma':
        this.evaluate(node.left);
        return this.evaluate(node.right);
    }
  }

  /** `$name`: a register view, or (like gdb's unset convenience variables) void. */
  private register(name: string): Value {
    const view = registerView(name);
    if (!view) return computedValue(this.scope, undefined, new Uint8Array(0));
    const location = { kind: 'register', regno: view.dwarf, byteOffset: view.byteOffset, registerName: view.source } as const;
    const full = this.scope.readRegister(view.source);
    if (full === undefined) return new Value(this.scope, { type: view.type, location, contents: { kind: 'unavailable', reason: 'not saved' } });
    const bytes = integerBytes(full >> BigInt(8 * view.byteOffset), view.size);
    return new Value(this.scope, { type: view.type, location, contents: { bytes, known: new Uint8Array(view.size).fill(0xff) } });
  }
}
