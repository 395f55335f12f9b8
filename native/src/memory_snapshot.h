// The memory half of a VM snapshot, kept sparse: only pages that held data when it was taken are
// copied, so an idle sandbox costs roughly twice its touched pages, not twice its memory size.
// Restore copies back just the pages a call dirtied (KVM's dirty log plus the host's own writes).
#pragma once

#include <cstdint>
#include <vector>

#include "guest_memory.h"

namespace microvm {

class DirtyPages {
 public:
  explicit DirtyPages(uint64_t pages) : bits_((pages + 63) / 64, 0) {}
  void mark(uint64_t address, uint64_t length);
  void merge(const std::vector<uint64_t>& other);
  void clear() { std::fill(bits_.begin(), bits_.end(), 0); }
  std::vector<uint64_t>& bits() { return bits_; }
  const std::vector<uint64_t>& bits() const { return bits_; }

 private:
  std::vector<uint64_t> bits_;
};

class MemorySnapshot {
 public:
  // Copies every resident page of `memory` that is not all zero.
  void capture(const GuestMemory& memory);
  // Puts back the snapshot contents of every page set in `dirty` (zero for pages it did not hold).
  // Returns the number of pages restored.
  uint64_t restore(GuestMemory& memory, const DirtyPages& dirty) const;
  uint64_t storedPages() const { return data_.size() / 4096; }

 private:
  std::vector<int32_t> page_index_;  // per guest page: index into data_ in pages, or -1 for zero
  std::vector<uint8_t> data_;
};

}  // namespace microvm
