#include "memory_snapshot.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "host_error.h"
#include "layout.h"

namespace microvm {

void DirtyPages::mark(uint64_t address, uint64_t length) {
  if (length == 0) return;
  const uint64_t last = (address + length - 1) / kPageSize;
  for (uint64_t page = address / kPageSize; page <= last && page / 64 < bits_.size(); ++page)
    bits_[page / 64] |= 1ull << (page % 64);
}

void DirtyPages::merge(const std::vector<uint64_t>& other) {
  for (size_t i = 0; i < bits_.size() && i < other.size(); ++i) bits_[i] |= other[i];
}

static bool allZero(const uint8_t* page) {
  const uint64_t* words = reinterpret_cast<const uint64_t*>(page);
  for (size_t i = 0; i < kPageSize / 8; ++i)
    if (words[i] != 0) return false;
  return true;
}

void MemorySnapshot::store(const GuestMemory& memory, uint64_t page) {
  const uint8_t* source = memory.host() + page * kPageSize;
  page_index_[page] = int32_t(data_.size() / kPageSize);
  data_.insert(data_.end(), source, source + kPageSize);
}

void MemorySnapshot::preserve(const GuestMemory& memory, uint64_t address, uint64_t length) {
  if (length == 0) return;
  const uint64_t last = (address + length - 1) / kPageSize;
  for (uint64_t page = address / kPageSize; page <= last && page < page_index_.size(); ++page)
    if (page_index_[page] == kInPlace) store(memory, page);
}

void MemorySnapshot::capture(const GuestMemory& memory, const std::vector<bool>& writable) {
  const uint64_t pages = memory.size() / kPageSize;
  // mincore tells which pages were ever touched; reading the others would only find zeros.
  std::vector<unsigned char> resident(pages);
  if (::mincore(memory.host(), memory.size(), resident.data()) != 0)
    fail("INTERNAL", "mincore on guest memory failed: " + errnoText(errno));
  page_index_.assign(pages, kZero);
  data_.clear();
  for (uint64_t page = 0; page < pages; ++page) {
    if (!(resident[page] & 1)) continue;
    const uint8_t* source = memory.host() + page * kPageSize;
    if (allZero(source)) continue;
    if (page < writable.size() && writable[page]) store(memory, page);
    else page_index_[page] = kInPlace;
  }
  data_.shrink_to_fit();
}

uint64_t MemorySnapshot::restore(GuestMemory& memory, const DirtyPages& dirty) const {
  uint64_t restored = 0;
  const std::vector<uint64_t>& bits = dirty.bits();
  for (size_t word = 0; word < bits.size(); ++word) {
    uint64_t mask = bits[word];
    while (mask != 0) {
      const uint64_t page = word * 64 + uint64_t(__builtin_ctzll(mask));
      mask &= mask - 1;
      if (page >= page_index_.size()) break;
      uint8_t* target = memory.host() + page * kPageSize;
      const int32_t index = page_index_[page];
      // Only the guest's own writable pages and host-preserved pages can be dirty.
      if (index == kInPlace)
        fail("INTERNAL", "guest page " + hex(page * kPageSize) + " changed although the guest cannot write it");
      if (index == kZero) std::memset(target, 0, kPageSize);
      else std::memcpy(target, data_.data() + uint64_t(index) * kPageSize, kPageSize);
      ++restored;
    }
  }
  return restored;
}

}  // namespace microvm
