/*
 * wasm_rt.h - the native runtime of translated Wasm guests (docs/wasm-guests.md).
 *
 * The host's Wasm translator (native/lib/wasm/) turns a module into one C file that includes only
 * this header; wasm_rt.c implements it on top of the C SDK (guest-templates/sdk/c). Everything
 * here is named wasm_rt_* / WASM_RT_*, because the generated file names its functions after the
 * module's (memcpy, malloc, HostPrint, ... are ordinary names in a module) and must not see the
 * C SDK's declarations.
 *
 * The per-instruction helpers are macros, not inline functions: at -O0 an inline function is a
 * real call with its own line information, which the debugger would step into.
 */
#ifndef WASM_RT_H
#define WASM_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The abort code of a trap (the C SDK uses 1-3, the Rust SDK 4). */
#define WASM_RT_ABORT_CODE_TRAP 5

/* Trap kinds; wasm_rt.c has their words, which the host maps back (native/lib/wasm/traps.ts). */
enum {
  WASM_RT_TRAP_UNREACHABLE = 0,
  WASM_RT_TRAP_OOB_MEMORY = 1,
  WASM_RT_TRAP_DIV_BY_ZERO = 2,
  WASM_RT_TRAP_INT_OVERFLOW = 3,
  WASM_RT_TRAP_INVALID_CONVERSION = 4,
  WASM_RT_TRAP_UNDEFINED_ELEMENT = 5,
  WASM_RT_TRAP_UNINITIALIZED_ELEMENT = 6,
  WASM_RT_TRAP_INDIRECT_CALL_TYPE = 7,
  WASM_RT_TRAP_CALL_STACK_EXHAUSTED = 8,
  WASM_RT_TRAP_OOB_TABLE = 9,
};

/* Ends the call with an abort record naming the trap and the Wasm function (by its index in the
 * module and the byte offset of the instruction in the module file). */
__attribute__((noreturn, cold)) void wasm_rt_trap(uint32_t kind, uint32_t func, uint32_t offset);

/* The linear memory: `wasm_rt_memory_size` bytes (pages * 64 KiB) at `wasm_rt_memory`. */
extern uint8_t *wasm_rt_memory;
extern uint64_t wasm_rt_memory_size;
extern uint32_t wasm_rt_pages;
/* The lowest frame address a Wasm function may start at (the stack's bottom plus a margin). */
extern uintptr_t wasm_rt_stack_limit;

/* Supplied by the generated file: the module's function names, by function index. */
extern const char *const wasm_rt_function_names[];
extern const uint32_t wasm_rt_function_count;

/* ---- per-instruction helpers -------------------------------------------------------------- */

#define WASM_RT_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Function entry: traps when the frame of `frame_bytes` would come near the stack's end. */
#define WASM_RT_ENTER(frame_bytes, fn, at)                                                          \
  do {                                                                                              \
    if (WASM_RT_UNLIKELY((uintptr_t)__builtin_frame_address(0) - (frame_bytes) < wasm_rt_stack_limit)) \
      wasm_rt_trap(WASM_RT_TRAP_CALL_STACK_EXHAUSTED, fn, at);                                     \
  } while (0)

/* The address of an access of `n` bytes at addr + offset, bounds-checked. */
#define WASM_RT_EA(addr, offset, n, fn, at)                                                        \
  ({                                                                                                \
    uint64_t wasm_rt_ea_ = (uint64_t)(uint32_t)(addr) + (uint64_t)(offset);                         \
    if (WASM_RT_UNLIKELY(wasm_rt_ea_ + (n) > wasm_rt_memory_size)) wasm_rt_trap(WASM_RT_TRAP_OOB_MEMORY, fn, at); \
    wasm_rt_memory + wasm_rt_ea_;                                                                   \
  })

#define WASM_RT_LOAD(ctype, addr, offset, fn, at)                                                  \
  ({                                                                                                \
    ctype wasm_rt_v_;                                                                               \
    __builtin_memcpy(&wasm_rt_v_, WASM_RT_EA(addr, offset, sizeof(ctype), fn, at), sizeof(ctype)); \
    wasm_rt_v_;                                                                                     \
  })

#define WASM_RT_STORE(ctype, addr, offset, value, fn, at)                                          \
  do {                                                                                              \
    ctype wasm_rt_v_ = (ctype)(value);                                                              \
    __builtin_memcpy(WASM_RT_EA(addr, offset, sizeof(ctype), fn, at), &wasm_rt_v_, sizeof(ctype)); \
  } while (0)

#define WASM_RT_DIV_S(bits, a, b, fn, at)                                                          \
  ({                                                                                                \
    if (WASM_RT_UNLIKELY((b) == 0)) wasm_rt_trap(WASM_RT_TRAP_DIV_BY_ZERO, fn, at);                 \
    if (WASM_RT_UNLIKELY((int##bits##_t)(a) == INT##bits##_MIN && (int##bits##_t)(b) == -1))        \
      wasm_rt_trap(WASM_RT_TRAP_INT_OVERFLOW, fn, at);                                              \
    (uint##bits##_t)((int##bits##_t)(a) / (int##bits##_t)(b));                                      \
  })
#define WASM_RT_DIV_U(a, b, fn, at)                                                                \
  ({                                                                                                \
    if (WASM_RT_UNLIKELY((b) == 0)) wasm_rt_trap(WASM_RT_TRAP_DIV_BY_ZERO, fn, at);                 \
    (a) / (b);                                                                                      \
  })
/* INT_MIN % -1 is 0 in Wasm; in C (and on x86) it overflows. */
#define WASM_RT_REM_S(bits, a, b, fn, at)                                                          \
  ({                                                                                                \
    if (WASM_RT_UNLIKELY((b) == 0)) wasm_rt_trap(WASM_RT_TRAP_DIV_BY_ZERO, fn, at);                 \
    (int##bits##_t)(b) == -1 ? (uint##bits##_t)0 : (uint##bits##_t)((int##bits##_t)(a) % (int##bits##_t)(b)); \
  })
#define WASM_RT_REM_U(a, b, fn, at)                                                                \
  ({                                                                                                \
    if (WASM_RT_UNLIKELY((b) == 0)) wasm_rt_trap(WASM_RT_TRAP_DIV_BY_ZERO, fn, at);                 \
    (a) % (b);                                                                                      \
  })

/* Bit casts between floats and their IEEE bits. */
#define WASM_RT_F32_BITS(x) ({ union { float f; uint32_t u; } wasm_rt_c_ = {.f = (x)}; wasm_rt_c_.u; })
#define WASM_RT_BITS_F32(x) ({ union { float f; uint32_t u; } wasm_rt_c_ = {.u = (x)}; wasm_rt_c_.f; })
#define WASM_RT_F64_BITS(x) ({ union { double f; uint64_t u; } wasm_rt_c_ = {.f = (x)}; wasm_rt_c_.u; })
#define WASM_RT_BITS_F64(x) ({ union { double f; uint64_t u; } wasm_rt_c_ = {.u = (x)}; wasm_rt_c_.f; })

#define WASM_RT_F32_ABS(x) WASM_RT_BITS_F32(WASM_RT_F32_BITS(x) & 0x7fffffffu)
#define WASM_RT_F64_ABS(x) WASM_RT_BITS_F64(WASM_RT_F64_BITS(x) & 0x7fffffffffffffffull)
#define WASM_RT_F32_NEG(x) WASM_RT_BITS_F32(WASM_RT_F32_BITS(x) ^ 0x80000000u)
#define WASM_RT_F64_NEG(x) WASM_RT_BITS_F64(WASM_RT_F64_BITS(x) ^ 0x8000000000000000ull)
#define WASM_RT_F32_COPYSIGN(a, b) \
  WASM_RT_BITS_F32((WASM_RT_F32_BITS(a) & 0x7fffffffu) | (WASM_RT_F32_BITS(b) & 0x80000000u))
#define WASM_RT_F64_COPYSIGN(a, b) \
  WASM_RT_BITS_F64((WASM_RT_F64_BITS(a) & 0x7fffffffffffffffull) | (WASM_RT_F64_BITS(b) & 0x8000000000000000ull))
/* sqrtss/sqrtsd: IEEE square root without libm or errno. */
#define WASM_RT_F32_SQRT(x) ({ float wasm_rt_r_; __asm__("sqrtss %1, %0" : "=x"(wasm_rt_r_) : "x"((float)(x))); wasm_rt_r_; })
#define WASM_RT_F64_SQRT(x) ({ double wasm_rt_r_; __asm__("sqrtsd %1, %0" : "=x"(wasm_rt_r_) : "x"((double)(x))); wasm_rt_r_; })

#define WASM_RT_ROTL32(a, b) ((uint32_t)(((a) << ((b) & 31)) | ((a) >> ((32 - ((b) & 31)) & 31))))
#define WASM_RT_ROTR32(a, b) ((uint32_t)(((a) >> ((b) & 31)) | ((a) << ((32 - ((b) & 31)) & 31))))
#define WASM_RT_ROTL64(a, b) ((uint64_t)(((a) << ((b) & 63)) | ((a) >> ((64 - ((b) & 63)) & 63))))
#define WASM_RT_ROTR64(a, b) ((uint64_t)(((a) >> ((b) & 63)) | ((a) << ((64 - ((b) & 63)) & 63))))
#define WASM_RT_CLZ32(a) ((a) == 0 ? 32u : (uint32_t)__builtin_clz(a))
#define WASM_RT_CTZ32(a) ((a) == 0 ? 32u : (uint32_t)__builtin_ctz(a))
#define WASM_RT_CLZ64(a) ((a) == 0 ? 64ull : (uint64_t)__builtin_clzll(a))
#define WASM_RT_CTZ64(a) ((a) == 0 ? 64ull : (uint64_t)__builtin_ctzll(a))

/* ---- helpers with real function bodies (wasm_rt.c, built without line information so that
 *      the debugger steps over them) ------------------------------------------------------------ */

uint32_t wasm_rt_popcnt32(uint32_t x);
uint64_t wasm_rt_popcnt64(uint64_t x);
float wasm_rt_f32_ceil(float x);
float wasm_rt_f32_floor(float x);
float wasm_rt_f32_trunc(float x);
float wasm_rt_f32_nearest(float x);
double wasm_rt_f64_ceil(double x);
double wasm_rt_f64_floor(double x);
double wasm_rt_f64_trunc(double x);
double wasm_rt_f64_nearest(double x);
float wasm_rt_f32_min(float a, float b);
float wasm_rt_f32_max(float a, float b);
double wasm_rt_f64_min(double a, double b);
double wasm_rt_f64_max(double a, double b);

/* Float to integer: the trapping forms (NaN: invalid conversion, out of range: overflow) and
 * the saturating ones. */
uint32_t wasm_rt_i32_trunc_f32_s(float x, uint32_t fn, uint32_t at);
uint32_t wasm_rt_i32_trunc_f32_u(float x, uint32_t fn, uint32_t at);
uint32_t wasm_rt_i32_trunc_f64_s(double x, uint32_t fn, uint32_t at);
uint32_t wasm_rt_i32_trunc_f64_u(double x, uint32_t fn, uint32_t at);
uint64_t wasm_rt_i64_trunc_f32_s(float x, uint32_t fn, uint32_t at);
uint64_t wasm_rt_i64_trunc_f32_u(float x, uint32_t fn, uint32_t at);
uint64_t wasm_rt_i64_trunc_f64_s(double x, uint32_t fn, uint32_t at);
uint64_t wasm_rt_i64_trunc_f64_u(double x, uint32_t fn, uint32_t at);
uint32_t wasm_rt_i32_trunc_sat_f32_s(float x);
uint32_t wasm_rt_i32_trunc_sat_f32_u(float x);
uint32_t wasm_rt_i32_trunc_sat_f64_s(double x);
uint32_t wasm_rt_i32_trunc_sat_f64_u(double x);
uint64_t wasm_rt_i64_trunc_sat_f32_s(float x);
uint64_t wasm_rt_i64_trunc_sat_f32_u(float x);
uint64_t wasm_rt_i64_trunc_sat_f64_s(double x);
uint64_t wasm_rt_i64_trunc_sat_f64_u(double x);

/* memory.grow (old size in pages, or 0xffffffff), memory.copy, memory.fill. */
uint32_t wasm_rt_memory_grow(uint32_t delta);
void wasm_rt_memory_copy(uint32_t dst, uint32_t src, uint32_t n, uint32_t fn, uint32_t at);
void wasm_rt_memory_fill(uint32_t dst, uint32_t value, uint32_t n, uint32_t fn, uint32_t at);

/* ---- tables and call_indirect ------------------------------------------------------------- */

typedef struct wasm_rt_table_entry {
  void (*function)(void); /* NULL: uninitialised */
  uint32_t type;          /* the canonical type id of the function */
} wasm_rt_table_entry;

#define WASM_RT_INDIRECT(table, size, index, type_id, fn, at)                                      \
  ({                                                                                                \
    uint32_t wasm_rt_i_ = (index);                                                                  \
    if (WASM_RT_UNLIKELY(wasm_rt_i_ >= (size))) wasm_rt_trap(WASM_RT_TRAP_UNDEFINED_ELEMENT, fn, at); \
    if (WASM_RT_UNLIKELY((table)[wasm_rt_i_].function == NULL))                                     \
      wasm_rt_trap(WASM_RT_TRAP_UNINITIALIZED_ELEMENT, fn, at);                                     \
    if (WASM_RT_UNLIKELY((table)[wasm_rt_i_].type != (type_id)))                                    \
      wasm_rt_trap(WASM_RT_TRAP_INDIRECT_CALL_TYPE, fn, at);                                        \
    (table)[wasm_rt_i_].function;                                                                   \
  })

/* ---- instantiation (from the generated constructor, before the snapshot) ------------------- */

/* Allocates the linear memory: `min_pages`, growable to `max_pages` as far as the heap allows. */
void wasm_rt_init_memory(uint32_t min_pages, uint32_t max_pages);
/* Copies an active data segment; a segment outside the memory fails instantiation. */
void wasm_rt_init_data(uint32_t segment, uint32_t offset, const uint8_t *bytes, uint32_t length);
/* An active element segment outside its table fails instantiation. */
void wasm_rt_check_elements(uint32_t segment, uint32_t offset, uint32_t count, uint32_t table_size);

/* ---- the boundary with the host ------------------------------------------------------------- */

/* HostPrint(address of a NUL-terminated string in linear memory). */
uint32_t wasm_rt_host_print(uint32_t address, uint32_t fn, uint32_t at);
/* Any other imported host function, with the C SDK's type tags (i32 1, i64 3, f32 5, f64 6) and
 * the argument bits; returns the result's bits. */
uint64_t wasm_rt_host_call(const char *name, uint8_t return_tag, const uint8_t *tags, const uint64_t *bits, uint32_t count);

/* Arguments of guest functions, copied into linear memory (docs/wasm-guests.md). */
uint32_t wasm_rt_string_in(const char *s);
uint32_t wasm_rt_bytes_in(const uint8_t *data, uint64_t length);
/* Results: a NUL-terminated string, or packed bytes (length << 32 | address), in linear memory. */
const char *wasm_rt_string_out(uint32_t address, uint32_t fn);
typedef struct wasm_rt_bytes {
  const uint8_t *data;
  uint64_t len;
} wasm_rt_bytes;
wasm_rt_bytes wasm_rt_bytes_out(uint64_t packed, uint32_t fn);

/* A 96-byte entry of the guest's `.microvm.functions` table (docs/guest-abi.md). */
typedef struct wasm_rt_function_entry {
  uint32_t magic;
  uint8_t version;
  uint8_t return_type;
  uint8_t param_count;
  uint8_t reserved;
  uint8_t param_types[16];
  char name[64];
  void (*function)(void);
} wasm_rt_function_entry;

#define WASM_RT_FUNCTION_MAGIC 0x4E46564Du
#if defined(__GNUC__) && !defined(__clang__)
#define WASM_RT_ENTRY_ATTRS __attribute__((used, no_reorder, section(".microvm.functions"), aligned(8)))
#else
#define WASM_RT_ENTRY_ATTRS __attribute__((used, section(".microvm.functions"), aligned(8)))
#endif

#endif /* WASM_RT_H */
