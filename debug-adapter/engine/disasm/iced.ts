// Loads iced-x86 on first use. It is required at run time from node_modules rather than bundled:
// its JavaScript reads iced_x86_bg.wasm from its own directory, which a bundle would not have, and
// loading it lazily keeps the wasm out of processes that never disassemble.
import type * as IcedX86 from 'iced-x86';

export type Iced = typeof IcedX86;

let iced: Iced | undefined;

export function loadIced(): Iced {
  // `module.require` (not a literal `require('iced-x86')`) so bundlers leave the call alone.
  iced ??= module.require('iced-x86') as Iced;
  return iced;
}
