// What the disassembler produces: one decoded instruction, formatted, with its branch and memory targets.

export type AsmSyntax = 'intel' | 'att';

/** A symbol an address falls in: `name` plus `offset` (objdump's `<name+0x10>`). */
export interface SymbolReference {
  readonly name: string;
  readonly offset: bigint;
}

/** Names addresses for branch targets and RIP-relative operands; undefined leaves them bare. */
export type Symbolizer = (address: bigint) => SymbolReference | undefined;

export interface DisassembledInstruction {
  readonly address: bigint;
  readonly length: number;
  readonly bytes: Uint8Array;
  /** With prefixes, e.g. 'rep stosq', 'notrack jmp'; '(bad)' for bytes that do not decode. */
  readonly mnemonic: string;
  /** Operands as formatted, branch targets symbolized: 'rax,QWORD PTR [rbp-0x8]', '0x401136 <foo>'. */
  readonly operands: string;
  /** `mnemonic operands`, plus objdump's `# 0x404028 <sink>` comment for RIP-relative operands. */
  readonly text: string;
  /** Target of a direct jump, call or conditional branch. */
  readonly branchTarget?: bigint;
  /** Absolute address of a RIP-relative memory operand. */
  readonly memoryTarget?: bigint;
  readonly kind: InstructionKind;
  /** False for bytes that are not a valid instruction. */
  readonly valid: boolean;
}

export type InstructionKind = 'other' | 'jump' | 'conditional-jump' | 'indirect-jump' | 'call' | 'indirect-call' | 'return' | 'interrupt' | 'exception';
