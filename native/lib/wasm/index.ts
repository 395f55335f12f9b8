// WebAssembly guests: a module is translated ahead of time into a native guest (C, compiled with
// the C SDK) and cached by its hash; see docs/wasm-guests.md.
export { isWasmModule, decodeModule } from './decoder';
export { WasmError } from './errors';
export { translateModule, type Translation } from './translate';
export { wasmGuest, wasmCacheDir, type WasmGuest, type WasmGuestOptions } from './cache';
export { wasmTrapError, TRAP_KINDS, WASM_TRAP_ABORT_CODE } from './traps';
export { parseDeclarations, declaredSignatures } from './signatures';
export type { HostImport, GuestExport } from './signatures';
export { resolveWasmProgram } from './program';
