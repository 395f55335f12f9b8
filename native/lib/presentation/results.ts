// A successful call, and the host calls it made, as JSON.
import type { CallResult, FunctionSignature, HostCallRecord, ValueType } from '../types';
import { toJsonValue, type JsonValue } from './values';

export interface HostCallJson {
  readonly function: string;
  readonly args: JsonValue[];
  /** Present when the host function returned. */
  readonly result?: JsonValue;
  /** Present when the host function failed. */
  readonly error?: string;
  readonly durationUs: number;
}

/** A host call's values have no types in the record, so an f32 among them keeps all its digits. */
export function hostCallToJson(call: HostCallRecord): HostCallJson {
  const base = { function: call.function, args: call.args.map((arg) => toJsonValue(arg)), durationUs: call.durationUs };
  return call.error !== undefined ? { ...base, error: call.error } : { ...base, result: toJsonValue(call.result) };
}

/** What `microvm run --json` prints for a call that returned. */
export interface ResultJson {
  readonly ok: true;
  readonly function: string;
  readonly returnType: ValueType;
  readonly value: JsonValue;
  readonly output: string;
  readonly hostCalls: HostCallJson[];
  readonly durationUs: number;
}

export function resultToJson(signature: FunctionSignature, result: CallResult): ResultJson {
  return {
    ok: true,
    function: signature.name,
    returnType: signature.returnType,
    value: toJsonValue(result.value, signature.returnType),
    output: result.output,
    hostCalls: result.hostCalls.map(hostCallToJson),
    durationUs: result.durationUs,
  };
}
