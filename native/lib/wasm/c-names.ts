// C identifiers for the module's functions, globals and locals. The debugger shows them (frames,
// Locals, Globals), so they are the module's own names wherever C allows; otherwise the closest
// identifier, made unique with a suffix.

const C_KEYWORDS = new Set(
  ('auto break case char const continue default do double else enum extern float for goto if inline int long register ' +
    'restrict return short signed sizeof static struct switch typedef union unsigned void volatile while _Alignas _Alignof ' +
    '_Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local asm typeof __asm __asm__ __attribute__ ' +
    '__attribute __extension__ __inline __inline__ __int128 __label__ __real__ __imag__ __restrict __restrict__ __signed__ ' +
    '__typeof__ __typeof __volatile__ __alignof__ __builtin_va_list __func__ __FUNCTION__ __PRETTY_FUNCTION__ ' +
    'bool true false NULL int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t uintptr_t intptr_t size_t ptrdiff_t main').split(' '),
);

/** Prefixes of the runtime's and the emitter's own identifiers. */
const RESERVED_PREFIXES = ['wasm_rt_', 'WASM_RT_', 'wasm_x_', 'mv_', 'MV_', '__builtin', '__sync_', '__atomic_'];

/** The closest C identifier to `name` (not yet unique). */
export function cIdentifier(name: string): string {
  let id = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (id === '' || /^[0-9]/.test(id)) id = `_${id}`;
  if (C_KEYWORDS.has(id) || RESERVED_PREFIXES.some((p) => id.startsWith(p))) id = `${id}_`;
  return id.length > 200 ? id.slice(0, 200) : id;
}

/** A set of identifiers in one C scope; `claim` returns a unique one. */
export class CNamespace {
  private readonly used: Set<string>;

  constructor(parent?: CNamespace) {
    this.used = new Set(parent?.used);
  }

  has(id: string): boolean {
    return this.used.has(id);
  }

  claim(name: string, fallback?: string): string {
    const base = name === '' && fallback ? fallback : cIdentifier(name);
    let id = base;
    for (let i = 2; this.used.has(id); i++) id = `${base}_${i}`;
    this.used.add(id);
    return id;
  }
}
