// The registry of host functions a guest may call: the built-in HostPrint plus the user's.
import { MicroVmError } from './errors';
import type { GuestValue, HostFunction, ValueType } from './types';
import { VALUE_TYPES } from './types';
import { formatSignature } from './presentation/values';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export class HostFunctionRegistry {
  private readonly functions = new Map<string, HostFunction>();

  constructor(userFunctions: readonly HostFunction[], print: (text: string) => void) {
    this.add({
      name: 'HostPrint',
      paramTypes: ['string'],
      returnType: 'i32',
      implementation: (text: GuestValue) => {
        print(text as string);
        return Buffer.byteLength(text as string, 'utf8');
      },
    });
    for (const fn of userFunctions) this.add(fn);
  }

  private add(fn: HostFunction): void {
    const problem = (message: string) => new MicroVmError('INVALID_OPTIONS', `host function ${JSON.stringify(fn.name)}: ${message}`);
    if (typeof fn.name !== 'string' || !IDENTIFIER.test(fn.name)) throw problem('the name must be an identifier of at most 63 characters');
    if (this.functions.has(fn.name)) throw problem('is registered twice (HostPrint is built in)');
    if (!VALUE_TYPES.includes(fn.returnType)) throw problem(`return type ${String(fn.returnType)} is not a type`);
    if (!Array.isArray(fn.paramTypes) || fn.paramTypes.length > 16) throw problem('paramTypes must be an array of at most 16 types');
    fn.paramTypes.forEach((type: ValueType, index: number) => {
      if (!VALUE_TYPES.includes(type) || type === 'void') throw problem(`parameter ${index + 1} has type ${String(type)}, which is not a parameter type`);
    });
    if (typeof fn.implementation !== 'function') throw problem('implementation must be a function');
    this.functions.set(fn.name, fn);
  }

  get(name: string): HostFunction | undefined {
    return this.functions.get(name);
  }

  names(): string[] {
    return [...this.functions.keys()];
  }

  static signature(fn: HostFunction): string {
    return formatSignature(fn);
  }
}
