// The DWARF engine: reads DWARF 4/5 from any x86-64 ELF (gcc, clang; compressed sections too) and
// answers what a debugger asks. No DAP or VS Code types here; addresses are bigints.
//
//   const info = DebugInfo.fromFile('guest.elf');               // { loadBias } for a relocated PIE
//   info.lineForAddress(pc)        → { file, line, column, discriminator, isStmt, address, end }
//   info.addressesForLine('shapes.c', 44, { skipPrologue: true })
//                                  → { line, file, addresses }: where gdb would break
//   info.functionAt(pc)            → frames, innermost (inlined) first: name, ranges, entryPc,
//                                    call site, and the location in each frame
//   info.scopesAt(pc)              → scopes innermost first (frame index into functionAt), each
//                                    with its parameters and locals
//   info.variableValue(v, frame)   → { text: as `info locals`, printText: as `print`, type,
//                                    location, object }; frame = { pc, readRegister, readMemory,
//                                    cfa?, frameBase?, caller? } (caller: for entry values)
//   info.globals(), info.ptype(t), typeName(t), formatValue(t, bytes, env)
//   NamedEntities.of(info).type('struct', 'point') / .enumerator('BLUE') / .function('main')
//
// Correctness is checked against llvm-dwarfdump (line rows), llvm-symbolizer (lines, inline
// chains), gdb (breakpoints, variables, types, values) and binutils addr2line (BinutilsAddr2line
// reproduces its output exactly, quirks included; use DebugInfo for debugger answers).
//
// Lower layers (DwarfFile, units, DIEs, line programs, expressions) are exported for tools.

// The debugger facade
export { DebugInfo } from './debug-info';
export type { DebugInfoOptions, FunctionFrame, Variable, Scope, FrameContext, CallerFrame, VariableValue, LineAddresses } from './debug-info';
export type { SourceLocation, LineLookup } from './line-table';

// Expressions and values
export { evaluateExpression } from './expression';
export type { EvaluationContext, ExpressionEnvironment, Location, SimpleLocation, Piece, Unavailable, TypedInfo } from './expression';
export { readObject } from './value-bytes';
export { registerSize } from '../shared/dwarf-registers';
export type { ObjectBytes, ReadFailure } from './value-bytes';
export { formatValue, formatCharArray, escapeChar, printPrefix } from './format';
export type { FormatEnvironment } from './format';
export { formatFloat, formatIeeeBits } from './float-format';

// Rust (DW_LANG_Rust units): path names, enum layouts, gdb's Rust printer
export { isRustUnit, rustPath } from './rust-names';
export { rustTypeInfo, activeVariant } from './rust-types';
export type { RustTypeInfo, RustEnumLayout, RustVariant } from './rust-types';
export { rustTypeName } from './rust-type-names';
export { formatRustValue, isRustType, isRustSlice } from './rust-format';
export { demangleRustLegacy } from './rust-demangle';

// Types
export { TypeResolver, typeName, ptype, byteSizeOf, stripTypedefs, stripQualifiers, canonicalBaseName } from './types';
export { NamedEntities } from './named-entities';
export type { NamedTypeKind, NamedEnumerator, NamedFunction } from './named-entities';
export type { TypeInfo, BaseType, PointerType, TypedefType, QualifiedType, ArrayType, CompositeType, Member, EnumType, FunctionType } from './types';

// The DWARF file model
export { DwarfFile } from './dwarf-file';
export { Unit } from './unit';
export { Die } from './die';
export type { Attribute } from './die';
export { loadDebugSections } from './sections';
export type { DebugSections } from './sections';
export { readRangeList, readLocationList } from './lists';
export type { AddressRange, LocationListEntry } from './lists';
export { LineTable } from './line-table';
export { decodeLineProgram, readLineProgramHeader, lineFilePath } from './line-program';
export type { LineProgram, LineProgramHeader, LineRow, LineFileEntry } from './line-program';
export { dieName, linkageName, inheritedAttribute } from './die-attributes';
export { DwarfFormatError } from './errors';
export * as dwarfConstants from './constants';

// binutils-compatible addr2line (exact output of GNU addr2line 2.40)
export { BinutilsAddr2line, formatAddr2line } from './binutils/addr2line';
export type { Addr2lineFrame, Addr2lineResult, Addr2lineFormat } from './binutils/addr2line';
