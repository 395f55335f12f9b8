/*
 * wasm_rt.c - the native runtime of translated Wasm guests: traps, the linear memory, float
 * helpers, and the boundary with the host (HostPrint, host calls, string and bytes arguments).
 * Built with the C SDK's flags but without -g: its functions have no line information, so the
 * debugger steps over them as it steps over library code.
 */
#include "microvm.h"
#include "wasm_rt.h"

_Static_assert(sizeof(wasm_rt_function_entry) == sizeof(mv_function_entry), "wasm_rt_function_entry must match mv_function_entry");
_Static_assert(sizeof(wasm_rt_bytes) == sizeof(mv_bytes), "wasm_rt_bytes must match mv_bytes");

#define PAGE 65536u
/* Stack kept free below the last Wasm frame: the trap path (mv_abortf formats on the stack),
 * host calls and these helpers run there. */
#define STACK_MARGIN 12288u

uint8_t *wasm_rt_memory;
uint64_t wasm_rt_memory_size;
uint32_t wasm_rt_pages;
uintptr_t wasm_rt_stack_limit;
static uint32_t capacity_pages;

/* The words of each trap kind (the host maps them back: native/lib/wasm/traps.ts). */
static const char *const trap_words[] = {
    "unreachable executed",
    "out of bounds memory access",
    "integer divide by zero",
    "integer overflow",
    "invalid conversion to integer",
    "undefined element",
    "uninitialized element",
    "indirect call type mismatch",
    "call stack exhausted",
    "out of bounds table access",
};

void wasm_rt_trap(uint32_t kind, uint32_t func, uint32_t offset) {
  const char *words = kind < sizeof trap_words / sizeof trap_words[0] ? trap_words[kind] : "unknown trap";
  const char *name = func < wasm_rt_function_count && wasm_rt_function_names[func] ? wasm_rt_function_names[func] : "?";
  mv_abortf(WASM_RT_ABORT_CODE_TRAP, "wasm trap: %s in %s (function %u, offset 0x%x)", words, name, func, offset);
}

/* ---- instantiation ------------------------------------------------------------------------ */

void wasm_rt_init(void) {
  const mv_peb *peb = mv_get_peb();
  wasm_rt_stack_limit = (uintptr_t)peb->stack_bottom + STACK_MARGIN;
}

void wasm_rt_init_memory(uint32_t min_pages, uint32_t max_pages) {
  size_t available = mv_heap_largest_free();
  uint64_t fit = available > 64 ? (available - 64) / PAGE : 0;
  uint64_t capacity = fit < max_pages ? fit : max_pages;
  if (capacity < min_pages) {
    mv_abortf(MV_ABORT_CODE_RUNTIME,
              "the module's linear memory needs %u pages (%u KiB) but the guest heap has room for %u: "
              "give the sandbox more memory (memorySize, microvm run --memory-size)",
              min_pages, min_pages * 64u, (unsigned)fit);
  }
  if (capacity == 0) capacity = min_pages;
  wasm_rt_memory = malloc(capacity == 0 ? 1 : (size_t)capacity * PAGE);
  if (!wasm_rt_memory) mv_abort(MV_ABORT_CODE_RUNTIME, "cannot allocate the module's linear memory");
  capacity_pages = (uint32_t)capacity;
  wasm_rt_pages = min_pages;
  wasm_rt_memory_size = (uint64_t)min_pages * PAGE;
  memset(wasm_rt_memory, 0, (size_t)wasm_rt_memory_size);
}

void wasm_rt_init_data(uint32_t segment, uint32_t offset, const uint8_t *bytes, uint32_t length) {
  if ((uint64_t)offset + length > wasm_rt_memory_size) {
    mv_abortf(WASM_RT_ABORT_CODE_TRAP, "wasm trap: out of bounds memory access in instantiation (data segment %u at 0x%x, %u bytes; the memory has %u)",
              segment, offset, length, (unsigned)wasm_rt_memory_size);
  }
  memcpy(wasm_rt_memory + offset, bytes, length);
}

void wasm_rt_check_elements(uint32_t segment, uint32_t offset, uint32_t count, uint32_t table_size) {
  if ((uint64_t)offset + count > table_size) {
    mv_abortf(WASM_RT_ABORT_CODE_TRAP, "wasm trap: out of bounds table access in instantiation (element segment %u at %u, %u entries; the table has %u)",
              segment, offset, count, table_size);
  }
}

uint32_t wasm_rt_memory_grow(uint32_t delta) {
  uint32_t old = wasm_rt_pages;
  if (delta > capacity_pages - old) return 0xffffffffu;
  /* Pages past the current size were never written (a call that wrote them was rolled back with
   * the snapshot), so they are zero already. */
  wasm_rt_pages = old + delta;
  wasm_rt_memory_size = (uint64_t)wasm_rt_pages * PAGE;
  return old;
}

void wasm_rt_memory_copy(uint32_t dst, uint32_t src, uint32_t n, uint32_t fn, uint32_t at) {
  if ((uint64_t)dst + n > wasm_rt_memory_size || (uint64_t)src + n > wasm_rt_memory_size) wasm_rt_trap(WASM_RT_TRAP_OOB_MEMORY, fn, at);
  memmove(wasm_rt_memory + dst, wasm_rt_memory + src, n);
}

void wasm_rt_memory_fill(uint32_t dst, uint32_t value, uint32_t n, uint32_t fn, uint32_t at) {
  if ((uint64_t)dst + n > wasm_rt_memory_size) wasm_rt_trap(WASM_RT_TRAP_OOB_MEMORY, fn, at);
  memset(wasm_rt_memory + dst, (int)(value & 0xff), n);
}

/* ---- integers and floats ------------------------------------------------------------------ */

uint32_t wasm_rt_popcnt32(uint32_t x) {
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  x = (x + (x >> 4)) & 0x0f0f0f0fu;
  return (x * 0x01010101u) >> 24;
}

uint64_t wasm_rt_popcnt64(uint64_t x) {
  return wasm_rt_popcnt32((uint32_t)x) + wasm_rt_popcnt32((uint32_t)(x >> 32));
}

/* Rounding without libm or SSE4.1: values this large are integers already; smaller ones fit an
 * integer conversion (trunc) or the add-and-subtract trick (nearest, ties to even). */
#define F32_INTEGRAL 8388608.0f          /* 2^23 */
#define F64_INTEGRAL 4503599627370496.0  /* 2^52 */

float wasm_rt_f32_trunc(float x) {
  if (!(WASM_RT_F32_ABS(x) < F32_INTEGRAL)) return x + 0.0f; /* NaN (quietened), infinities, large */
  return WASM_RT_F32_COPYSIGN((float)(int32_t)x, x);
}
float wasm_rt_f32_floor(float x) {
  float t = wasm_rt_f32_trunc(x);
  return t > x ? t - 1.0f : t;
}
float wasm_rt_f32_ceil(float x) {
  float t = wasm_rt_f32_trunc(x);
  return t < x ? WASM_RT_F32_COPYSIGN(t + 1.0f, x) : t;
}
float wasm_rt_f32_nearest(float x) {
  float a = WASM_RT_F32_ABS(x);
  if (!(a < F32_INTEGRAL)) return x + 0.0f;
  volatile float r = a + F32_INTEGRAL; /* volatile: the sum must be rounded to float */
  return WASM_RT_F32_COPYSIGN(r - F32_INTEGRAL, x);
}
double wasm_rt_f64_trunc(double x) {
  if (!(WASM_RT_F64_ABS(x) < F64_INTEGRAL)) return x + 0.0;
  return WASM_RT_F64_COPYSIGN((double)(int64_t)x, x);
}
double wasm_rt_f64_floor(double x) {
  double t = wasm_rt_f64_trunc(x);
  return t > x ? t - 1.0 : t;
}
double wasm_rt_f64_ceil(double x) {
  double t = wasm_rt_f64_trunc(x);
  return t < x ? WASM_RT_F64_COPYSIGN(t + 1.0, x) : t;
}
double wasm_rt_f64_nearest(double x) {
  double a = WASM_RT_F64_ABS(x);
  if (!(a < F64_INTEGRAL)) return x + 0.0;
  volatile double r = a + F64_INTEGRAL;
  return WASM_RT_F64_COPYSIGN(r - F64_INTEGRAL, x);
}

/* min/max: NaN if either is NaN; -0 is below +0. */
float wasm_rt_f32_min(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return WASM_RT_BITS_F32(WASM_RT_F32_BITS(a) | WASM_RT_F32_BITS(b));
  return a < b ? a : b;
}
float wasm_rt_f32_max(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return WASM_RT_BITS_F32(WASM_RT_F32_BITS(a) & WASM_RT_F32_BITS(b));
  return a > b ? a : b;
}
double wasm_rt_f64_min(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return WASM_RT_BITS_F64(WASM_RT_F64_BITS(a) | WASM_RT_F64_BITS(b));
  return a < b ? a : b;
}
double wasm_rt_f64_max(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return WASM_RT_BITS_F64(WASM_RT_F64_BITS(a) & WASM_RT_F64_BITS(b));
  return a > b ? a : b;
}

/* Float to integer: NaN is an invalid conversion; values outside the range (exclusive bounds:
 * the first value that truncates out of range) overflow. */
#define TRUNC(name, ftype, rtype, ctype, lo, hi)                                     \
  rtype name(ftype x, uint32_t fn, uint32_t at) {                                    \
    if (x != x) wasm_rt_trap(WASM_RT_TRAP_INVALID_CONVERSION, fn, at);               \
    if (!(x > (lo) && x < (hi))) wasm_rt_trap(WASM_RT_TRAP_INT_OVERFLOW, fn, at);    \
    return (rtype)(ctype)x;                                                           \
  }
TRUNC(wasm_rt_i32_trunc_f32_s, float, uint32_t, int32_t, -2147483904.0f, 2147483648.0f)
TRUNC(wasm_rt_i32_trunc_f32_u, float, uint32_t, uint32_t, -1.0f, 4294967296.0f)
TRUNC(wasm_rt_i32_trunc_f64_s, double, uint32_t, int32_t, -2147483649.0, 2147483648.0)
TRUNC(wasm_rt_i32_trunc_f64_u, double, uint32_t, uint32_t, -1.0, 4294967296.0)
TRUNC(wasm_rt_i64_trunc_f32_s, float, uint64_t, int64_t, -9223373136366403584.0f, 9223372036854775808.0f)
TRUNC(wasm_rt_i64_trunc_f32_u, float, uint64_t, uint64_t, -1.0f, 18446744073709551616.0f)
TRUNC(wasm_rt_i64_trunc_f64_s, double, uint64_t, int64_t, -9223372036854777856.0, 9223372036854775808.0)
TRUNC(wasm_rt_i64_trunc_f64_u, double, uint64_t, uint64_t, -1.0, 18446744073709551616.0)

#define TRUNC_SAT(name, ftype, rtype, ctype, lo, hi, min, max) \
  rtype name(ftype x) {                                        \
    if (x != x) return 0;                                      \
    if (!(x > (lo))) return (rtype)(min);                      \
    if (!(x < (hi))) return (rtype)(max);                      \
    return (rtype)(ctype)x;                                    \
  }
TRUNC_SAT(wasm_rt_i32_trunc_sat_f32_s, float, uint32_t, int32_t, -2147483904.0f, 2147483648.0f, INT32_MIN, INT32_MAX)
TRUNC_SAT(wasm_rt_i32_trunc_sat_f32_u, float, uint32_t, uint32_t, -1.0f, 4294967296.0f, 0, UINT32_MAX)
TRUNC_SAT(wasm_rt_i32_trunc_sat_f64_s, double, uint32_t, int32_t, -2147483649.0, 2147483648.0, INT32_MIN, INT32_MAX)
TRUNC_SAT(wasm_rt_i32_trunc_sat_f64_u, double, uint32_t, uint32_t, -1.0, 4294967296.0, 0, UINT32_MAX)
TRUNC_SAT(wasm_rt_i64_trunc_sat_f32_s, float, uint64_t, int64_t, -9223373136366403584.0f, 9223372036854775808.0f, INT64_MIN, INT64_MAX)
TRUNC_SAT(wasm_rt_i64_trunc_sat_f32_u, float, uint64_t, uint64_t, -1.0f, 18446744073709551616.0f, 0, UINT64_MAX)
TRUNC_SAT(wasm_rt_i64_trunc_sat_f64_s, double, uint64_t, int64_t, -9223372036854777856.0, 9223372036854775808.0, INT64_MIN, INT64_MAX)
TRUNC_SAT(wasm_rt_i64_trunc_sat_f64_u, double, uint64_t, uint64_t, -1.0, 18446744073709551616.0, 0, UINT64_MAX)

/* ---- the boundary with the host ------------------------------------------------------------- */

/* The address of a NUL-terminated string in linear memory, or a trap when it runs off the end. */
static const char *string_at(uint32_t address, uint32_t fn, uint32_t at) {
  if (address >= wasm_rt_memory_size) wasm_rt_trap(WASM_RT_TRAP_OOB_MEMORY, fn, at);
  const uint8_t *start = wasm_rt_memory + address;
  const uint8_t *nul = start;
  const uint8_t *end = wasm_rt_memory + wasm_rt_memory_size;
  while (nul < end && *nul) nul++;
  if (nul == end) wasm_rt_trap(WASM_RT_TRAP_OOB_MEMORY, fn, at);
  return (const char *)start;
}

uint32_t wasm_rt_host_print(uint32_t address, uint32_t fn, uint32_t at) {
  return (uint32_t)HostPrint(string_at(address, fn, at));
}

uint64_t wasm_rt_host_call(const char *name, uint8_t return_tag, const uint8_t *tags, const uint64_t *bits, uint32_t count) {
  mv_value args[MV_MAX_HOST_CALL_ARGS];
  for (uint32_t i = 0; i < count && i < MV_MAX_HOST_CALL_ARGS; i++) {
    args[i].tag = tags[i];
    args[i].reserved[0] = args[i].reserved[1] = args[i].reserved[2] = 0;
    args[i].len = 0;
    /* i32 travels sign-extended (docs/guest-abi.md, "Values"). */
    args[i].as.u64 = tags[i] == MV_I32 ? (uint64_t)(int64_t)(int32_t)bits[i] : bits[i];
  }
  mv_value result;
  mv_host_call(name, (mv_type)return_tag, args, count, &result);
  return return_tag == 0 ? 0 : result.as.u64;
}

/* Argument data goes into pages the module did not have: memory grows by what it needs. */
static uint32_t copy_in(const uint8_t *data, uint64_t length, const char *what) {
  uint64_t pages = (length + PAGE - 1) / PAGE;
  if (pages == 0) pages = 1;
  uint32_t old = pages > 0xffffu ? 0xffffffffu : wasm_rt_memory_grow((uint32_t)pages);
  if (old == 0xffffffffu) {
    mv_abortf(MV_ABORT_CODE_RUNTIME,
              "no room in the module's linear memory for a %s argument of %u bytes (%u pages of %u are used): "
              "give the sandbox more memory (memorySize, microvm run --memory-size)",
              what, (unsigned)length, wasm_rt_pages, capacity_pages);
  }
  uint32_t address = old * PAGE;
  memcpy(wasm_rt_memory + address, data, (size_t)length);
  return address;
}

uint32_t wasm_rt_string_in(const char *s) {
  return copy_in((const uint8_t *)s, strlen(s) + 1, "string");
}

uint32_t wasm_rt_bytes_in(const uint8_t *data, uint64_t length) {
  return copy_in(data, length, "bytes");
}

const char *wasm_rt_string_out(uint32_t address, uint32_t fn) {
  if (address >= wasm_rt_memory_size) {
    mv_abortf(MV_ABORT_CODE_RUNTIME, "%s returned the string address 0x%x, outside its linear memory (%u bytes)",
              fn < wasm_rt_function_count ? wasm_rt_function_names[fn] : "?", address, (unsigned)wasm_rt_memory_size);
  }
  const uint8_t *p = wasm_rt_memory + address;
  const uint8_t *end = wasm_rt_memory + wasm_rt_memory_size;
  while (p < end && *p) p++;
  if (p == end) {
    mv_abortf(MV_ABORT_CODE_RUNTIME, "%s returned a string at 0x%x with no NUL before the end of its linear memory",
              fn < wasm_rt_function_count ? wasm_rt_function_names[fn] : "?", address);
  }
  return (const char *)(wasm_rt_memory + address);
}

wasm_rt_bytes wasm_rt_bytes_out(uint64_t packed, uint32_t fn) {
  uint32_t address = (uint32_t)packed;
  uint32_t length = (uint32_t)(packed >> 32);
  if ((uint64_t)address + length > wasm_rt_memory_size) {
    mv_abortf(MV_ABORT_CODE_RUNTIME, "%s returned %u bytes at 0x%x, past the end of its linear memory (%u bytes)",
              fn < wasm_rt_function_count ? wasm_rt_function_names[fn] : "?", length, address, (unsigned)wasm_rt_memory_size);
  }
  wasm_rt_bytes result = {wasm_rt_memory + address, length};
  return result;
}
