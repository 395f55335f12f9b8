/*
 * Test guest: every value type across the boundary, host calls, printing, the heap, and the
 * per-call snapshot restore. See README.md for what the host must answer.
 */
#include "microvm.h"

/* ---- echo every type ------------------------------------------------------------------------ */

int32_t EchoI32(int32_t v) { return v; }
MV_GUEST_FUNCTION(EchoI32, i32, i32);

uint32_t EchoU32(uint32_t v) { return v; }
MV_GUEST_FUNCTION(EchoU32, u32, u32);

int64_t EchoI64(int64_t v) { return v; }
MV_GUEST_FUNCTION(EchoI64, i64, i64);

uint64_t EchoU64(uint64_t v) { return v; }
MV_GUEST_FUNCTION(EchoU64, u64, u64);

float EchoF32(float v) { return v; }
MV_GUEST_FUNCTION(EchoF32, f32, f32);

double EchoF64(double v) { return v; }
MV_GUEST_FUNCTION(EchoF64, f64, f64);

bool EchoBool(bool v) { return v; }
MV_GUEST_FUNCTION(EchoBool, bool, bool);

/* Returns the argument itself (a pointer into the input buffer): the runtime copies it out. */
const char *EchoString(const char *s) { return s; }
MV_GUEST_FUNCTION(EchoString, string, string);

mv_bytes EchoBytes(mv_bytes b) { return b; }
MV_GUEST_FUNCTION(EchoBytes, bytes, bytes);

void ReturnVoid(void) {}
MV_GUEST_FUNCTION(ReturnVoid, void);

/* ---- register classes ----------------------------------------------------------------------- */

/* a + b + strlen(s) + c + d + (e ? 1 : 0), summed as doubles.
 * Integer registers: a (rdi), s (rsi), c (rdx), e (rcx); XMM: b (xmm0), d (xmm1). */
double MixedArgs(int32_t a, double b, const char *s, uint64_t c, float d, bool e) {
  return (double)a + b + (double)strlen(s) + (double)c + (double)d + (e ? 1.0 : 0.0);
}
MV_GUEST_FUNCTION(MixedArgs, f64, i32, f64, string, u64, f32, bool);

/* Every parameter register at once: 4 integer-class (one bytes = 2 registers) + 8 XMM.
 * Returns a weighted sum that tells the positions apart:
 *   a*1 + sum(bytes)*10 + b*100 + c*1000 + x1*1 + x2*2 + ... + x8*8 */
double AllRegisters(int32_t a, mv_bytes bytes, int64_t b, uint32_t c, double x1, float x2, double x3, float x4, double x5, float x6,
                    double x7, float x8) {
  uint64_t sum = 0;
  for (uint64_t i = 0; i < bytes.len; i++) sum += bytes.data[i];
  return (double)a + (double)sum * 10.0 + (double)b * 100.0 + (double)c * 1000.0 + x1 + 2.0 * x2 + 3.0 * x3 + 4.0 * x4 + 5.0 * x5 +
         6.0 * x6 + 7.0 * x7 + 8.0 * x8;
}
MV_GUEST_FUNCTION(AllRegisters, f64, i32, bytes, i64, u32, f64, f32, f64, f32, f64, f32, f64, f32);

uint64_t SumBytes(mv_bytes b) {
  uint64_t sum = 0;
  for (uint64_t i = 0; i < b.len; i++) sum += b.data[i];
  return sum;
}
MV_GUEST_FUNCTION(SumBytes, u64, bytes);

/* Length in bytes (not characters) of a UTF-8 string. */
uint32_t StringLength(const char *s) { return (uint32_t)strlen(s); }
MV_GUEST_FUNCTION(StringLength, u32, string);

/* ---- snapshot restore ----------------------------------------------------------------------- */

static int32_t counter;

/* Always returns 1: every call starts from the snapshot taken after initialisation. */
int32_t Counter(void) { return ++counter; }
MV_GUEST_FUNCTION(Counter, i32);

/* ---- host calls ----------------------------------------------------------------------------- */

/* Calls the host function HostAdd(i32, i32) -> i32 that the test registers. */
int32_t CallHostAdd(int32_t a, int32_t b) {
  mv_value args[2] = {mv_val_i32(a), mv_val_i32(b)};
  mv_value r;
  mv_host_call("HostAdd", MV_I32, args, 2, &r);
  return r.as.i32;
}
MV_GUEST_FUNCTION(CallHostAdd, i32, i32, i32);

/* Calls HostConcat(string) -> string and returns its answer unchanged. The answer lives in the
 * output buffer, so this also checks that the runtime copies a result that is already there. */
const char *CallHostConcat(const char *s) {
  mv_value arg = mv_val_string(s);
  mv_value r;
  mv_host_call("HostConcat", MV_STRING, &arg, 1, &r);
  return r.as.str;
}
MV_GUEST_FUNCTION(CallHostConcat, string, string);

/* Calls HostConcat twice, feeding the first answer (which lives in the output buffer) back in:
 * the runtime must stage the argument before writing the second record over it. */
const char *CallHostConcatTwice(const char *s) {
  mv_value arg = mv_val_string(s);
  mv_value r;
  mv_host_call("HostConcat", MV_STRING, &arg, 1, &r);
  mv_value again = mv_val_string(r.as.str);
  mv_host_call("HostConcat", MV_STRING, &again, 1, &r);
  return r.as.str;
}
MV_GUEST_FUNCTION(CallHostConcatTwice, string, string);

/* Calls a host function nobody registered: the host must end the call with an error. */
int32_t CallHostMissing(void) {
  mv_value r;
  mv_host_call("NoSuchHostFunction", MV_I32, NULL, 0, &r);
  mv_abort(MV_ABORT_CODE_RUNTIME, "CallHostMissing: the host resumed the guest after a call to an unknown host function");
}
MV_GUEST_FUNCTION(CallHostMissing, i32);

/* ---- printing ------------------------------------------------------------------------------- */

/* Prints n lines "line <i> of <n>\n" (i from 0) with one mv_printf each; returns n. */
int32_t PrintMany(uint32_t n) {
  for (uint32_t i = 0; i < n; i++) mv_printf("line %u of %u\n", i, n);
  return (int32_t)n;
}
MV_GUEST_FUNCTION(PrintMany, i32, u32);

/* Prints one line exercising the formatter; returns the number of bytes printed. The expected
 * text is in README.md. */
int32_t PrintFormats(void) {
  return mv_printf("[%d|%i|%u|%x|%X|%5d|%-5d|%05d|%lld|%llu|%zu|%c|%s|%.3s|%8s|%-8s|%p|%.2f|%f|%%]\n", -42, 7, 4000000000u, 0xbeef,
                   0xBEEF, 42, 42, 42, (long long)-9000000000, 18446744073709551615ull, (size_t)12345, 'Z', "hello", "abcdef", "right",
                   "left", (void *)0x1000, 3.14159, -0.5);
}
MV_GUEST_FUNCTION(PrintFormats, i32);

/* Prints n copies of the 4-byte UTF-8 character U+1F600 in one mv_printf call, which the SDK
 * splits into chunks without breaking a character; returns the bytes printed (4 * n). */
int32_t PrintUtf8(uint32_t n) {
  char *s = malloc((size_t)n * 4 + 1);
  if (s == NULL) mv_abort(MV_ABORT_CODE_RUNTIME, "PrintUtf8: out of heap");
  for (uint32_t i = 0; i < n; i++) memcpy(s + 4 * i, "\xF0\x9F\x98\x80", 4);
  s[4 * n] = '\0';
  int32_t printed = mv_printf("%s", s);
  free(s);
  return printed;
}
MV_GUEST_FUNCTION(PrintUtf8, i32, u32);

/* Prints the bytes as they are (a NUL is appended; the bytes may be any sequence, valid UTF-8 or
 * not) with one HostPrint call; returns what HostPrint returned. */
int32_t PrintRaw(mv_bytes b) {
  char *s = malloc((size_t)b.len + 1);
  if (s == NULL) mv_abort(MV_ABORT_CODE_RUNTIME, "PrintRaw: out of heap");
  memcpy(s, b.data, b.len);
  s[b.len] = '\0';
  int32_t printed = HostPrint(s);
  free(s);
  return printed;
}
MV_GUEST_FUNCTION(PrintRaw, i32, bytes);

/* Prints "a", spins for `spins` loop iterations, prints "b"; returns spins. A short inline slice
 * of the async call() runs out somewhere in between. */
uint32_t PrintSpinPrint(uint32_t spins) {
  HostPrint("a");
  for (volatile uint32_t i = 0; i < spins; i++) {
  }
  HostPrint("b");
  return spins;
}
MV_GUEST_FUNCTION(PrintSpinPrint, u32, u32);

/* Loads `selector` into DS, ES, FS and GS (0x23, the readable user code segment, and 0, the null
 * selector, are both allowed in ring 3) and returns it: the next call must start with the
 * snapshot's selectors again. */
uint32_t LoadSelectors(uint32_t selector) {
  __asm__ volatile("mov %0, %%ds\n\tmov %0, %%es\n\tmov %0, %%fs\n\tmov %0, %%gs" : : "r"(selector));
  return selector;
}
MV_GUEST_FUNCTION(LoadSelectors, u32, u32);

/* ---- results larger than the output buffer -------------------------------------------------- */

/* A heap string of n 'x' characters. With the default 64 KiB output buffer, n > 65503 does not
 * fit and the runtime aborts with a message naming ReturnBigString and the sizes. */
const char *ReturnBigString(uint32_t n) {
  char *s = malloc((size_t)n + 1);
  if (s == NULL) mv_abortf(MV_ABORT_CODE_RUNTIME, "ReturnBigString: malloc(%u) failed", n + 1);
  memset(s, 'x', n);
  s[n] = '\0';
  return s;
}
MV_GUEST_FUNCTION(ReturnBigString, string, u32);

/* n bytes with value i & 0xFF at index i. */
mv_bytes ReturnBigBytes(uint32_t n) {
  uint8_t *p = malloc(n == 0 ? 1 : n);
  if (p == NULL) mv_abortf(MV_ABORT_CODE_RUNTIME, "ReturnBigBytes: malloc(%u) failed", n);
  for (uint32_t i = 0; i < n; i++) p[i] = (uint8_t)i;
  mv_bytes b = {p, n};
  return b;
}
MV_GUEST_FUNCTION(ReturnBigBytes, bytes, u32);

/* ---- heap ----------------------------------------------------------------------------------- */

/*
 * malloc/calloc/realloc/free stress. Allocation i (0 <= i < n) has size (i * 37) % 1000 + 1 and
 * is filled with bytes (i + j) & 0xFF; it lives in one of 16 slots until that slot is reused.
 * Every block is verified before it is freed (the guest aborts on a mismatch). Returns the sum
 * of all bytes of all n allocations:
 *     sum over i < n, j < size(i) of ((i + j) & 0xFF)
 * which is independent of the allocator. Afterwards the heap must be whole again: the largest
 * free block equals the one before the test (the guest aborts otherwise).
 */
uint64_t Heap(uint32_t n) {
  enum { SLOTS = 16 };
  uint8_t *slot[SLOTS];
  uint32_t slot_id[SLOTS];
  for (int k = 0; k < SLOTS; k++) { /* a loop, not `= {0}`: keep integer code free of SSE stores */
    slot[k] = NULL;
    slot_id[k] = 0;
  }
  uint64_t checksum = 0;
  const size_t largest_before = mv_heap_largest_free();

  for (uint32_t i = 0; i < n + SLOTS; i++) {
    const uint32_t k = i % SLOTS;
    if (slot[k] != NULL) {
      const uint32_t id = slot_id[k];
      const size_t size = (size_t)(id * 37u) % 1000u + 1u;
      for (size_t j = 0; j < size; j++) {
        const uint8_t want = (uint8_t)((id + j) & 0xFFu);
        if (slot[k][j] != want)
          mv_abortf(MV_ABORT_CODE_RUNTIME, "Heap: allocation %u corrupted at byte %zu: %u != %u", id, j, slot[k][j], want);
        checksum += want;
      }
      free(slot[k]);
      slot[k] = NULL;
    }
    if (i >= n) continue;
    const size_t size = (size_t)(i * 37u) % 1000u + 1u;
    uint8_t *p;
    switch (i % 3) {
      case 0: p = malloc(size); break;
      case 1:
        p = calloc(size, 1);
        if (p != NULL)
          for (size_t j = 0; j < size; j++)
            if (p[j] != 0) mv_abortf(MV_ABORT_CODE_RUNTIME, "Heap: calloc(%zu) byte %zu is not zero", size, j);
        break;
      default: /* grow from a small block with realloc, which must keep the contents */
        p = malloc(1);
        if (p != NULL) {
          p[0] = (uint8_t)(i & 0xFFu);
          p = realloc(p, size);
          if (p != NULL && p[0] != (uint8_t)(i & 0xFFu)) mv_abortf(MV_ABORT_CODE_RUNTIME, "Heap: realloc lost the contents");
        }
        break;
    }
    if (p == NULL) mv_abortf(MV_ABORT_CODE_RUNTIME, "Heap: allocation %u of %zu bytes failed", i, size);
    if (((uintptr_t)p & 15u) != 0) mv_abortf(MV_ABORT_CODE_RUNTIME, "Heap: %p is not 16-byte aligned", (void *)p);
    for (size_t j = 0; j < size; j++) p[j] = (uint8_t)((i + j) & 0xFFu);
    slot[k] = p;
    slot_id[k] = i;
  }

  const size_t largest_after = mv_heap_largest_free();
  if (largest_after != largest_before)
    mv_abortf(MV_ABORT_CODE_RUNTIME, "Heap: free blocks did not coalesce (largest %zu before, %zu after)", largest_before, largest_after);
  /* Exhaustion returns NULL instead of crashing. */
  if (malloc(largest_after + 1) != NULL) mv_abort(MV_ABORT_CODE_RUNTIME, "Heap: malloc beyond the heap did not return NULL");
  return checksum;
}
MV_GUEST_FUNCTION(Heap, u64, u32);
