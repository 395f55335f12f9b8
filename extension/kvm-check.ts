// Says once, with the fix, when /dev/kvm is missing or not accessible: nothing can run then.
import * as vscode from 'vscode';
import { checkKvm } from '../native/lib';

export function checkKvmOnce(context: vscode.ExtensionContext): void {
  let problem: string | undefined;
  try {
    checkKvm();
  } catch (error) {
    problem = (error as Error).message;
  }
  if (!problem) return;
  const key = 'microvm.kvmProblemShown';
  // Once per problem: a machine that stays without KVM is not nagged in every window.
  if (context.globalState.get<string>(key) === problem) return;
  void context.globalState.update(key, problem);
  void vscode.window.showWarningMessage(`Micro-VM: guests cannot run here: ${problem}`);
}
