// The one error type of expression evaluation and assignment. Messages follow gdb's wording where
// gdb has one (`No symbol "foo" in current context.`, `Division by zero`, `Cannot access memory at
// address 0x0`); syntax errors name the column (1-based) where parsing failed.
export class EvaluationError extends Error {
  constructor(
    message: string,
    /** 1-based column in the expression text, for syntax errors. */
    readonly column?: number,
  ) {
    super(message);
    this.name = 'EvaluationError';
  }
}
