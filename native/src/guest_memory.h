// Guest physical memory: one anonymous mapping at guest physical address 0, with bounds-checked
// access by physical address and by virtual address through the guest's own page tables.
#pragma once

#include <cstdint>
#include <string>

#include "unique_fd.h"

namespace microvm {

class GuestMemory {
 public:
  explicit GuestMemory(uint64_t size);

  uint64_t size() const { return mapping_.size(); }
  // Maps `length` bytes of `fd` from `offset` privately (copy on write) over guest physical `address`.
  void mapFile(int fd, uint64_t address, uint64_t length, uint64_t offset = 0);
  uint8_t* host() const { return mapping_.bytes(); }

  bool contains(uint64_t address, uint64_t length) const {
    return address <= size() && length <= size() - address;
  }
  // Throws HostError naming `what` when [address, address+length) is outside guest memory.
  uint8_t* at(uint64_t address, uint64_t length, const char* what) const;
  uint64_t read64(uint64_t address) const;
  void write64(uint64_t address, uint64_t value);

  // Translates a guest virtual address through the page tables rooted at `cr3`. Returns false
  // (and the page-table level that was not present in `reason`) when the address is unmapped.
  bool translate(uint64_t cr3, uint64_t virtual_address, uint64_t& physical, bool& writable,
                 std::string& reason) const;
  // Copies guest virtual memory; throws HostError naming the first unmapped page.
  void readVirtual(uint64_t cr3, uint64_t virtual_address, uint8_t* out, uint64_t length) const;
  void writeVirtual(uint64_t cr3, uint64_t virtual_address, const uint8_t* data, uint64_t length);

 private:
  UniqueMapping mapping_;
};

}  // namespace microvm
