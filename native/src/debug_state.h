// What the debugger has asked of a vCPU: software breakpoints (int3 patched into guest memory,
// original bytes kept), the four hardware debug-register slots, and single-stepping.
#pragma once

#include <cstdint>
#include <map>

namespace microvm {

enum class HardwareKind : uint8_t { kExecute = 0, kWrite = 1, kReadWrite = 3 };

struct HardwareSlot {
  bool enabled = false;
  uint64_t address = 0;
  HardwareKind kind = HardwareKind::kExecute;
  uint8_t length = 1;  // 1, 2, 4 or 8 bytes (execute: 1)
};

struct DebugState {
  std::map<uint64_t, uint8_t> software;  // address -> the original byte under the int3
  HardwareSlot hardware[4];
  bool single_step = false;

  bool active() const {
    if (single_step || !software.empty()) return true;
    for (const HardwareSlot& slot : hardware)
      if (slot.enabled) return true;
    return false;
  }
};

}  // namespace microvm
