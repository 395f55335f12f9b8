// Where a function's prologue ends, for breakpoints on its first line (as gdb places them on
// x86-64): the first line row flagged prologue_end; else, after `push %rbp; mov %rsp,%rbp`
// (optionally behind endbr64), the start of the next line row; else, for a frameless function,
// its entry.
import type { Die } from './die';
import { entryPc } from './functions';
import type { LineTable } from './line-table';
import type { Unit } from './unit';

/** The link-time address where the prologue of the function `die` ends. */
export function prologueEnd(table: LineTable, unit: Unit, die: Die, readCode: (link: bigint, length: number) => Uint8Array | undefined): bigint | undefined {
  const entry = entryPc(unit, die);
  const seq = table.sequenceAt(entry);
  if (!seq) return undefined;
  const ranges = unit.pcRanges(die);
  const inFunction = (a: bigint): boolean => ranges.some((r) => a >= r.low && a < r.high);
  const flagged = seq.rows.find((r) => r.prologueEnd && r.address >= entry && inFunction(r.address));
  if (flagged) return flagged.address;
  const code = readCode(entry, 16);
  if (!code) return entry;
  let at = 0;
  if (code[0] === 0xf3 && code[1] === 0x0f && code[2] === 0x1e && code[3] === 0xfa) at = 4; // endbr64
  if (code[at] !== 0x55) return entry; // push %rbp
  const [rex, op, modrm] = code.subarray(at + 1, at + 4);
  const movRspRbp = rex === 0x48 && ((op === 0x89 && modrm === 0xe5) || (op === 0x8b && modrm === 0xec));
  if (!movRspRbp) return entry;
  const afterFrame = entry + BigInt(at + 4);
  const row = table.lookup(afterFrame);
  if (!row || row.address === afterFrame) return afterFrame;
  return inFunction(row.end) ? row.end : afterFrame; // mid-row: the next row
}
