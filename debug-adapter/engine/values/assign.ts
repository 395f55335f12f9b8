// Assignment to a scalar lvalue: the text is evaluated in the value's scope (so `GREEN`, `x + 1`
// and `&numbers[2]` work), converted to the target's type as C's assignment converts it, and
// written through the scope's memory or register writer; bitfields and partial registers ($eax)
// are merged into the bytes around them. The value is then read back.
import { dwarfConstants, registerSize, typeName } from '../dwarf';
import { READ_OPERANDS } from './arithmetic';
import { coreType, isScalar } from './c-types';
import { castValue } from './convert';
import { EvaluationError } from './errors';
import { evaluate } from './evaluator';
import { integerBytes, readInteger } from './scalars';
import type { EvaluationScope } from './scope';
import { readRegisterBytes, type Value } from './value';

function refuse(scope: EvaluationScope, what: string): never {
  throw new EvaluationError(`cannot write ${what}: ${scope.readOnlyReason ?? 'the target cannot be written'}`);
}

/** Runs a writer, turning its failure into an EvaluationError that says what was being written. */
function write(what: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    if (error instanceof EvaluationError) throw error;
    throw new EvaluationError(`cannot write ${what}: ${(error as Error).message}`);
  }
}

/** `bytes` merged into `old` at the bitfield's bits (or replacing it entirely). */
function merge(old: Uint8Array, bytes: Uint8Array, bitField: Value['bitField']): Uint8Array {
  if (!bitField) return bytes;
  const oldBits = readInteger(old, old.length, false);
  const fieldMask = ((1n << BigInt(bitField.bitSize)) - 1n) << BigInt(bitField.bitOffset);
  const field = (readInteger(bytes, bytes.length, false) << BigInt(bitField.bitOffset)) & fieldMask;
  return integerBytes((oldBits & ~fieldMask) | field, old.length);
}

export function assignValue(target: Value, text: string): Value {
  const scope = target.scope;
  const what = target.expression ?? target.name ?? 'the value';
  if (!isScalar(target.type)) {
    const kind = coreType(target.type).kind;
    const noun = kind === 'array' ? 'an array' : kind === 'function' ? 'a function' : kind === 'void' ? 'void' : `a ${kind}`;
    throw new EvaluationError(`cannot assign to ${what}: it is ${noun} (${typeName(target.type)}); assign to one of its scalar members or elements instead`);
  }
  const location = target.location;
  if (location.kind === 'computed') throw new EvaluationError('Left operand of assignment is not an lvalue.');
  if (location.kind === 'pieces') throw new EvaluationError(`cannot assign to ${what}: it is split across registers and memory (DW_OP_piece)`);
  if (location.kind === 'unavailable') throw new EvaluationError(`cannot assign to ${what}: value has been optimized out`);

  const source = evaluate(text, scope);
  const converted = castValue(source, target.type, READ_OPERANDS).object().bytes;
  const bitField = target.bitField;
  const span = bitField ? Math.ceil((bitField.bitOffset + bitField.bitSize) / 8) : converted.length;

  if (location.kind === 'memory') {
    const place = `memory at 0x${location.address.toString(16)}`;
    const writeMemory = scope.writeMemory;
    if (!writeMemory) refuse(scope, place);
    let bytes = converted;
    if (bitField) {
      const old = scope.frame.readMemory(location.address, span);
      if (!old || old.length < span) throw new EvaluationError(`Cannot access memory at address 0x${location.address.toString(16)}`);
      bytes = merge(old, converted, bitField);
    }
    write(place, () => writeMemory.call(scope, location.address, bytes));
  } else {
    const register = location.registerName ?? dwarfConstants.X86_64_REGISTER_NAMES[location.regno] ?? `r${location.regno}`;
    const place = `register $${register}`;
    const writeRegister = scope.writeRegister;
    if (!writeRegister) refuse(scope, place);
    const width = Math.max(registerSize(location.regno), location.byteOffset + span);
    const current = readRegisterBytes(scope, { ...location, byteOffset: 0 }, width);
    if (!('bytes' in current)) throw new EvaluationError(`cannot assign to ${what}: the register's value is not known in this frame`);
    const whole = current.bytes.slice();
    const old = whole.subarray(location.byteOffset, location.byteOffset + span);
    whole.set(merge(old, converted.subarray(0, span), bitField), location.byteOffset);
    write(place, () => writeRegister.call(scope, location.regno, readInteger(whole, whole.length, false)));
  }
  return target.reread();
}
