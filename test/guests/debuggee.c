/*
 * Test guest for the debugger: small functions with locals of every shape, a loop for conditional
 * and hit-count breakpoints and logpoints, a global written for data breakpoints, a host call, an
 * inlined helper, recursion, a spinning loop to pause, and a fault. The DAP tests find lines by the
 * `MARK:` comments, never by number, so the file can change without breaking them.
 */
#include "microvm.h"

struct point {
  int32_t x;
  int32_t y;
};

struct shape {
  const char *name;
  struct point corners[3];
  uint32_t sides;
};

volatile int32_t total;     /* written on every pass of Accumulate (volatile: -O2 keeps each store) */
static uint32_t call_count; /* a file static for the Globals scope */

static inline __attribute__((always_inline)) int32_t square(int32_t v) {
  int32_t squared = v * v; /* MARK: inlined */
  return squared;
}

__attribute__((noinline)) int32_t add_point(const struct point *p) {
  int32_t sum = p->x + p->y; /* MARK: add_point body */
  return sum;
}

/* A loop: conditional breakpoints on i, hit counts, logpoints. It stays one pass per iteration at
 * -O2 (no unrolling), so that a breakpoint in its body is met on every pass, as at -O0. */
int32_t Accumulate(int32_t n) {
  int32_t acc = 0;
#ifdef __clang__
#pragma clang loop unroll(disable) vectorize(disable)
#else
#pragma GCC unroll 1
#endif
  for (int32_t i = 0; i < n; i++) {
    acc += i; /* MARK: loop body */
    total = acc; /* MARK: store total */
  }
  call_count++;
  return acc; /* MARK: accumulate return */
}
MV_GUEST_FUNCTION(Accumulate, i32, i32);

/* Locals of every shape, a call to step into and out of, an inlined call, a host call. */
int32_t Shapes(int32_t scale) {
  struct shape tri = {"triangle", {{0, 0}, {4 * scale, 0}, {0, 3 * scale}}, 3}; /* MARK: shapes first */
  int32_t widths[4] = {1, 2, 3, 4};
  const char *label = "shapes";
  struct point *corner = &tri.corners[1];
  int32_t d = add_point(corner); /* MARK: call add_point */
  int32_t s = square(d);         /* MARK: call square */
  HostPrint(label);              /* MARK: host print */
  int32_t result = s + widths[2] + (int32_t)tri.sides; /* MARK: shapes result */
  return result; /* MARK: shapes return */
}
MV_GUEST_FUNCTION(Shapes, i32, i32);

__attribute__((noinline)) uint64_t factorial(uint32_t n) {
  if (n <= 1) return 1; /* MARK: factorial base */
  return n * factorial(n - 1); /* MARK: factorial recurse */
}

uint64_t Factorial(uint32_t n) { return factorial(n); }
MV_GUEST_FUNCTION(Factorial, u64, u32);

int32_t Spin(void) {
  volatile uint64_t n = 0;
  for (;;) n++; /* MARK: spin */
}
MV_GUEST_FUNCTION(Spin, i32);

int32_t Crash(int32_t depth) {
  volatile int32_t *volatile p = NULL;
  int32_t before = depth * 2;
  return before + *p; /* MARK: crash */
}
MV_GUEST_FUNCTION(Crash, i32, i32);

/* Overwrites its own saved frame pointer and return address, then faults: the debugger must show
 * what it can of a smashed stack and never fail on it. */
int32_t Smash(void) {
  volatile uint64_t *frame = (volatile uint64_t *)__builtin_frame_address(0);
  frame[0] = 0x4141414141414141ull; /* the saved rbp */
  frame[1] = 0x4242424242424242ull; /* the return address */
  volatile int32_t *volatile p = NULL;
  return *p; /* MARK: smash */
}
MV_GUEST_FUNCTION(Smash, i32);
