// Parsing and validation of a guest ELF: everything is checked before any VM exists, and every
// rejection names the defect with the offending field and file offset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layout.h"

namespace microvm {

constexpr uint64_t kMaxGuestFileSize = 256ull * 1024 * 1024;
constexpr size_t kFunctionEntrySize = 96;
constexpr size_t kMaxParams = 16;
constexpr size_t kMaxFunctionNameLength = 63;

// Type tags of docs/guest-abi.md.
enum ValueTag : uint8_t { kVoid = 0, kI32, kU32, kI64, kU64, kF32, kF64, kBool, kString, kBytes, kTagCount };

struct LoadSegment {
  unsigned program_header_index;
  uint64_t address;  // after relocation
  uint64_t memory_size;
  uint64_t file_offset;
  uint64_t file_size;
  uint8_t permissions;  // PagePermission bits
};

struct GuestFunction {
  std::string name;
  uint8_t return_type;
  std::vector<uint8_t> param_types;
};

struct GuestImage {
  std::vector<uint8_t> file;
  bool position_independent = false;
  uint64_t load_bias = 0;  // added to every linked address
  uint64_t entry = 0;      // relocated
  uint64_t image_start = 0;
  uint64_t image_end = 0;  // exclusive, not page aligned
  std::vector<LoadSegment> segments;
  std::vector<uint64_t> relative_relocations;  // relocated target addresses
  std::vector<uint64_t> relocation_addends;
  std::vector<GuestFunction> functions;
};

// Validates `file` as a guest and returns its load plan. Throws HostError("ELF_INVALID", ...).
GuestImage parseGuestImage(std::vector<uint8_t> file);

const char* valueTagName(uint8_t tag);

}  // namespace microvm
