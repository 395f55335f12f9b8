/*
 * Test guest: every way a guest function can fail. Each function below ends its call with a CPU
 * exception, an abort, a timeout or an unexpected VM exit; none returns normally. README.md lists
 * what the host must report for each.
 *
 * Pointers are `volatile` (the pointer itself, not just the target) so that the compiler cannot
 * see their values and must emit the faulting access, at -O0 and -O2 alike.
 */
#include "microvm.h"

#define NONCANONICAL 0x8000000000000000ull

/* ---- page faults ---------------------------------------------------------------------------- */

int32_t DerefNull(void) {
  volatile int32_t *volatile p = NULL;
  return *p; /* #PF: read of 0x0 (null page, not present) */
}
MV_GUEST_FUNCTION(DerefNull, i32);

int32_t WriteNull(void) {
  volatile int32_t *volatile p = NULL;
  *p = 42; /* #PF: write to 0x0 */
  return 0;
}
MV_GUEST_FUNCTION(WriteNull, i32);

int32_t WriteToCode(void) {
  volatile uint8_t *volatile p = (volatile uint8_t *)(uintptr_t)&WriteToCode;
  *p = 0x90; /* #PF: write to a present, read-only page of .text (protection violation, CR0.WP) */
  return 0;
}
MV_GUEST_FUNCTION(WriteToCode, i32);

/* A `ret` instruction in .data, which the loader maps read-write and no-execute. */
static uint8_t data_code[16] = {0xC3};

int32_t ExecuteData(void) {
  void (*volatile fn)(void) = (void (*)(void))(uintptr_t)data_code;
  fn(); /* #PF: instruction fetch from an NX page */
  return 0;
}
MV_GUEST_FUNCTION(ExecuteData, i32);

int32_t ExecuteStack(void) {
  volatile uint8_t code[16];
  code[0] = 0xC3; /* ret */
  void (*volatile fn)(void) = (void (*)(void))(uintptr_t)code;
  fn(); /* #PF: instruction fetch from the (NX) stack */
  return 0;
}
MV_GUEST_FUNCTION(ExecuteStack, i32);

/* ---- other exceptions ----------------------------------------------------------------------- */

int32_t DivideByZero(void) {
  volatile int32_t a = 1, b = 0;
  return a / b; /* #DE */
}
MV_GUEST_FUNCTION(DivideByZero, i32);

int32_t InvalidOpcode(void) {
  __asm__ volatile("ud2"); /* #UD */
  return 0;
}
MV_GUEST_FUNCTION(InvalidOpcode, i32);

int32_t GeneralProtection(void) {
  volatile uint64_t *volatile p = (volatile uint64_t *)(uintptr_t)NONCANONICAL;
  return (int32_t)*p; /* #GP(0): non-canonical address through DS */
}
MV_GUEST_FUNCTION(GeneralProtection, i32);

int32_t StackSegmentFault(void) {
  /* A non-canonical stack reference raises #SS(0) instead of #GP. RSP is lost, but the exception
   * is delivered on IST1 and RBP still chains the frames, so the backtrace survives. */
  __asm__ volatile("movabsq $0x8000000000000000, %%rax\n\t"
                   "movq %%rax, %%rsp\n\t"
                   "pushq %%rax"
                   :
                   :
                   : "rax", "memory");
  __builtin_unreachable();
}
MV_GUEST_FUNCTION(StackSegmentFault, i32);

/* The IDTR operand of sidt/lidt. */
struct __attribute__((packed)) idt_pointer {
  uint16_t limit;
  uint64_t base;
};

/* 256 gates of 16 bytes: a private copy of the host's IDT. */
static uint8_t private_idt[256 * 16] __attribute__((aligned(16)));

int32_t DoubleFault(void) {
  uint16_t cs;
  __asm__ volatile("movw %%cs, %0" : "=r"(cs));
  if ((cs & 3u) != 0) /* sidt works in ring 3, but the IDT page and lidt do not */
    mv_abortf(MV_ABORT_CODE_RUNTIME, "DoubleFault needs ring 0 to load a private IDT, but the guest runs in ring %u", cs & 3u);

  struct idt_pointer idtr;
  __asm__ volatile("sidt %0" : "=m"(idtr));
  const uint8_t *host_idt = (const uint8_t *)(uintptr_t)idtr.base;
  size_t size = (size_t)idtr.limit + 1;
  if (size > sizeof private_idt) size = sizeof private_idt;
  memcpy(private_idt, host_idt, size);

  /* Break the #GP gate (vector 13): clear its present bit (bit 7 of byte 5 of the gate). */
  private_idt[13 * 16 + 5] &= 0x7F;

  struct idt_pointer mine = {(uint16_t)(sizeof private_idt - 1), (uint64_t)(uintptr_t)private_idt};
  __asm__ volatile("lidt %0" : : "m"(mine) : "memory");

  /* #GP (non-canonical load); delivering it hits the not-present gate, which raises #NP; two
   * contributory exceptions in a row make a #DF, whose gate is still the host's (IST2). */
  volatile uint64_t *volatile p = (volatile uint64_t *)(uintptr_t)NONCANONICAL;
  return (int32_t)*p;
}
MV_GUEST_FUNCTION(DoubleFault, i32);

int32_t TripleFault(void) {
  /* Ring 0: an empty IDT, so #UD cannot be delivered -> #GP cannot -> #DF cannot -> shutdown.
   * Ring 3 (the ABI): lidt itself is privileged and raises #GP. */
  struct idt_pointer empty = {0, 0};
  __asm__ volatile("lidt %0\n\tud2" : : "m"(empty) : "memory");
  __builtin_unreachable();
}
MV_GUEST_FUNCTION(TripleFault, i32);

/* ---- the stack ------------------------------------------------------------------------------ */

/* Recurses until the stack runs into the guard page below it. The addition after the call and
 * the volatile array keep the compiler from turning the recursion into a loop; the volatile
 * limit (never reached) keeps it from proving the recursion infinite. */
static volatile uint64_t recursion_limit = UINT64_MAX;

__attribute__((noinline)) static uint64_t recurse(uint64_t depth) {
  volatile uint8_t frame[256];
  if (depth == recursion_limit) return 0;
  frame[depth % sizeof frame] = (uint8_t)depth;
  return recurse(depth + 1) + frame[(depth * 7) % sizeof frame];
}

uint64_t StackOverflow(void) { return recurse(0); /* #PF in the stack guard page */ }
MV_GUEST_FUNCTION(StackOverflow, u64);

/* ---- timeouts and unexpected exits ---------------------------------------------------------- */

int32_t SpinForever(void) {
  volatile uint64_t n = 0;
  for (;;) n++; /* never exits: the host's timeout must end the call */
}
MV_GUEST_FUNCTION(SpinForever, i32);

int32_t UnknownPort(void) {
  __asm__ volatile("movb $0x55, %%al\n\toutb %%al, $0x42" : : : "rax", "memory");
  return 0;
}
MV_GUEST_FUNCTION(UnknownPort, i32);

int32_t ReadPort(void) {
  uint8_t v;
  __asm__ volatile("inb $0xE0, %0" : "=a"(v) : : "memory");
  return v;
}
MV_GUEST_FUNCTION(ReadPort, i32);

int32_t Halt(void) {
  __asm__ volatile("hlt" : : : "memory"); /* ring 3: #GP; ring 0: an unexpected VM exit */
  return 0;
}
MV_GUEST_FUNCTION(Halt, i32);

/* ---- aborts --------------------------------------------------------------------------------- */

int32_t Abort(void) { abort(); }
MV_GUEST_FUNCTION(Abort, i32);

int32_t AssertFails(void) {
  assert(1 == 2);
  return 0;
}
MV_GUEST_FUNCTION(AssertFails, i32);

/* ---- a fault three calls deep, for backtraces and the debugger's locals ---------------------- */

struct point {
  int32_t x, y;
};

__attribute__((noinline)) int32_t Level3(const char *label, int32_t depth, const struct point *where) {
  volatile int32_t *volatile target = NULL;
  int32_t values[4] = {depth, where->x, where->y, (int32_t)strlen(label)};
  char note[16] = "level three";
  (void)note;
  return values[0] + *target; /* #PF: read of 0x0 */
}

__attribute__((noinline)) int32_t Level2(int32_t depth, struct point where) {
  char label[24] = "from level two";
  uint64_t scratch[3] = {0x1111, 0x2222, 0x3333};
  where.x += (int32_t)scratch[0];
  return Level3(label, depth + 1, &where) + 1;
}

__attribute__((noinline)) int32_t Level1(int32_t depth) {
  struct point origin = {3, 4};
  uint64_t mask = 0xFF00FF00FF00FF00ull;
  const char *name = "level one";
  int32_t r = Level2(depth + 1, origin);
  return r + (int32_t)(mask & 1u) + (int32_t)strlen(name);
}

static volatile int32_t nested_bias; /* keeps Level1(1) from becoming a tail call at -O2 */

int32_t Nested3(void) {
  int32_t r = Level1(1);
  return r + nested_bias;
}
MV_GUEST_FUNCTION(Nested3, i32);
