/*
 * traps.c: a Wasm test guest (clang --target=wasm32) with one function per Wasm trap, for
 * test/wasm-traps.test.ts. The MARK comments name the lines the tests expect in the errors.
 * `volatile` keeps clang from folding the traps away at any -O level.
 */
#include "microvm.h"

int32_t OutOfBoundsLoad(uint32_t address) {
  volatile int32_t *p = (volatile int32_t *)(uintptr_t)address;
  return *p; /* MARK: load */
}
MV_GUEST_FUNCTION(OutOfBoundsLoad, i32, u32);

void OutOfBoundsStore(uint32_t address) {
  volatile int64_t *p = (volatile int64_t *)(uintptr_t)address;
  *p = 1; /* MARK: store */
}
MV_GUEST_FUNCTION(OutOfBoundsStore, void, u32);

int32_t DivideS(int32_t a, int32_t b) {
  volatile int32_t x = a, y = b;
  return x / y; /* MARK: div_s */
}
MV_GUEST_FUNCTION(DivideS, i32, i32, i32);

uint64_t RemainderU(uint64_t a, uint64_t b) {
  volatile uint64_t x = a, y = b;
  return x % y; /* MARK: rem_u */
}
MV_GUEST_FUNCTION(RemainderU, u64, u64, u64);

int32_t RemainderS(int32_t a, int32_t b) {
  volatile int32_t x = a, y = b;
  return x % y; /* INT_MIN % -1 is 0 in Wasm, not a trap */
}
MV_GUEST_FUNCTION(RemainderS, i32, i32, i32);

/* clang guards a C cast with a range check; the Wasm instruction itself traps. */
int32_t ToInt(double value) {
  volatile double v = value;
  int32_t result;
  __asm__("local.get %1\n\ti32.trunc_f64_s\n\tlocal.set %0" : "=r"(result) : "r"(v)); /* MARK: trunc */
  return result;
}
MV_GUEST_FUNCTION(ToInt, i32, f64);

int32_t Unreachable(void) {
  __builtin_trap(); /* MARK: unreachable */
}
MV_GUEST_FUNCTION(Unreachable, i32);

static int32_t two(int32_t a, int32_t b) { return a + b; }
static int32_t one(int32_t a) { return a; }

/* Calls `one` through a pointer of another type: call_indirect checks the type. */
int32_t IndirectMismatch(void) {
  int32_t (*volatile f)(int32_t) = (int32_t (*)(int32_t))(void *)&two;
  return f(1); /* MARK: indirect */
}
MV_GUEST_FUNCTION(IndirectMismatch, i32);

int32_t IndirectOk(int32_t x) {
  int32_t (*volatile f)(int32_t) = &one;
  return f(x);
}
MV_GUEST_FUNCTION(IndirectOk, i32, i32);

/* A table index past the end of the table. */
int32_t UndefinedElement(void) {
  int32_t (*volatile f)(int32_t) = (int32_t (*)(int32_t))(uintptr_t)1000;
  return f(1); /* MARK: undefined */
}
MV_GUEST_FUNCTION(UndefinedElement, i32);

/* Through a volatile pointer, so that no optimiser turns the recursion into a loop. */
int32_t Recurse(int32_t depth) { /* MARK: recurse */
  int32_t (*volatile self)(int32_t) = &Recurse;
  return self(depth + 1) + 1;
}
MV_GUEST_FUNCTION(Recurse, i32, i32);

/* Strings in and out, bytes in and out. */
const char *Greet(const char *name) {
  static char buffer[64];
  const char *prefix = "Hello, ";
  uint32_t n = 0;
  for (const char *p = prefix; *p; p++) buffer[n++] = *p;
  for (const char *p = name; *p && n < sizeof buffer - 1; p++) buffer[n++] = *p;
  buffer[n] = 0;
  return buffer;
}
MV_GUEST_FUNCTION(Greet, string, string);

uint64_t Reverse(const uint8_t *data, uint32_t len) {
  static uint8_t out[256];
  for (uint32_t i = 0; i < len && i < sizeof out; i++) out[i] = data[len - 1 - i];
  return mv_bytes_result(out, len < sizeof out ? len : sizeof out);
}
MV_GUEST_FUNCTION(Reverse, bytes, bytes);

double Scale(double x, float factor) { return x * factor; }
MV_GUEST_FUNCTION(Scale, f64, f64, f32);

/* Memory grows; every call starts again from the snapshot. */
int32_t Grow(int32_t pages) {
  return __builtin_wasm_memory_grow(0, pages);
}
MV_GUEST_FUNCTION(Grow, i32, i32);

/* A host function with Wasm types. */
__attribute__((import_module("env"), import_name("HostAdd"))) int32_t HostAdd(int32_t a, int32_t b);
int32_t AddViaHost(int32_t a, int32_t b) { return HostAdd(a, b); }
MV_GUEST_FUNCTION(AddViaHost, i32, i32, i32);
