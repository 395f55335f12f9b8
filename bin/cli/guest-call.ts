// Resolving a guest function by name and converting command-line texts to its argument values,
// for the commands that call guest functions (run, bench).
import { inspectGuest } from '../../native/lib';
import { ArgumentError, convertArguments, formatSignature } from '../../native/lib/presentation';
import type { FunctionSignature, GuestFile, GuestValue } from '../../native/lib/types';
import { UsageError } from './args';

export function findFunction(elf: string | GuestFile, name: string): FunctionSignature {
  const { functions } = inspectGuest(elf);
  const signature = functions.find((f) => f.name === name);
  if (!signature) {
    const known = functions.map(formatSignature).join(', ') || 'none';
    throw new UsageError(`the guest has no function '${name}' (functions: ${known})`);
  }
  return signature;
}

export function convert(signature: FunctionSignature, texts: readonly string[]): GuestValue[] {
  try {
    return convertArguments(signature, texts);
  } catch (err) {
    if (err instanceof ArgumentError) throw new UsageError(err.message);
    throw err;
  }
}
