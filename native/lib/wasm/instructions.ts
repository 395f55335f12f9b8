// A function body after validation: every instruction with its byte offset, the operand stack
// height before it, and what the C emitter needs (operand types, branch targets). Instructions in
// unreachable code are marked dead: they are validated but emit nothing.
import type { MemoryOp, SimpleOp } from './opcodes';
import type { ValType } from './module';

/** Where a branch goes: the label's frame, the stack height it restores and the values it carries. */
export interface BranchTarget {
  readonly frame: number;
  /** 'loop' branches go to the loop's start; others to the frame's end. */
  readonly kind: 'block' | 'loop' | 'if' | 'function';
  readonly height: number;
  readonly values: readonly ValType[];
}

interface Base {
  readonly offset: number;
  /** Operand stack height before the instruction. */
  readonly height: number;
  readonly dead: boolean;
}

export type Instr = Base &
  (
    | { readonly op: 'unreachable' | 'nop' | 'return' | 'drop' }
    | { readonly op: 'block' | 'loop'; readonly frame: number; readonly results: readonly ValType[] }
    | { readonly op: 'if'; readonly frame: number; readonly results: readonly ValType[] }
    | { readonly op: 'else'; readonly frame: number }
    | { readonly op: 'end'; readonly frame: number; readonly kind: BranchTarget['kind']; readonly results: readonly ValType[]; readonly frameHeight: number }
    | { readonly op: 'br' | 'br_if'; readonly target: BranchTarget }
    | { readonly op: 'br_table'; readonly targets: readonly BranchTarget[]; readonly fallback: BranchTarget }
    | { readonly op: 'call'; readonly func: number }
    | { readonly op: 'call_indirect'; readonly typeIndex: number }
    | { readonly op: 'select'; readonly type: ValType }
    | { readonly op: 'local.get' | 'local.set' | 'local.tee'; readonly local: number }
    | { readonly op: 'global.get' | 'global.set'; readonly global: number }
    | { readonly op: 'load' | 'store'; readonly memory: MemoryOp; readonly memOffset: number }
    | { readonly op: 'memory.size' | 'memory.grow' | 'memory.copy' | 'memory.fill' }
    | { readonly op: 'const'; readonly type: ValType; readonly bits: bigint }
    | { readonly op: 'numeric'; readonly numeric: SimpleOp }
  );
