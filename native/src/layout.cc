#include "layout.h"

#include "host_error.h"

namespace microvm {

static void requirePageMultiple(const char* what, uint64_t value) {
  if (value == 0 || value % kPageSize != 0)
    fail("INVALID_OPTIONS", std::string(what) + " must be a positive multiple of 4096 bytes, got " +
                                std::to_string(value));
}

Layout computeLayout(const LayoutOptions& options, uint64_t image_end) {
  requirePageMultiple("memorySize", options.memory_size);
  requirePageMultiple("inputBufferSize", options.input_size);
  requirePageMultiple("outputBufferSize", options.output_size);
  requirePageMultiple("stackSize", options.stack_size);
  if (options.memory_size > kMaxMemorySize)
    fail("INVALID_OPTIONS", "memorySize " + std::to_string(options.memory_size) +
                                " exceeds the maximum of " + std::to_string(kMaxMemorySize) + " bytes");

  Layout layout{};
  layout.memory_size = options.memory_size;
  layout.image_end = alignUp(image_end, kPageSize);
  layout.peb_address = layout.image_end;
  layout.input_address = layout.peb_address + kPageSize;
  layout.input_size = options.input_size;
  layout.output_address = layout.input_address + layout.input_size;
  layout.output_size = options.output_size;
  layout.heap_address = layout.output_address + layout.output_size;
  layout.stack_size = options.stack_size;

  const uint64_t needed = layout.heap_address + kMinHeapSize + kPageSize + layout.stack_size;
  if (needed > options.memory_size)
    fail("INVALID_OPTIONS", "memorySize " + std::to_string(options.memory_size) +
                                " is too small for this guest: the image ends at " + hex(layout.image_end) +
                                " and buffers, a 16 KiB heap, the guard page and the stack need " +
                                std::to_string(needed) + " bytes in all");
  layout.stack_bottom = options.memory_size - layout.stack_size;
  layout.stack_guard_address = layout.stack_bottom - kPageSize;
  layout.heap_size = layout.stack_guard_address - layout.heap_address;
  return layout;
}

std::vector<Region> systemRegions(const Layout& layout) {
  return {
      {"gdt", kGdtAddress, kPageSize, kRead},
      {"idt", kIdtAddress, kPageSize, kRead},
      {"tss", kTssAddress, kPageSize, kRead},
      {"exception-stubs", kStubsAddress, kPageSize, kRead | kExecute},
      {"call-entry", kCallEntryAddress, kPageSize, kRead | kExecute | kUser},
      {"exception-stack", kExceptionStackBottom, kExceptionStackTop - kExceptionStackBottom, kRead | kWrite},
      {"double-fault-stack", kDoubleFaultStackBottom, kDoubleFaultStackTop - kDoubleFaultStackBottom,
       kRead | kWrite},
      {"peb", layout.peb_address, kPageSize, kRead | kWrite | kUser},
      {"input", layout.input_address, layout.input_size, kRead | kUser},
      {"output", layout.output_address, layout.output_size, kRead | kWrite | kUser},
      {"heap", layout.heap_address, layout.heap_size, kRead | kWrite | kUser},
      {"stack", layout.stack_bottom, layout.stack_size, kRead | kWrite | kUser},
  };
}

}  // namespace microvm
