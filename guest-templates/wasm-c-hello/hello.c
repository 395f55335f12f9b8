/*
 * wasm-c-hello: a Micro-VM Studio guest written in C and compiled to WebAssembly.
 *
 * `microvm build` compiles this file with clang --target=wasm32 into build/wasm-c-hello.wasm; the
 * host translates the module into a native guest ahead of time (cached by the module's hash) and
 * runs each call in its own micro-VM. MV_GUEST_FUNCTION declares the guest ABI types, so an i32
 * parameter can be a string (the address of NUL-terminated UTF-8 in linear memory).
 */
#include "microvm.h"

/* Prints a message through the host and returns how many bytes were printed. */
int32_t PrintOutput(const char *msg) {
  return HostPrint(msg);
}
MV_GUEST_FUNCTION(PrintOutput, i32, string);

/* Pure computation: the n-th Fibonacci number, iteratively (wraps around modulo 2^64). */
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

/* Traps on purpose: integer division by zero is a Wasm trap, which the host reports as WASM_TRAP
 * naming the trap, this function and this line. `volatile` keeps clang from folding it away. */
int32_t Divide(int32_t a, int32_t b) {
  volatile int32_t divisor = b;
  return a / divisor;
}
MV_GUEST_FUNCTION(Divide, i32, i32, i32);
