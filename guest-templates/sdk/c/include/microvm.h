/*
 * microvm.h - the Micro-VM Studio C guest SDK (guest ABI version 1).
 *
 * The single header a guest includes. It declares:
 *   - the ABI types: type tags, 16-byte value slots, mv_bytes, the PEB and the record layouts;
 *   - MV_GUEST_FUNCTION, which publishes a C function in the `.microvm.functions` table;
 *   - host calls (mv_host_call, HostPrint), printing (mv_print, mv_printf, mv_snprintf);
 *   - a heap (malloc, free, calloc, realloc) over the PEB heap region;
 *   - the mem and str functions the compiler may call on its own;
 *   - abort(), assert() and mv_abort().
 *
 * The wire format is specified in docs/guest-abi.md; the comments here only summarise it.
 * Guests are freestanding: there is no libc, so include this header instead of libc headers.
 */
#ifndef MICROVM_H
#define MICROVM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* ABI constants                                                                              */
/* ------------------------------------------------------------------------------------------ */

#define MV_ABI_VERSION 1u

/* Four ASCII bytes stored in order, read as a little-endian u32. */
#define MV_MAGIC_PEB 0x4250564Du         /* "MVPB" */
#define MV_MAGIC_CALL 0x3143564Du        /* "MVC1" */
#define MV_MAGIC_RETURN 0x3152564Du      /* "MVR1" */
#define MV_MAGIC_HOST_CALL 0x3148564Du   /* "MVH1" */
#define MV_MAGIC_HOST_REPLY 0x5248564Du  /* "MVHR" */
#define MV_MAGIC_ABORT 0x4241564Du       /* "MVAB" */
#define MV_MAGIC_FUNCTION 0x4E46564Du    /* "MVFN" */

/* The only I/O ports a guest may use (always with `out imm8, al`). */
#define MV_PORT_HOST_CALL 0xE0
#define MV_PORT_READY 0xE1
#define MV_PORT_ABORT 0xE2
#define MV_PORT_EXCEPTION 0xE3 /* reserved for the host's exception stubs */

/* Return record status values. */
#define MV_STATUS_OK 0u
#define MV_STATUS_UNKNOWN_FUNCTION 1u
#define MV_STATUS_BAD_ARGUMENTS 2u

/* Limits of the function table and of host calls. */
#define MV_MAX_PARAMS 16
#define MV_MAX_NAME_LENGTH 63
#define MV_MAX_GPR_PARAMS 6
#define MV_MAX_XMM_PARAMS 8
#define MV_MAX_HOST_CALL_ARGS 16

/* Abort codes the SDK itself uses (any i32 is allowed in mv_abort). */
#define MV_ABORT_CODE_ABORT 1   /* abort() */
#define MV_ABORT_CODE_ASSERT 2  /* assert() failed */
#define MV_ABORT_CODE_RUNTIME 3 /* the SDK runtime detected a fatal error (see the message) */

/* Emit `out imm8, al` to one of the ports above. `port` must be a compile-time constant. */
#define MV_OUTB(port) __asm__ volatile("outb %%al, %0" : : "N"(port), "a"((uint8_t)0) : "memory")

/* ------------------------------------------------------------------------------------------ */
/* Types                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Value type tags. */
typedef enum mv_type {
  MV_VOID = 0, /* return type only */
  MV_I32 = 1,
  MV_U32 = 2,
  MV_I64 = 3,
  MV_U64 = 4,
  MV_F32 = 5,
  MV_F64 = 6,
  MV_BOOL = 7,
  MV_STRING = 8, /* const char *, NUL-terminated UTF-8 */
  MV_BYTES = 9   /* mv_bytes */
} mv_type;

/* The C type of a `bytes` parameter or result. Passed and returned in two registers. */
typedef struct mv_bytes {
  const uint8_t *data;
  uint64_t len;
} mv_bytes;

/*
 * A value slot, exactly as it travels through the buffers (16 bytes):
 *   tag, three zero bytes, byte length (string/bytes only, a string's excludes its NUL), value.
 * Integers are sign- or zero-extended to 64 bits, bool is 0/1, f32 sits in the low 32 bits.
 */
typedef struct mv_value {
  uint8_t tag;          /* an mv_type */
  uint8_t reserved[3];  /* zero */
  uint32_t len;         /* string/bytes length, else 0 */
  union {
    uint64_t u64;
    int64_t i64;
    uint32_t u32;
    int32_t i32;
    bool b;
    float f32;
    double f64;
    const char *str;
    const uint8_t *data;
    uint64_t bits;
  } as;
} mv_value;

/* The process environment block the host fills in; its address arrives in RDI at _start. */
typedef struct mv_peb {
  uint32_t magic;             /* MV_MAGIC_PEB */
  uint32_t version;           /* MV_ABI_VERSION */
  uint64_t memory_size;
  uint64_t input_addr;        /* call records, host -> guest (read-only for the guest) */
  uint64_t input_size;
  uint64_t output_addr;       /* return/host-call/abort records, guest -> host */
  uint64_t output_size;
  uint64_t heap_addr;
  uint64_t heap_size;
  uint64_t stack_bottom;
  uint64_t stack_size;
  uint64_t dispatch_function; /* written by the guest runtime during initialisation */
} mv_peb;

/* One 96-byte entry of the `.microvm.functions` section. */
typedef struct mv_function_entry {
  uint32_t magic;          /* MV_MAGIC_FUNCTION */
  uint8_t version;         /* MV_ABI_VERSION */
  uint8_t return_type;     /* an mv_type */
  uint8_t param_count;     /* 0..16 */
  uint8_t reserved;        /* zero */
  uint8_t param_types[16]; /* unused ones zero */
  char name[64];           /* 1-63 characters, NUL-padded */
  void (*function)(void);  /* the function's address */
} mv_function_entry;

/* Call record header (input buffer). Slots follow at offset 24. */
typedef struct mv_call_record {
  uint32_t magic;       /* MV_MAGIC_CALL */
  uint32_t total_size;
  uint32_t name_offset; /* from the start of the input buffer */
  uint32_t name_length; /* excluding the NUL */
  uint32_t arg_count;
  uint32_t reserved;
} mv_call_record;

/* Return record (output buffer, then `out 0xE1`). Result data follows at offset 32. */
typedef struct mv_return_record {
  uint32_t magic;  /* MV_MAGIC_RETURN */
  uint32_t status; /* MV_STATUS_* */
  uint32_t total_size;
  uint32_t reserved;
  mv_value result;
} mv_return_record;

/* Host-call record header (output buffer, then `out 0xE0`). Slots follow at offset 24. */
typedef struct mv_host_call_record {
  uint32_t magic; /* MV_MAGIC_HOST_CALL */
  uint32_t total_size;
  uint32_t name_offset; /* from the start of the output buffer */
  uint32_t name_length; /* excluding the NUL */
  uint32_t arg_count;   /* at most 16 */
  uint32_t return_type; /* the mv_type the guest expects */
} mv_host_call_record;

/* The host's answer, written over the host-call record. Result data follows at offset 32. */
typedef struct mv_host_reply_record {
  uint32_t magic;  /* MV_MAGIC_HOST_REPLY */
  uint32_t status; /* 0 ok */
  uint32_t total_size;
  uint32_t reserved;
  mv_value result;
} mv_host_reply_record;

/* Abort record (output buffer, then `out 0xE2`). The message follows at offset 16. */
typedef struct mv_abort_record {
  uint32_t magic; /* MV_MAGIC_ABORT */
  int32_t code;
  uint32_t message_length; /* excluding the NUL */
  uint32_t reserved;
} mv_abort_record;

_Static_assert(sizeof(mv_value) == 16, "mv_value must be 16 bytes");
_Static_assert(offsetof(mv_value, len) == 4 && offsetof(mv_value, as) == 8, "mv_value layout");
_Static_assert(sizeof(mv_bytes) == 16, "mv_bytes must be 16 bytes");
_Static_assert(sizeof(mv_peb) == 88 && offsetof(mv_peb, dispatch_function) == 80, "mv_peb layout");
_Static_assert(sizeof(mv_function_entry) == 96, "mv_function_entry must be 96 bytes");
_Static_assert(offsetof(mv_function_entry, param_types) == 8 && offsetof(mv_function_entry, name) == 24 &&
                   offsetof(mv_function_entry, function) == 88,
               "mv_function_entry layout");
_Static_assert(sizeof(mv_call_record) == 24, "mv_call_record must be 24 bytes");
_Static_assert(sizeof(mv_return_record) == 32, "mv_return_record must be 32 bytes");
_Static_assert(sizeof(mv_host_call_record) == 24, "mv_host_call_record must be 24 bytes");
_Static_assert(sizeof(mv_host_reply_record) == 32, "mv_host_reply_record must be 32 bytes");
_Static_assert(sizeof(mv_abort_record) == 16, "mv_abort_record must be 16 bytes");

/* ------------------------------------------------------------------------------------------ */
/* Declaring guest functions                                                                  */
/* ------------------------------------------------------------------------------------------ */

/*
 * MV_GUEST_FUNCTION(name, return_type, param_types...)
 *
 * Publishes the C function `name` in the `.microvm.functions` table so the host can call it:
 *
 *     int32_t PrintOutput(const char *msg) { return HostPrint(msg); }
 *     MV_GUEST_FUNCTION(PrintOutput, i32, string);
 *
 *     uint64_t Now(void) { ... }
 *     MV_GUEST_FUNCTION(Now, u64);
 *
 * Type tokens and the C types they require:
 *     void (return only) void       i32 int32_t     u32 uint32_t    i64 int64_t
 *     u64 uint64_t       f32 float  f64 double      bool bool       string const char *
 *     bytes mv_bytes
 *
 * Checked at compile time: the C signature matches the tokens exactly; at most 16 parameters;
 * at most 6 integer-class parameters (bytes counts 2) and 8 f32/f64 parameters, so nothing is
 * passed on the stack; the name has at most 63 characters; `void` is not a parameter type.
 */
#define MV_GUEST_FUNCTION(...) MV__GF_PASTE(MV__GF_, MV__NARGS(__VA_ARGS__))(__VA_ARGS__)

/* --- implementation details of MV_GUEST_FUNCTION (names starting with MV__ are private) --- */

#define MV__GF_PASTE(a, b) MV__GF_PASTE_(a, b)
#define MV__GF_PASTE_(a, b) a##b
#define MV__CAT(a, b) MV__CAT_(a, b)
#define MV__CAT_(a, b) a##b

/* Number of arguments, 1..24. */
#define MV__NARGS(...) \
  MV__NARGS_(__VA_ARGS__, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, ~)
#define MV__NARGS_(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, \
                   a21, a22, a23, a24, n, ...)                                                              \
  n

/* Per token: tag, C type, general registers used, XMM registers used, is-void.
 * `bool` has a second spelling because <stdbool.h> turns it into `_Bool` before we see it. */
#define MV__TAG_void 0
#define MV__TAG_i32 1
#define MV__TAG_u32 2
#define MV__TAG_i64 3
#define MV__TAG_u64 4
#define MV__TAG_f32 5
#define MV__TAG_f64 6
#define MV__TAG_bool 7
#define MV__TAG__Bool 7
#define MV__TAG_string 8
#define MV__TAG_bytes 9

#define MV__CTYPE_void void
#define MV__CTYPE_i32 int32_t
#define MV__CTYPE_u32 uint32_t
#define MV__CTYPE_i64 int64_t
#define MV__CTYPE_u64 uint64_t
#define MV__CTYPE_f32 float
#define MV__CTYPE_f64 double
#define MV__CTYPE_bool _Bool
#define MV__CTYPE__Bool _Bool
#define MV__CTYPE_string const char *
#define MV__CTYPE_bytes mv_bytes

#define MV__GPR_void 0
#define MV__GPR_i32 1
#define MV__GPR_u32 1
#define MV__GPR_i64 1
#define MV__GPR_u64 1
#define MV__GPR_f32 0
#define MV__GPR_f64 0
#define MV__GPR_bool 1
#define MV__GPR__Bool 1
#define MV__GPR_string 1
#define MV__GPR_bytes 2

#define MV__XMM_void 0
#define MV__XMM_i32 0
#define MV__XMM_u32 0
#define MV__XMM_i64 0
#define MV__XMM_u64 0
#define MV__XMM_f32 1
#define MV__XMM_f64 1
#define MV__XMM_bool 0
#define MV__XMM__Bool 0
#define MV__XMM_string 0
#define MV__XMM_bytes 0

#define MV__TAG(t) MV__TAG_##t
#define MV__CTYPE(t) MV__CTYPE_##t
#define MV__GPR(t) +MV__GPR_##t
#define MV__XMM(t) +MV__XMM_##t
#define MV__ISVOID(t) +(MV__TAG_##t == 0)
#define MV__COMMA() ,
#define MV__NOTHING()

/* MV__MAP_n(m, sep, a1..an): m(a1) sep() m(a2) sep() ... m(an). */
#define MV__MAP_1(m, s, a) m(a)
#define MV__MAP_2(m, s, a, ...) m(a) s() MV__MAP_1(m, s, __VA_ARGS__)
#define MV__MAP_3(m, s, a, ...) m(a) s() MV__MAP_2(m, s, __VA_ARGS__)
#define MV__MAP_4(m, s, a, ...) m(a) s() MV__MAP_3(m, s, __VA_ARGS__)
#define MV__MAP_5(m, s, a, ...) m(a) s() MV__MAP_4(m, s, __VA_ARGS__)
#define MV__MAP_6(m, s, a, ...) m(a) s() MV__MAP_5(m, s, __VA_ARGS__)
#define MV__MAP_7(m, s, a, ...) m(a) s() MV__MAP_6(m, s, __VA_ARGS__)
#define MV__MAP_8(m, s, a, ...) m(a) s() MV__MAP_7(m, s, __VA_ARGS__)
#define MV__MAP_9(m, s, a, ...) m(a) s() MV__MAP_8(m, s, __VA_ARGS__)
#define MV__MAP_10(m, s, a, ...) m(a) s() MV__MAP_9(m, s, __VA_ARGS__)
#define MV__MAP_11(m, s, a, ...) m(a) s() MV__MAP_10(m, s, __VA_ARGS__)
#define MV__MAP_12(m, s, a, ...) m(a) s() MV__MAP_11(m, s, __VA_ARGS__)
#define MV__MAP_13(m, s, a, ...) m(a) s() MV__MAP_12(m, s, __VA_ARGS__)
#define MV__MAP_14(m, s, a, ...) m(a) s() MV__MAP_13(m, s, __VA_ARGS__)
#define MV__MAP_15(m, s, a, ...) m(a) s() MV__MAP_14(m, s, __VA_ARGS__)
#define MV__MAP_16(m, s, a, ...) m(a) s() MV__MAP_15(m, s, __VA_ARGS__)

/* Dispatch on the total argument count: name + return type + 0..16 parameter tokens. */
#define MV__GF_1(fn) \
  _Static_assert(0, "MV_GUEST_FUNCTION(" #fn "): missing the return type, e.g. MV_GUEST_FUNCTION(" #fn ", i32)")
#define MV__GF_2(fn, r) MV__GF_IMPL0(fn, r)
#define MV__GF_3(fn, r, ...) MV__GF_IMPL(fn, r, 1, __VA_ARGS__)
#define MV__GF_4(fn, r, ...) MV__GF_IMPL(fn, r, 2, __VA_ARGS__)
#define MV__GF_5(fn, r, ...) MV__GF_IMPL(fn, r, 3, __VA_ARGS__)
#define MV__GF_6(fn, r, ...) MV__GF_IMPL(fn, r, 4, __VA_ARGS__)
#define MV__GF_7(fn, r, ...) MV__GF_IMPL(fn, r, 5, __VA_ARGS__)
#define MV__GF_8(fn, r, ...) MV__GF_IMPL(fn, r, 6, __VA_ARGS__)
#define MV__GF_9(fn, r, ...) MV__GF_IMPL(fn, r, 7, __VA_ARGS__)
#define MV__GF_10(fn, r, ...) MV__GF_IMPL(fn, r, 8, __VA_ARGS__)
#define MV__GF_11(fn, r, ...) MV__GF_IMPL(fn, r, 9, __VA_ARGS__)
#define MV__GF_12(fn, r, ...) MV__GF_IMPL(fn, r, 10, __VA_ARGS__)
#define MV__GF_13(fn, r, ...) MV__GF_IMPL(fn, r, 11, __VA_ARGS__)
#define MV__GF_14(fn, r, ...) MV__GF_IMPL(fn, r, 12, __VA_ARGS__)
#define MV__GF_15(fn, r, ...) MV__GF_IMPL(fn, r, 13, __VA_ARGS__)
#define MV__GF_16(fn, r, ...) MV__GF_IMPL(fn, r, 14, __VA_ARGS__)
#define MV__GF_17(fn, r, ...) MV__GF_IMPL(fn, r, 15, __VA_ARGS__)
#define MV__GF_18(fn, r, ...) MV__GF_IMPL(fn, r, 16, __VA_ARGS__)
#define MV__GF_TOO_MANY(fn, ...) \
  _Static_assert(0, "MV_GUEST_FUNCTION(" #fn "): at most 16 parameters are allowed")
#define MV__GF_19(fn, ...) MV__GF_TOO_MANY(fn, __VA_ARGS__)
#define MV__GF_20(fn, ...) MV__GF_TOO_MANY(fn, __VA_ARGS__)
#define MV__GF_21(fn, ...) MV__GF_TOO_MANY(fn, __VA_ARGS__)
#define MV__GF_22(fn, ...) MV__GF_TOO_MANY(fn, __VA_ARGS__)
#define MV__GF_23(fn, ...) MV__GF_TOO_MANY(fn, __VA_ARGS__)
#define MV__GF_24(fn, ...) MV__GF_TOO_MANY(fn, __VA_ARGS__)

/* gcc reorders top-level variables above -O0; no_reorder keeps the table in source order. */
#if defined(__GNUC__) && !defined(__clang__)
#define MV__GF_ENTRY_ATTRS __attribute__((used, no_reorder, section(".microvm.functions"), aligned(8)))
#else
#define MV__GF_ENTRY_ATTRS __attribute__((used, section(".microvm.functions"), aligned(8)))
#endif

#define MV__GF_COMMON(fn, r)                                                                              \
  _Static_assert(sizeof(#fn) - 1 <= MV_MAX_NAME_LENGTH,                                                   \
                 "MV_GUEST_FUNCTION(" #fn "): the function name is longer than 63 characters")

/* Zero parameters. */
#define MV__GF_IMPL0(fn, r)                                                                               \
  MV__GF_COMMON(fn, r);                                                                                   \
  _Static_assert(__builtin_types_compatible_p(__typeof__(&fn), MV__CTYPE(r) (*)(void)),                  \
                 "MV_GUEST_FUNCTION(" #fn "): C signature does not match the declared types");           \
  static const mv_function_entry MV__CAT(mv__function_entry_, fn) MV__GF_ENTRY_ATTRS = {                  \
      MV_MAGIC_FUNCTION, MV_ABI_VERSION, MV__TAG(r), 0, 0, {0}, #fn, (void (*)(void))&fn}

/* n >= 1 parameters. */
#define MV__GF_IMPL(fn, r, n, ...)                                                                        \
  MV__GF_COMMON(fn, r);                                                                                   \
  _Static_assert(__builtin_types_compatible_p(__typeof__(&fn),                                            \
                                              MV__CTYPE(r) (*)(MV__MAP_##n(MV__CTYPE, MV__COMMA, __VA_ARGS__))), \
                 "MV_GUEST_FUNCTION(" #fn "): C signature does not match the declared types");           \
  _Static_assert((0 MV__MAP_##n(MV__ISVOID, MV__NOTHING, __VA_ARGS__)) == 0,                             \
                 "MV_GUEST_FUNCTION(" #fn "): void is only allowed as the return type");                \
  _Static_assert((0 MV__MAP_##n(MV__GPR, MV__NOTHING, __VA_ARGS__)) <= MV_MAX_GPR_PARAMS,                \
                 "MV_GUEST_FUNCTION(" #fn "): more than 6 integer-class parameters "                     \
                 "(i32 u32 i64 u64 bool string count 1, bytes counts 2)");                               \
  _Static_assert((0 MV__MAP_##n(MV__XMM, MV__NOTHING, __VA_ARGS__)) <= MV_MAX_XMM_PARAMS,                \
                 "MV_GUEST_FUNCTION(" #fn "): more than 8 f32/f64 parameters");                          \
  static const mv_function_entry MV__CAT(mv__function_entry_, fn) MV__GF_ENTRY_ATTRS = {                  \
      MV_MAGIC_FUNCTION,                                                                                  \
      MV_ABI_VERSION,                                                                                     \
      MV__TAG(r),                                                                                         \
      n,                                                                                                  \
      0,                                                                                                  \
      {MV__MAP_##n(MV__TAG, MV__COMMA, __VA_ARGS__)},                                                     \
      #fn,                                                                                                \
      (void (*)(void))&fn}

/* ------------------------------------------------------------------------------------------ */
/* Host calls                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/*
 * Calls the host function `name` with `nargs` (at most 16) arguments and stores its result,
 * which must have type `ret`, in `*result` (may be NULL).
 *
 * The name and the data of string/bytes arguments are copied into the output buffer, so they
 * may live anywhere (stack, heap, image, input buffer, even an earlier host-call result).
 * A string or bytes RESULT points into the output buffer: it stays valid only until the next
 * host call, the next print or the function's return. Copy it if you need it longer.
 *
 * Never returns an error: if the record does not fit in the output buffer, or the host's reply
 * is malformed, the guest aborts with a message. (The host ends the call itself when it rejects
 * a host call; the guest is not resumed then.)
 */
void mv_host_call(const char *name, mv_type ret, const mv_value *args, uint32_t nargs, mv_value *result);

/* Argument constructors for mv_host_call. (Written field by field: an aggregate initialiser may
 * compile to SSE stores, and integer-only code should not need the vector unit.) */
static inline mv_value mv__val(mv_type tag, uint32_t len, uint64_t bits) {
  mv_value x;
  x.tag = (uint8_t)tag;
  x.reserved[0] = x.reserved[1] = x.reserved[2] = 0;
  x.len = len;
  x.as.u64 = bits;
  return x;
}
static inline mv_value mv_val_i32(int32_t v) { return mv__val(MV_I32, 0, (uint64_t)(int64_t)v); }
static inline mv_value mv_val_u32(uint32_t v) { return mv__val(MV_U32, 0, v); }
static inline mv_value mv_val_i64(int64_t v) { return mv__val(MV_I64, 0, (uint64_t)v); }
static inline mv_value mv_val_u64(uint64_t v) { return mv__val(MV_U64, 0, v); }
static inline mv_value mv_val_bool(bool v) { return mv__val(MV_BOOL, 0, v ? 1u : 0u); }
static inline mv_value mv_val_f32(float v) {
  union {
    float f;
    uint32_t u;
  } bits = {v};
  return mv__val(MV_F32, 0, bits.u); /* IEEE bits in the low 32 bits, upper 32 bits zero */
}
static inline mv_value mv_val_f64(double v) {
  union {
    double d;
    uint64_t u;
  } bits = {v};
  return mv__val(MV_F64, 0, bits.u);
}
/* `s` must be NUL-terminated UTF-8 shorter than 4 GiB; mv_host_call sends strlen(s) bytes. */
mv_value mv_val_string(const char *s);
/* `len` must be below 4 GiB. */
static inline mv_value mv_val_bytes(const void *data, uint64_t len) {
  return mv__val(MV_BYTES, (uint32_t)len, (uint64_t)(uintptr_t)data);
}

/* The built-in host function: appends `s` to the call's output; returns its length in bytes. */
int32_t HostPrint(const char *s);

/* ------------------------------------------------------------------------------------------ */
/* Printing                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Prints `s` through HostPrint; returns the number of bytes printed. */
int32_t mv_print(const char *s);

/*
 * printf-style output through HostPrint. Conversions: %d %i %u %x %X %o %p %s %c %f %%, with the
 * flags '-' and '0', a width and a precision (either may be '*'), and the length modifiers
 * hh h l ll z j t. %f defaults to 6 decimals and is correctly rounded for magnitudes below 2^64
 * with at most 15 decimals. Output is sent in chunks of up to 512 bytes, never splitting a UTF-8
 * sequence. Returns the number of bytes printed.
 */
int mv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int mv_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Formats into buf (always NUL-terminated when size > 0); returns the length it wanted. */
int mv_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int mv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/* ------------------------------------------------------------------------------------------ */
/* Heap (first fit over the PEB heap region, 16-byte aligned, NULL when exhausted)            */
/* ------------------------------------------------------------------------------------------ */

void *malloc(size_t size);
void free(void *ptr);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);

/* Heap statistics: total free bytes and the largest single allocation that would succeed. */
size_t mv_heap_free_bytes(void);
size_t mv_heap_largest_free(void);

/* ------------------------------------------------------------------------------------------ */
/* Memory and strings (the compiler may emit calls to the mem* ones on its own)               */
/* ------------------------------------------------------------------------------------------ */

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);
char *strncpy(char *dst, const char *src, size_t n);
char *strchr(const char *s, int c);

/* ------------------------------------------------------------------------------------------ */
/* Aborting                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Ends the call with an abort record (code, message) and `out 0xE2`. Never returns.
 * A message longer than the output buffer allows is truncated. */
__attribute__((noreturn)) void mv_abort(int32_t code, const char *message);

/* Like mv_abort with a printf-style message (formatted on the stack, at most 1 KiB). */
__attribute__((noreturn, format(printf, 2, 3))) void mv_abortf(int32_t code, const char *fmt, ...);

/* mv_abort(MV_ABORT_CODE_ABORT, "abort() called"). */
__attribute__((noreturn)) void abort(void);

__attribute__((noreturn)) void mv__assert_fail(const char *expr, const char *file, int line);

/* assert(e): aborts with "assertion failed: <e> (<file>:<line>)". Disabled by NDEBUG. */
#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : mv__assert_fail(#e, __FILE__, __LINE__))
#endif

/* ------------------------------------------------------------------------------------------ */
/* Runtime access                                                                             */
/* ------------------------------------------------------------------------------------------ */

/* The PEB the host passed at start-up. */
const mv_peb *mv_get_peb(void);

/* The function table, as linked (bounds come from the linker script). */
const mv_function_entry *mv_function_table(size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* MICROVM_H */
