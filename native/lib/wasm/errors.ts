// The error of a module that cannot become a guest: malformed, invalid, or using what the
// translator does not support. The message names the file, the section, the byte offset and,
// inside code, the function; `code` is WASM_INVALID so hosts tell it from other failures.
import { MicroVmError } from '../errors';

export interface WasmLocation {
  /** The module's file, when it came from one. */
  readonly file?: string;
  /** The section, e.g. 'code', 'custom section "name"'. */
  readonly section?: string;
  /** Byte offset in the module. */
  readonly offset?: number;
  /** The function, e.g. 'func 3 (Fibonacci)'. */
  readonly function?: string;
}

export class WasmError extends MicroVmError {
  constructor(
    readonly problem: string,
    readonly location: WasmLocation = {},
  ) {
    super('WASM_INVALID', describe(problem, location));
    this.name = 'WasmError';
  }

  /** The same problem, with the location filled in where it was unknown. */
  within(location: WasmLocation): WasmError {
    return new WasmError(this.problem, { ...location, ...stripUndefined(this.location) });
  }
}

function stripUndefined(location: WasmLocation): WasmLocation {
  return Object.fromEntries(Object.entries(location).filter(([, v]) => v !== undefined)) as WasmLocation;
}

function describe(problem: string, location: WasmLocation): string {
  const where = [
    location.section !== undefined ? `${location.section} section` : undefined,
    location.function,
    location.offset !== undefined ? `offset 0x${location.offset.toString(16)}` : undefined,
  ].filter((part) => part !== undefined);
  return `${location.file ? `${location.file}: ` : ''}${where.length > 0 ? `${where.join(', ')}: ` : ''}${problem}`;
}
