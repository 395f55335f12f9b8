// The guest memory layout of docs/guest-abi.md: fixed system pages at the bottom, the image at
// 1 MiB, then PEB, buffers, heap, a guard page and the stack at the top.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace microvm {

constexpr uint64_t kPageSize = 0x1000;
constexpr uint64_t kGdtAddress = 0x1000;
constexpr uint64_t kIdtAddress = 0x2000;
constexpr uint64_t kTssAddress = 0x3000;
constexpr uint64_t kStubsAddress = 0x4000;
constexpr uint64_t kCallEntryAddress = 0x5000;  // ring-3 stub every call starts in (system_tables.h)
constexpr uint64_t kExceptionStackBottom = 0x6000;  // IST1, 8 KiB
constexpr uint64_t kExceptionStackTop = 0x8000;
constexpr uint64_t kDoubleFaultStackBottom = 0x9000;  // IST2, 4 KiB
constexpr uint64_t kDoubleFaultStackTop = 0xA000;
constexpr uint64_t kPageTablesAddress = 0xA000;
constexpr uint64_t kPageTablesEnd = 0x100000;
constexpr uint64_t kImageBase = 0x100000;

constexpr uint64_t kDefaultMemorySize = 2 * 1024 * 1024;
constexpr uint64_t kMaxMemorySize = 256ull * 1024 * 1024;
constexpr uint64_t kDefaultBufferSize = 64 * 1024;
constexpr uint64_t kDefaultStackSize = 64 * 1024;
constexpr uint64_t kMinHeapSize = 16 * 1024;

// Ports of the guest ABI.
constexpr uint16_t kPortHostCall = 0xE0;
constexpr uint16_t kPortReady = 0xE1;
constexpr uint16_t kPortAbort = 0xE2;
constexpr uint16_t kPortException = 0xE3;

constexpr uint32_t kAbiVersion = 1;
constexpr uint32_t kPebMagic = 0x4250564D;  // "MVPB"

// PEB field offsets.
constexpr uint64_t kPebDispatchFunctionOffset = 80;
constexpr uint64_t kPebSize = 88;

struct LayoutOptions {
  uint64_t memory_size = kDefaultMemorySize;
  uint64_t input_size = kDefaultBufferSize;
  uint64_t output_size = kDefaultBufferSize;
  uint64_t stack_size = kDefaultStackSize;
};

// kUser marks pages the guest (which runs in ring 3) may touch; the rest is the host's ring-0 kit.
enum PagePermission : uint8_t { kRead = 1, kWrite = 2, kExecute = 4, kUser = 8 };

// A named range of guest memory with the permissions the guest's page tables grant.
struct Region {
  std::string name;
  uint64_t address;
  uint64_t size;
  uint8_t permissions;  // PagePermission bits; 0 = unmapped
};

struct Layout {
  uint64_t memory_size;
  uint64_t image_end;  // page aligned
  uint64_t peb_address;
  uint64_t input_address, input_size;
  uint64_t output_address, output_size;
  uint64_t heap_address, heap_size;
  uint64_t stack_guard_address;
  uint64_t stack_bottom, stack_size;
  uint64_t stack_top() const { return stack_bottom + stack_size; }
};

// Computes the layout for an image ending at `image_end`; throws HostError on impossible options.
Layout computeLayout(const LayoutOptions& options, uint64_t image_end);

// The mapped regions outside the image (system pages, PEB, buffers, heap, stack), in address order.
std::vector<Region> systemRegions(const Layout& layout);

inline uint64_t alignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) & ~(alignment - 1);
}

}  // namespace microvm
