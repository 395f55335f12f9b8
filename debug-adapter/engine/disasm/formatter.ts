// The iced-x86 formatter configured to read like objdump -d -M intel (or AT&T): lower-case
// mnemonics and registers, upper-case size keywords, 0x hex, no space after commas, [rip+disp].
import type { Formatter } from 'iced-x86';
import { loadIced } from './iced';
import type { AsmSyntax } from './types';

export function createFormatter(syntax: AsmSyntax): Formatter {
  const { Formatter, FormatterSyntax, MemorySizeOptions } = loadIced();
  const formatter = new Formatter(syntax === 'att' ? FormatterSyntax.Gas : FormatterSyntax.Intel);
  formatter.hexPrefix = '0x';
  formatter.hexSuffix = '';
  formatter.uppercaseHex = false;
  formatter.branchLeadingZeros = false;
  formatter.displacementLeadingZeros = false;
  formatter.leadingZeros = false;
  formatter.smallHexNumbersInDecimal = false;
  formatter.spaceAfterOperandSeparator = false;
  formatter.ripRelativeAddresses = true;
  if (syntax === 'intel') {
    formatter.memorySizeOptions = MemorySizeOptions.Always;
    formatter.uppercaseKeywords = true;
  }
  return formatter;
}
