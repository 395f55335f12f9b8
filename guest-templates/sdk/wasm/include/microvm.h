/*
 * microvm.h for Wasm guests - the Micro-VM Studio guest API for C compiled to wasm32.
 *
 * The same source-level API as the native C SDK (guest-templates/sdk/c) where Wasm allows it:
 * MV_GUEST_FUNCTION publishes a function, HostPrint prints through the host. The module is
 * compiled with clang --target=wasm32 and linked with wasm-ld; the host translates it into a
 * native guest ahead of time (docs/wasm-guests.md).
 *
 * MV_GUEST_FUNCTION(name, return_type, param_types...) exports `name` and records its signature
 * in the custom section "microvm.functions" ("PrintOutput(string) -> i32\n"), which is how the
 * host knows that an i32 parameter is a string. Types and their Wasm representation:
 *   i32 u32 bool -> i32       i64 u64 -> i64       f32 -> f32     f64 -> f64
 *   string       -> i32, the linear-memory address of NUL-terminated UTF-8
 *   bytes        -> parameter: two i32 (address, length); result: i64 (length << 32 | address),
 *                   made with mv_bytes_result(ptr, len)
 */
#ifndef MICROVM_WASM_H
#define MICROVM_WASM_H

#if !defined(__wasm32__)
#error "this microvm.h is for guests compiled to wasm32 (clang --target=wasm32); native guests use guest-templates/sdk/c"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The C type of a `bytes` parameter. */
typedef struct mv_bytes {
  const uint8_t *data;
  uint32_t len;
} mv_bytes;

/* The built-in host function: appends `s` to the call's output; returns its length in bytes. */
__attribute__((import_module("env"), import_name("HostPrint"))) int32_t HostPrint(const char *s);

/* A `bytes` result: the address and length packed into the i64 the host unpacks. */
static inline uint64_t mv_bytes_result(const void *data, uint32_t len) {
  return ((uint64_t)len << 32) | (uint32_t)(uintptr_t)data;
}

/* Memory and strings, from the SDK's runtime/string.c (clang calls the mem* ones on its own). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Ends the call with a Wasm trap (`unreachable`): the host reports WASM_TRAP "unreachable". */
#define abort() __builtin_trap()
#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : __builtin_trap())
#endif

/* ---- MV_GUEST_FUNCTION ------------------------------------------------------------------- */

#define MV_GUEST_FUNCTION(...) MV__WF_PASTE(MV__WF_, MV__WF_NARGS(__VA_ARGS__))(__VA_ARGS__)

#define MV__WF_PASTE(a, b) MV__WF_PASTE_(a, b)
#define MV__WF_PASTE_(a, b) a##b
#define MV__WF_NARGS(...) MV__WF_NARGS_(__VA_ARGS__, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, ~)
#define MV__WF_NARGS_(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, n, ...) n

#define MV__WF_STR(x) #x
/* `bool` arrives as `_Bool` once <stdbool.h> has turned it into that: name it back. */
#define MV__WF_T(t) MV__WF_T_(t)
#define MV__WF_T_(t) MV__WF_NAME_##t
#define MV__WF_NAME_void "void"
#define MV__WF_NAME_i32 "i32"
#define MV__WF_NAME_u32 "u32"
#define MV__WF_NAME_i64 "i64"
#define MV__WF_NAME_u64 "u64"
#define MV__WF_NAME_f32 "f32"
#define MV__WF_NAME_f64 "f64"
#define MV__WF_NAME_bool "bool"
#define MV__WF_NAME__Bool "bool"
#define MV__WF_NAME_string "string"
#define MV__WF_NAME_bytes "bytes"

/* One line of the "microvm.functions" section (a data segment of that name with LLVM 14, a custom
 * section with newer LLVM). wasm-ld concatenates the pieces of every object. The export itself
 * comes from the link (microvm build links with --export for each declared function). */
#define MV__WF_DECL(fn, text)                                                                        \
  __attribute__((used, aligned(1), section(".custom_section.microvm.functions"))) const char         \
      mv__signature_##fn[sizeof(text) - 1] = text;                                                  \
  _Static_assert(sizeof(#fn) - 1 <= 63, "MV_GUEST_FUNCTION(" #fn "): the function name is longer than 63 characters")

#define MV__WF_1(fn) _Static_assert(0, "MV_GUEST_FUNCTION(" #fn "): missing the return type")
#define MV__WF_2(fn, r) MV__WF_DECL(fn, #fn "() -> " MV__WF_T(r) "\n")
#define MV__WF_3(fn, r, a) MV__WF_DECL(fn, #fn "(" MV__WF_T(a) ") -> " MV__WF_T(r) "\n")
#define MV__WF_4(fn, r, a, b) MV__WF_DECL(fn, #fn "(" MV__WF_T(a) ", " MV__WF_T(b) ") -> " MV__WF_T(r) "\n")
#define MV__WF_5(fn, r, a, b, c) \
  MV__WF_DECL(fn, #fn "(" MV__WF_T(a) ", " MV__WF_T(b) ", " MV__WF_T(c) ") -> " MV__WF_T(r) "\n")
#define MV__WF_6(fn, r, a, b, c, d) \
  MV__WF_DECL(fn, #fn "(" MV__WF_T(a) ", " MV__WF_T(b) ", " MV__WF_T(c) ", " MV__WF_T(d) ") -> " MV__WF_T(r) "\n")
#define MV__WF_7(fn, r, a, b, c, d, e)                                                                             \
  MV__WF_DECL(fn, #fn "(" MV__WF_T(a) ", " MV__WF_T(b) ", " MV__WF_T(c) ", " MV__WF_T(d) ", " MV__WF_T(e) ") -> " \
                      MV__WF_T(r) "\n")
#define MV__WF_8(fn, r, a, b, c, d, e, f)                                                                          \
  MV__WF_DECL(fn, #fn "(" MV__WF_T(a) ", " MV__WF_T(b) ", " MV__WF_T(c) ", " MV__WF_T(d) ", " MV__WF_T(e) ", "    \
                      MV__WF_T(f) ") -> " MV__WF_T(r) "\n")

#ifdef __cplusplus
}
#endif

#endif /* MICROVM_WASM_H */
