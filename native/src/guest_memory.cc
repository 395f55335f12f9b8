#include "guest_memory.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "host_error.h"
#include "layout.h"

namespace microvm {

constexpr uint64_t kPtePresent = 1ull << 0;
constexpr uint64_t kPteWritable = 1ull << 1;
constexpr uint64_t kPteLarge = 1ull << 7;
constexpr uint64_t kPteAddressMask = 0x000FFFFFFFFFF000ull;

GuestMemory::GuestMemory(uint64_t size) {
  // MAP_NORESERVE: untouched guest pages cost nothing, which is what makes idle VMs cheap.
  void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (address == MAP_FAILED)
    fail(errno == ENOMEM ? "OUT_OF_MEMORY" : "INTERNAL",
         "cannot map " + std::to_string(size) + " bytes of guest memory: " + errnoText(errno));
  mapping_ = UniqueMapping(address, size);
}

void GuestMemory::mapFile(int fd, uint64_t address, uint64_t length, uint64_t offset) {
  at(address, length, "file mapping");  // bounds
  void* target = host() + address;
  void* mapped = ::mmap(target, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd, off_t(offset));
  if (mapped == MAP_FAILED) fail("INTERNAL", "mapping a file over guest memory failed: " + errnoText(errno));
}

uint8_t* GuestMemory::at(uint64_t address, uint64_t length, const char* what) const {
  if (!contains(address, length))
    fail("INTERNAL", std::string(what) + ": guest physical range " + hex(address) + "+" + hex(length) +
                         " lies outside guest memory (" + hex(size()) + " bytes)");
  return host() + address;
}

uint64_t GuestMemory::read64(uint64_t address) const {
  uint64_t value;
  std::memcpy(&value, at(address, 8, "read64"), 8);
  return value;
}

void GuestMemory::write64(uint64_t address, uint64_t value) { std::memcpy(at(address, 8, "write64"), &value, 8); }

bool GuestMemory::translate(uint64_t cr3, uint64_t virtual_address, uint64_t& physical, bool& writable,
                            std::string& reason) const {
  static const char* const level_names[] = {"PML4", "PDPT", "page directory", "page table"};
  // Canonical check: bits 63..47 must all equal bit 47.
  const uint64_t upper = virtual_address >> 47;
  if (upper != 0 && upper != 0x1FFFF) {
    reason = "non-canonical address";
    return false;
  }
  uint64_t table = cr3 & kPteAddressMask;
  writable = true;
  for (int level = 0; level < 4; ++level) {
    const int shift = 39 - 9 * level;
    const uint64_t index = (virtual_address >> shift) & 0x1FF;
    if (!contains(table + index * 8, 8)) {
      reason = std::string(level_names[level]) + " at " + hex(table) + " lies outside guest memory";
      return false;
    }
    const uint64_t entry = read64(table + index * 8);
    if (!(entry & kPtePresent)) {
      reason = std::string(level_names[level]) + " entry not present";
      return false;
    }
    writable = writable && (entry & kPteWritable);
    if (level == 3 || ((level == 1 || level == 2) && (entry & kPteLarge))) {
      const uint64_t page_mask = (1ull << shift) - 1;
      physical = (entry & kPteAddressMask & ~page_mask) | (virtual_address & page_mask);
      if (!contains(physical, 1)) {
        reason = "maps to guest physical " + hex(physical) + ", outside guest memory";
        return false;
      }
      return true;
    }
    table = entry & kPteAddressMask;
  }
  return false;  // unreachable
}

void GuestMemory::readVirtual(uint64_t cr3, uint64_t virtual_address, uint8_t* out, uint64_t length) const {
  while (length > 0) {
    uint64_t physical;
    bool writable;
    std::string reason;
    if (!translate(cr3, virtual_address, physical, writable, reason))
      fail("UNMAPPED", "cannot read guest address " + hex(virtual_address) + ": page " +
                           hex(virtual_address & ~(kPageSize - 1)) + " is not mapped (" + reason + ")");
    const uint64_t chunk = std::min(length, kPageSize - (virtual_address & (kPageSize - 1)));
    std::memcpy(out, at(physical, chunk, "readVirtual"), chunk);
    out += chunk;
    virtual_address += chunk;
    length -= chunk;
  }
}

void GuestMemory::writeVirtual(uint64_t cr3, uint64_t virtual_address, const uint8_t* data, uint64_t length) {
  while (length > 0) {
    uint64_t physical;
    bool writable;
    std::string reason;
    if (!translate(cr3, virtual_address, physical, writable, reason))
      fail("UNMAPPED", "cannot write guest address " + hex(virtual_address) + ": page " +
                           hex(virtual_address & ~(kPageSize - 1)) + " is not mapped (" + reason + ")");
    const uint64_t chunk = std::min(length, kPageSize - (virtual_address & (kPageSize - 1)));
    std::memcpy(at(physical, chunk, "writeVirtual"), data, chunk);
    data += chunk;
    virtual_address += chunk;
    length -= chunk;
  }
}

}  // namespace microvm
