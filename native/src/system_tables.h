// The host-provided descriptor tables and exception stubs: a flat 64-bit GDT, a TSS whose IST
// stacks keep faults reportable even when the guest stack is gone, and an IDT whose 32 stubs
// report every CPU exception to the host through port 0xE3.
#pragma once

#include <linux/kvm.h>

#include <cstdint>

#include "guest_memory.h"

namespace microvm {

constexpr uint16_t kCodeSelector = 0x08;
constexpr uint16_t kDataSelector = 0x10;
constexpr uint16_t kTssSelector = 0x18;
constexpr uint64_t kStubSize = 16;

// The stack frame an exception stub leaves on its IST stack when it exits to the host.
struct ExceptionFrame {
  uint64_t rax;  // saved by the stub
  uint64_t vector;
  uint64_t error_code;  // 0 for vectors without one
  uint64_t rip;
  uint64_t cs;
  uint64_t rflags;
  uint64_t rsp;
  uint64_t ss;
};

void writeSystemTables(GuestMemory& memory);
// Segment, table and control registers for 64-bit ring 0 with paging rooted at `cr3`.
void initialSpecialRegisters(kvm_sregs& sregs, uint64_t cr3);
bool isExceptionStubAddress(uint64_t rip);

}  // namespace microvm
