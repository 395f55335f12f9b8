// The host-provided descriptor tables and exception stubs: a flat 64-bit GDT, a TSS whose IST
// stacks keep faults reportable even when the guest stack is gone, and an IDT whose 32 stubs
// report every CPU exception to the host through port 0xE3.
#pragma once

#include <linux/kvm.h>

#include <cstdint>

#include "guest_memory.h"

namespace microvm {

// Ring 0 belongs to the host's exception stubs; guest code runs in ring 3.
constexpr uint16_t kKernelCodeSelector = 0x08;
constexpr uint16_t kKernelDataSelector = 0x10;
constexpr uint16_t kUserDataSelector = 0x18 | 3;
constexpr uint16_t kUserCodeSelector = 0x20 | 3;
constexpr uint16_t kTssSelector = 0x28;
// RFLAGS for guest code: only the always-set bit 1 (IOPL 0, interrupts off). Ring 3 reaches
// ports 0x00-0xff through the TSS I/O permission bitmap instead of IOPL, because paravirtualised
// KVM (PVM) does not keep a guest IOPL but does honour the bitmap.
constexpr uint64_t kGuestRflags = 0x2;
constexpr uint64_t kRflagsTrap = 1ull << 8;     // TF: a #DB after the next instruction
constexpr uint64_t kRflagsResume = 1ull << 16;  // RF: do not re-trigger an execute breakpoint
constexpr uint64_t kIoBitmapOffset = 104;
constexpr uint64_t kIoBitmapBytes = 32;  // ports 0x00-0xff
constexpr uint32_t kTssLimit = kIoBitmapOffset + kIoBitmapBytes;  // includes the 0xff terminator byte
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
// Segment, table and control registers for 64-bit ring 3 guest code with paging rooted at `cr3`.
void initialSpecialRegisters(kvm_sregs& sregs, uint64_t cr3);
bool isExceptionStubAddress(uint64_t rip);

// Writes the ring-3 stub at kCallEntryAddress where every call begins: it puts back the x87/SSE
// state, which ring-3 code can change but KVM_SET_REGS does not cover, with fxrstor from the
// snapshot's 512-byte FXSAVE image, restores RAX and jumps to `dispatch`. fxrstor in the guest costs
// nanoseconds; the KVM_SET_XSAVE it replaces costs about 9 µs on paravirtualised KVM. (Segment
// selectors are not reset here: on PVM a ring-3 `mov eax, ds` reads the host's selector, not the
// guest's, so the stub cannot tell a changed one, and each reload traps. The host checks them with
// KVM_GET_SREGS at the end of a call instead.) The page is read-only and executable to the guest.
void writeCallEntry(GuestMemory& memory, uint64_t dispatch, uint64_t rax, const uint8_t* fxsave_image);
bool isCallEntryAddress(uint64_t rip);

}  // namespace microvm
