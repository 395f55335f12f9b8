// Typed debugger values and C expression evaluation over the DWARF engine, for a debug adapter's
// variables, hovers, watches and setVariable. No DAP or VS Code types here.
//
//   const scope = frameScope(info, frame, memory, inlineIndex, {
//     machineRegisters: machineRegisterReader(registers),          // eflags, xmm, ... (frame 0)
//     writeMemory, writeRegister, readOnlyReason: 'the core file is read-only',
//   });
//   const value = evaluate('p->corners[1]', scope);   // throws EvaluationError (gdb's messages)
//   value.text                    → '{x = 3, y = 1}'  (what gdb's `print` shows after `$1 = `)
//   value.typeName                → 'struct point'
//   value.childCount, value.children(start, count) → [{ name: 'x', value }, ...] (members,
//                                   `[i]` elements, `*p` pointees; unreadable ones say why)
//   value.memoryReference, value.dataLocation      → addresses for memory views, data breakpoints
//   value.assign('GREEN')         → the value read back after writing it
//   variableValue(scope, variable) → the Value of a DWARF variable
//
// Checked against gdb: the same expressions on the same machine state print the same text.

export { evaluate } from './evaluator';
export { parseExpression, parseTypeName } from './parser';
export type { ParseOptions } from './parser';
export type { Expression, TypeNameSyntax, BinaryOperator, UnaryOperator } from './ast';
export { Value, variableValue, computedValue, memoryValue } from './value';
export type { ValueLocation, ValueInit, BitField, Contents } from './value';
export type { ValueChild } from './children';
export { EvaluationError } from './errors';
export { frameScope, variablesInScope } from './scope';
export type { EvaluationScope, FrameScopeOptions } from './scope';
export { machineRegisterReader, registerView, VEC128 } from './registers';
export type { NamedRegisterReader, RegisterView } from './registers';
export { C_TYPES } from './c-types';
