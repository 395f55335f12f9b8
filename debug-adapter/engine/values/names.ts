// Names in an expression, resolved the way gdb resolves them in a frame: a variable in scope
// (innermost block first, then the function, then the file's and other files' globals), else an
// enumerator, else a function; type names are C's built-in types, or typedefs and struct/union/
// enum tags from the DWARF (the frame's unit preferred).
import { NamedEntities, type FunctionType, type TypeInfo } from '../dwarf';
import type { DeclaratorPart, TypeNameSyntax } from './ast';
import { functionValue } from './access';
import { arrayOf, builtinType, pointerTo, qualified } from './c-types';
import { EvaluationError } from './errors';
import type { EvaluationScope } from './scope';
import { integerValue, variableValue, type Value } from './value';

/** The value an identifier names, or undefined. */
export function lookupIdentifier(scope: EvaluationScope, name: string): Value | undefined {
  const variable = scope.variables.find((v) => v.name === name);
  if (variable) return variableValue(scope, variable);
  const entities = NamedEntities.of(scope.info);
  const enumerator = entities.enumerator(name, scope.unit);
  if (enumerator) return integerValue(scope, enumerator.type, enumerator.value).named(name);
  const fn = entities.function(name, scope.unit);
  if (fn) return functionValue(scope, fn);
  const optimizedOut = entities.optimizedOutVariable(name, scope.unit);
  return optimizedOut ? variableValue(scope, optimizedOut) : undefined;
}

/** Whether an identifier names a variable, enumerator or function here. */
export function isKnownIdentifier(scope: EvaluationScope, name: string): boolean {
  if (scope.variables.some((v) => v.name === name)) return true;
  const entities = NamedEntities.of(scope.info);
  return entities.enumerator(name, scope.unit) !== undefined || entities.function(name, scope.unit) !== undefined || entities.optimizedOutVariable(name, scope.unit) !== undefined;
}

/** Whether `name` is a typedef here (and no variable hides it), for telling casts from parentheses. */
export function isTypedefName(scope: EvaluationScope, name: string): boolean {
  if (scope.variables.some((v) => v.name === name)) return false;
  return NamedEntities.of(scope.info).type('typedef', name, scope.unit) !== undefined;
}

/** The type a type name denotes (undefined: void). */
export function resolveTypeName(syntax: TypeNameSyntax, scope: EvaluationScope): TypeInfo | undefined {
  const entities = NamedEntities.of(scope.info);
  const specifier = syntax.specifier;
  let type: TypeInfo | undefined;
  switch (specifier.kind) {
    case 'void':
      type = undefined;
      break;
    case 'builtin':
      type = builtinType(specifier.words);
      if (!type) throw new EvaluationError(`"${specifier.words.join(' ')}" is not a valid type`);
      break;
    case 'tagged':
      type = entities.type(specifier.tag, specifier.name, scope.unit);
      if (!type) throw new EvaluationError(`No ${specifier.tag} type named ${specifier.name}.`);
      break;
    case 'typedef':
      type = entities.type('typedef', specifier.name, scope.unit);
      if (!type) throw new EvaluationError(`No symbol "${specifier.name}" in current context.`);
      break;
  }
  for (const qualifier of syntax.qualifiers) type = qualified(qualifier, type);
  for (const part of syntax.declarator) type = applyDeclarator(part, type, scope);
  return type;
}

function applyDeclarator(part: DeclaratorPart, type: TypeInfo | undefined, scope: EvaluationScope): TypeInfo {
  switch (part.kind) {
    case 'pointer':
      return part.qualifiers.reduce<TypeInfo>((t, q) => qualified(q, t), pointerTo(type));
    case 'array':
      return type?.kind === 'array' ? { kind: 'array', element: type.element, counts: [part.count, ...type.counts] } : arrayOf(type, part.count);
    case 'function': {
      const fn: FunctionType = {
        kind: 'function',
        returnType: type,
        parameters: part.parameters.map((p): TypeInfo => resolveTypeName(p, scope) ?? { kind: 'void' }),
        variadic: part.variadic,
        prototyped: part.prototyped,
      };
      return fn;
    }
  }
}
