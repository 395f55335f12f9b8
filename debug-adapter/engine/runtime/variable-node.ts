// One row of a variables view, whatever it shows (a C variable, a register, a host call): its
// text, its type, and, when it expands, its children fetched a page at a time.

export interface VariableNode {
  readonly name: string;
  readonly value: string;
  readonly type?: string;
  /** The address the row refers to: a pointer's target, or where the object lives. */
  readonly memoryReference?: bigint;
  /** Where the row's object lives in memory (what a data breakpoint on it watches). */
  readonly dataLocation?: { readonly address: bigint; readonly size: number };
  /** An expression that evaluates to this row (for watch and copy-as-expression). */
  readonly evaluateName?: string;
  /** How many children it has (0: it does not expand). */
  readonly childCount: number;
  children?(start: number, count: number): VariableNode[];
  /** Writes a new value given as text and returns the row as it is afterwards; absent: read-only. */
  set?(text: string): VariableNode;
  /** The row holds a value the user cannot change (registers of an outer frame, a core file). */
  readonly readOnly?: boolean;
}

/** A row without children. */
export function leaf(name: string, value: string, extra: Partial<VariableNode> = {}): VariableNode {
  return { name, value, childCount: 0, ...extra };
}

/** A row whose children are a fixed list. */
export function group(name: string, value: string, rows: () => readonly VariableNode[], extra: Partial<VariableNode> = {}): VariableNode {
  let cached: readonly VariableNode[] | undefined;
  const all = () => (cached ??= rows());
  return {
    name,
    value,
    ...extra,
    get childCount() {
      return all().length;
    },
    children: (start, count) => all().slice(start, start + count),
  };
}
