// For tools that take a guest file by path (the debug adapter's "program"): a .wasm module is
// replaced by its translated guest ELF, whose DWARF points into the module's sources.
import fs from 'node:fs';
import { isWasmModule } from './decoder';
import { wasmGuest } from './cache';

/** The ELF to use for `program`: itself, or the translated guest of a Wasm module. */
export function resolveWasmProgram(program: string): string {
  let head: Buffer;
  try {
    const fd = fs.openSync(program, 'r');
    try {
      head = Buffer.alloc(4);
      fs.readSync(fd, head, 0, 4, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return program; // the caller reports a missing or unreadable file in its own words
  }
  if (!isWasmModule(head)) return program;
  return wasmGuest(fs.readFileSync(program), { file: program }).elfPath;
}
