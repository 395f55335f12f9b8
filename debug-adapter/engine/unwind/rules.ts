// The unwind table's vocabulary: how to find the CFA and each register of the caller (DWARF 5 §6.4.1).

export type CfaRule =
  | { readonly kind: 'register-offset'; readonly register: number; readonly offset: bigint }
  | { readonly kind: 'expression'; readonly expression: Uint8Array };

export type RegisterRule =
  | { readonly kind: 'undefined' }
  | { readonly kind: 'same-value' }
  /** Saved at CFA + offset. */
  | { readonly kind: 'offset'; readonly offset: bigint }
  /** The value is CFA + offset. */
  | { readonly kind: 'val-offset'; readonly offset: bigint }
  /** The value is in another register of this frame. */
  | { readonly kind: 'register'; readonly register: number }
  /** Saved at the address the expression computes (CFA pushed first). */
  | { readonly kind: 'expression'; readonly expression: Uint8Array }
  /** The value is what the expression computes (CFA pushed first). */
  | { readonly kind: 'val-expression'; readonly expression: Uint8Array };

/** One row of the table: the rules that hold for pcs in [start, end). */
export interface UnwindRow {
  readonly start: bigint;
  readonly end: bigint;
  readonly cfa: CfaRule;
  /** Rules by DWARF register number; a register without an entry has no rule (unspecified). */
  readonly registers: ReadonlyMap<number, RegisterRule>;
  /** DW_CFA_GNU_args_size in effect (bytes of outgoing arguments pushed), 0 when none. */
  readonly argsSize: bigint;
}
