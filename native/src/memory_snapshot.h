// The memory half of a VM snapshot, kept sparse: only pages the guest can write that held data
// when it was taken are copied. Pages the guest cannot write (code, read-only data, the host's
// tables) stay as they are and are copied only just before the host itself writes to one (a
// debugger poking memory). So an idle sandbox costs little more than its written pages.
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
  // Copies every resident, non-zero page of `memory` that `writable[page]` says may change.
  void capture(const GuestMemory& memory, const std::vector<bool>& writable);
  // Call before the host writes to guest memory: keeps the original of pages not copied yet.
  void preserve(const GuestMemory& memory, uint64_t address, uint64_t length);
  // Puts back the snapshot contents of every page set in `dirty` (zero for pages it did not hold).
  // Returns the number of pages restored.
  uint64_t restore(GuestMemory& memory, const DirtyPages& dirty) const;
  uint64_t storedPages() const { return data_.size() / 4096; }

 private:
  static constexpr int32_t kZero = -1;       // the page was all zero
  static constexpr int32_t kInPlace = -2;    // unchanged since the snapshot, which did not copy it
  std::vector<int32_t> page_index_;  // per guest page: index into data_ in pages, or kZero / kInPlace
  void store(const GuestMemory& memory, uint64_t page);
  std::vector<uint8_t> data_;
};

}  // namespace microvm
