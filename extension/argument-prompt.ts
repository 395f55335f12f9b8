// Asks for a guest function's arguments in one input box, checked against its signature as they
// are typed (the same conversion as `microvm run`).
import * as vscode from 'vscode';
import type { FunctionSignature, GuestValue } from '../native/lib/types';
import { convertArguments, formatSignature, splitArguments, toJsonValue, type JsonValue } from '../native/lib/presentation';

/** The converted arguments, or undefined when the user cancels. */
export async function askArguments(fn: FunctionSignature): Promise<GuestValue[] | undefined> {
  if (fn.paramTypes.length === 0) return [];
  const parse = (line: string): GuestValue[] => convertArguments(fn, splitArguments(line));
  const line = await vscode.window.showInputBox({
    title: formatSignature(fn),
    prompt: 'Arguments separated by spaces; quote strings with spaces; bytes as 0xdeadbeef',
    ignoreFocusOut: true,
    validateInput: (value) => {
      try {
        parse(value);
        return undefined;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    },
  });
  if (line === undefined) return undefined;
  return parse(line); // validateInput accepted it
}

/** Arguments as a launch configuration carries them (the JSON that launch configurations accept). */
export function launchArguments(values: readonly GuestValue[]): JsonValue[] {
  return values.map((value) => toJsonValue(value));
}
