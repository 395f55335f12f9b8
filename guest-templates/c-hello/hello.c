/*
 * c-hello: a Micro-VM Studio guest.
 *
 * Each function below runs inside its own hardware-isolated micro-VM. The host calls it by name;
 * MV_GUEST_FUNCTION publishes it (name, return type, parameter types) in the guest's function
 * table, and the compiler checks that the C signature matches.
 */
#include "microvm.h"

/* Prints a message through the host and returns how many bytes were printed. */
int32_t PrintOutput(const char *msg) {
  return HostPrint(msg);
}
MV_GUEST_FUNCTION(PrintOutput, i32, string);

/* Pure computation: the n-th Fibonacci number (Fibonacci(0) = 0, Fibonacci(1) = 1), iteratively.
 * Wraps around modulo 2^64 past Fibonacci(93). */
uint64_t Fibonacci(uint32_t n) {
  uint64_t a = 0, b = 1;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t next = a + b;
    a = b;
    b = next;
  }
  return a;
}
MV_GUEST_FUNCTION(Fibonacci, u64, u32);

int32_t Add(int32_t a, int32_t b) {
  return a + b;
}
MV_GUEST_FUNCTION(Add, i32, i32, i32);

/* Crashes on purpose: reads address 0. The null page is unmapped, so the CPU raises a page fault,
 * the host ends the call and reports the faulting instruction and a backtrace. The pointer is
 * volatile so that the compiler really emits the load. */
int32_t DerefNull(void) {
  volatile int32_t *volatile p = NULL;
  return *p;
}
MV_GUEST_FUNCTION(DerefNull, i32);
