// Encoding and validating the records of docs/guest-abi.md. Everything read back from the guest is
// untrusted: each check names the record, the field and the offending value.
import { MicroVmError } from './errors';
import { hex } from './hex';
import type { FunctionSignature, GuestValue, ValueType } from './types';
import { formatSignature } from './presentation/values';
import {
  SLOT_SIZE, TYPE_TAGS, readScalar, typeOfTag, valueProblem, writeDataSlot, writeSafeInteger64, writeScalarSlot,
} from './values';

export const MAGIC = {
  call: 0x3143564d, // MVC1
  result: 0x3152564d, // MVR1
  hostCall: 0x3148564d, // MVH1
  hostReply: 0x5248564d, // MVHR
  abort: 0x4241564d, // MVAB
} as const;

export const CALL_HEADER_SIZE = 24;
export const RESULT_HEADER_SIZE = 16;
export const RESULT_DATA_OFFSET = 32;
export const MAX_HOST_CALL_ARGS = 16;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const align8 = (n: number): number => (n + 7) & ~7;


/** Checks a call against the signature; throws BAD_ARGUMENTS naming the first problem. */
export function checkArguments(signature: FunctionSignature, args: readonly GuestValue[]): void {
  if (args.length !== signature.paramTypes.length) {
    throw new MicroVmError('BAD_ARGUMENTS',
      `${signature.name} takes ${signature.paramTypes.length} argument(s), got ${args.length}: ${formatSignature(signature)}`,
      { functionName: signature.name });
  }
  for (let index = 0; index < args.length; index++) {
    const problem = valueProblem(signature.paramTypes[index], args[index]);
    if (problem) {
      throw new MicroVmError('BAD_ARGUMENTS', `argument ${index + 1} of ${signature.name}: ${problem}; signature ${formatSignature(signature)}`,
        { functionName: signature.name });
    }
  }
}

// The UTF-8 name of each signature, encoded once: callers pass the same signature object for every
// call of a function. The name is kept to notice a (type-violating) change of signature.name.
const encodedNames = new WeakMap<FunctionSignature, { name: string; bytes: Uint8Array }>();

function encodedName(signature: FunctionSignature): Uint8Array {
  const cached = encodedNames.get(signature);
  if (cached !== undefined && cached.name === signature.name) return cached.bytes;
  const bytes = utf8.encode(signature.name);
  encodedNames.set(signature, { name: signature.name, bytes });
  return bytes;
}

/**
 * A string or bytes argument's payload: an ASCII string itself, written straight into the record
 * (its byte length is its length), else its UTF-8 bytes or the bytes value.
 */
function payloadOf(value: GuestValue, type: ValueType): string | Uint8Array {
  if (type === 'bytes') return value as Uint8Array;
  // A UTF-8 length equal to the UTF-16 length means every character is ASCII (others take 2-4 bytes).
  const text = value as string;
  return Buffer.byteLength(text, 'utf8') === text.length ? text : utf8.encode(text);
}

/** Builds the MVC1 record for the input buffer at `inputAddress`; throws BAD_ARGUMENTS if it doesn't fit. */
export function encodeCall(signature: FunctionSignature, args: readonly GuestValue[], inputAddress: bigint, inputSize: number): Uint8Array {
  checkArguments(signature, args);
  const types = signature.paramTypes;
  const count = args.length;
  const name = encodedName(signature);
  const nameOffset = CALL_HEADER_SIZE + SLOT_SIZE * count;
  const dataStart = align8(nameOffset + name.length + 1);
  // The payloads of string and bytes arguments (undefined for scalars), each followed by a NUL
  // (strings are NUL-terminated; bytes get a harmless 0); no array at all when every argument is a scalar.
  let payloads: (string | Uint8Array | undefined)[] | undefined;
  let size = dataStart;
  for (let index = 0; index < count; index++) {
    const type = types[index];
    if (type !== 'string' && type !== 'bytes') continue;
    const payload = payloadOf(args[index], type);
    (payloads ??= new Array<string | Uint8Array | undefined>(count))[index] = payload;
    size = align8(size + payload.length + 1);
  }
  if (size > inputSize) {
    throw new MicroVmError('BAD_ARGUMENTS',
      `the arguments of ${signature.name} need ${size} bytes but the input buffer holds ${inputSize}${largestArgument(signature, args)}`,
      { functionName: signature.name });
  }

  const record = new Uint8Array(size);
  const view = new DataView(record.buffer);
  view.setUint32(0, MAGIC.call, true);
  view.setUint32(4, size, true);
  view.setUint32(8, nameOffset, true);
  view.setUint32(12, name.length, true);
  view.setUint32(16, count, true);
  record.set(name, nameOffset);
  if (payloads === undefined) {
    for (let index = 0; index < count; index++) writeScalarSlot(view, CALL_HEADER_SIZE + SLOT_SIZE * index, types[index], args[index]);
    return record;
  }
  // Addresses as numbers when the whole buffer lies below 2^53 (it does: guest memory is small); no BigInt per argument.
  const base = typeof inputAddress === 'bigint' ? Number(inputAddress) : -1;
  const numericAddresses = base >= 0 && base <= Number.MAX_SAFE_INTEGER - size;
  let at = dataStart;
  for (let index = 0; index < count; index++) {
    const slot = CALL_HEADER_SIZE + SLOT_SIZE * index;
    const payload = payloads[index];
    if (payload === undefined) {
      writeScalarSlot(view, slot, types[index], args[index]);
      continue;
    }
    const type = types[index] as 'string' | 'bytes';
    if (typeof payload === 'string') utf8.encodeInto(payload, record.subarray(at, at + payload.length)); // no intermediate copy
    else record.set(payload, at);
    if (numericAddresses) {
      view.setUint32(slot, TYPE_TAGS[type], true);
      view.setUint32(slot + 4, payload.length, true);
      writeSafeInteger64(view, slot + 8, base + at);
    } else {
      writeDataSlot(view, slot, type, payload.length, inputAddress + BigInt(at));
    }
    at = align8(at + payload.length + 1);
  }
  return record;
}

/** For the too-large error: the largest string or bytes argument, or '' when there is none. */
function largestArgument(signature: FunctionSignature, args: readonly GuestValue[]): string {
  const payloads = args.map((value, index) => {
    const type = signature.paramTypes[index];
    if (type === 'string') return utf8.encode(value as string);
    if (type === 'bytes') return value as Uint8Array;
    return undefined;
  });
  const largest = payloads.reduce((best, p, i) => (p && p.length > (payloads[best]?.length ?? -1) ? i : best), 0);
  return payloads[largest] ? ` (argument ${largest + 1} alone is ${payloads[largest]!.length} bytes); raise inputBufferSize` : '';
}

/** A field's name for an error message, built only when there is an error. */
type FieldName = string | (() => string);
const nameOf = (field: FieldName): string => (typeof field === 'string' ? field : field());

/** A view of the output buffer prefix the host copied out, with guest-address checks. */
export class OutputRecord {
  readonly view: DataView;
  /** `base` as a number when every address in the record is below 2^53, else -1 (then only BigInt arithmetic). */
  private readonly baseNumber: number;
  constructor(readonly bytes: Uint8Array, readonly base: bigint, readonly what: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const baseNumber = Number(base);
    this.baseNumber = baseNumber >= 0 && baseNumber <= Number.MAX_SAFE_INTEGER - bytes.length ? baseNumber : -1;
  }

  fail(message: string): never {
    throw new MicroVmError('BAD_HOST_CALL', `${this.what}: ${message}`);
  }

  u32(offset: number, field: FieldName): number {
    if (offset + 4 > this.bytes.length) this.fail(`${nameOf(field)} at offset ${offset} lies past the end of the record`);
    return this.view.getUint32(offset, true);
  }

  /** Bytes at guest address `address` of `length`, which must lie inside the record. */
  dataAt(address: bigint, length: number, field: FieldName): Uint8Array {
    const offset = address - this.base;
    if (offset < 0n || offset + BigInt(length) > BigInt(this.bytes.length)) {
      this.fail(`${nameOf(field)} points at ${hex(address)} (+${length} bytes), outside the record, which occupies ` +
        `${hex(this.base)}-${hex(this.base + BigInt(this.bytes.length))} of the output buffer`);
    }
    return this.bytes.subarray(Number(offset), Number(offset) + length);
  }

  /** A NUL-terminated UTF-8 string of `length` bytes at `address`. */
  stringAt(address: bigint, length: number, field: FieldName): string {
    const data = this.dataAt(address, length + 1, () => `${nameOf(field)}, with its NUL,`);
    if (data[length] !== 0) this.fail(`${nameOf(field)} at ${hex(address)} is not NUL-terminated after its ${length} bytes`);
    return this.decodeUtf8(data.subarray(0, length), field);
  }

  decodeUtf8(data: Uint8Array, field: FieldName): string {
    // No ASCII shortcut: node's validating decoder is faster than a scan plus a latin1 decode even for ASCII.
    try {
      return strictUtf8.decode(data);
    } catch {
      this.fail(`${nameOf(field)} is not valid UTF-8`);
    }
  }

  /**
   * The record offset of `length` bytes at the guest address stored as a u64 at `at`, or -1 when they
   * are not all inside the record or the address is 2^53 or more. Numbers, not BigInts: every value
   * involved is an exact integer below 2^53. On -1 the BigInt checks of dataAt decide and word the error.
   */
  private offsetOf(at: number, length: number): number {
    const high = this.view.getUint32(at + 4, true);
    if (this.baseNumber < 0 || high >= 0x200000) return -1;
    const offset = high * 4294967296 + this.view.getUint32(at, true) - this.baseNumber;
    return offset >= 0 && offset + length <= this.bytes.length ? offset : -1;
  }

  /** The NUL-terminated string of `length` bytes at record offset `offset`, or undefined when it is out of bounds or unterminated. */
  textAt(offset: number, length: number, field: FieldName): string | undefined {
    if (offset < 0 || offset + length + 1 > this.bytes.length || this.bytes[offset + length] !== 0) return undefined;
    return this.decodeUtf8(this.bytes.subarray(offset, offset + length), field);
  }

  /** Reads a slot at `offset`, whose tag must equal `expected` when given. */
  slot(offset: number, field: FieldName, expected?: ValueType): { type: ValueType; value: GuestValue } {
    if (offset + SLOT_SIZE > this.bytes.length) this.fail(`${nameOf(field)} slot at offset ${offset} lies past the end of the record`);
    const tag = this.view.getUint8(offset);
    const type = typeOfTag(tag);
    if (type === undefined) this.fail(`${nameOf(field)} has type tag ${tag}, which is not a type`);
    if (expected !== undefined && type !== expected) this.fail(`${nameOf(field)} is ${type}, expected ${expected}`);
    if (type !== 'string' && type !== 'bytes') return { type, value: readScalar(this.view, offset, type) };
    const length = this.view.getUint32(offset + 4, true);
    // The valid case with numbers; anything else takes the BigInt path below, which words the error.
    const at = this.offsetOf(offset + 8, type === 'string' ? length + 1 : length);
    if (at >= 0) {
      if (type === 'bytes') return { type, value: new Uint8Array(this.bytes.subarray(at, at + length)) };
      const text = this.textAt(at, length, field);
      if (text !== undefined) return { type, value: text };
    }
    const address = this.view.getBigUint64(offset + 8, true);
    if (type === 'string') return { type, value: this.stringAt(address, length, field) };
    return { type, value: new Uint8Array(this.dataAt(address, length, field)) };
  }
}

export interface DecodedHostCall {
  name: string;
  args: GuestValue[];
  argTypes: ValueType[];
  expectedReturn: ValueType;
}

/** Validates and decodes an MVH1 record (the caller copied `total` bytes of the output buffer). */
export function decodeHostCall(record: OutputRecord): DecodedHostCall {
  const magic = record.u32(0, 'magic');
  if (magic !== MAGIC.hostCall) record.fail(`magic is ${hex(magic)}, expected ${hex(MAGIC.hostCall)} ("MVH1")`);
  const nameOffset = record.u32(8, 'name offset');
  const nameLength = record.u32(12, 'name length');
  const count = record.u32(16, 'argument count');
  const returnTag = record.u32(20, 'return type');
  if (count > MAX_HOST_CALL_ARGS) record.fail(`argument count ${count} exceeds ${MAX_HOST_CALL_ARGS}`);
  const expectedReturn = typeOfTag(returnTag);
  if (expectedReturn === undefined) record.fail(`expected return type tag ${returnTag} is not a type`);
  if (nameLength === 0) record.fail('the host function name is empty');
  const nameField = (): string => `host function name (offset ${nameOffset}, length ${nameLength})`;
  // The name is at a record offset: a number check; only a bad one takes the BigInt path, which words the error.
  const name = record.textAt(nameOffset, nameLength, nameField) ?? record.stringAt(record.base + BigInt(nameOffset), nameLength, nameField);
  const args: GuestValue[] = [];
  const argTypes: ValueType[] = [];
  for (let i = 0; i < count; i++) {
    const { type, value } = record.slot(CALL_HEADER_SIZE + SLOT_SIZE * i, () => `argument ${i + 1} of host call ${name}`);
    if (type === 'void') record.fail(`argument ${i + 1} of host call ${name} has type void`);
    args.push(value);
    argTypes.push(type);
  }
  return { name, args, argTypes, expectedReturn };
}

/** Builds the MVHR reply written over the output buffer. */
export function encodeHostReply(type: ValueType, value: GuestValue, outputAddress: bigint, outputSize: number, hostFunction: string): Uint8Array {
  let payload: Uint8Array | undefined;
  if (type === 'string') payload = utf8.encode(value as string);
  if (type === 'bytes') payload = value as Uint8Array;
  const size = RESULT_DATA_OFFSET + (payload ? align8(payload.length + 1) : 0);
  if (size > outputSize) {
    throw new MicroVmError('HOST_FUNCTION_ERROR',
      `host function ${hostFunction} returned ${payload?.length ?? 0} bytes, more than the ${outputSize}-byte output buffer holds`);
  }
  const reply = new Uint8Array(size);
  const view = new DataView(reply.buffer);
  view.setUint32(0, MAGIC.hostReply, true);
  view.setUint32(4, 0, true);
  view.setUint32(8, size, true);
  if (payload && (type === 'string' || type === 'bytes')) {
    reply.set(payload, RESULT_DATA_OFFSET);
    writeDataSlot(view, RESULT_HEADER_SIZE, type, payload.length, outputAddress + BigInt(RESULT_DATA_OFFSET));
  } else {
    writeScalarSlot(view, RESULT_HEADER_SIZE, type, value);
  }
  return reply;
}

export type DecodedResult =
  | { ok: true; value: GuestValue }
  | { ok: false; status: number; message: string };

/** Validates and decodes an MVR1 return record against the called function's signature. */
export function decodeResult(record: OutputRecord, signature: FunctionSignature): DecodedResult {
  const magic = record.u32(0, 'magic');
  if (magic !== MAGIC.result) record.fail(`magic is ${hex(magic)}, expected ${hex(MAGIC.result)} ("MVR1")`);
  const status = record.u32(4, 'status');
  if (status > 2) record.fail(`status ${status} is not 0 (ok), 1 (unknown function) or 2 (bad arguments)`);
  if (status !== 0) {
    const { value } = record.slot(RESULT_HEADER_SIZE, 'error message', 'string');
    return { ok: false, status, message: value as string };
  }
  const { value } = record.slot(RESULT_HEADER_SIZE, () => `return value of ${signature.name}`, signature.returnType);
  return { ok: true, value };
}

/** Decodes an MVAB abort record. */
export function decodeAbort(record: OutputRecord): { code: number; message: string } {
  const magic = record.u32(0, 'magic');
  if (magic !== MAGIC.abort) record.fail(`magic is ${hex(magic)}, expected ${hex(MAGIC.abort)} ("MVAB")`);
  const code = record.view.getInt32(4, true);
  const length = record.u32(8, 'message length');
  const data = record.dataAt(record.base + 16n, length, () => `abort message (length ${length})`);
  return { code, message: record.decodeUtf8(data, 'abort message') };
}

/** The bytes used, from a record header's total field (offset 4 for MVH1, 8 for MVR1), checked. */
export function recordTotal(header: DataView, offset: number, outputSize: number, what: string, minimum: number): number {
  const total = header.getUint32(offset, true);
  if (total < minimum || total > outputSize) {
    throw new MicroVmError('BAD_HOST_CALL', `${what}: total size ${total} is outside ${minimum}..${outputSize} (the output buffer size)`);
  }
  return total;
}
