#include "page_tables.h"

#include <cstring>

#include "host_error.h"

namespace microvm {

constexpr uint64_t kPresent = 1ull << 0;
constexpr uint64_t kWritable = 1ull << 1;
constexpr uint64_t kUserAccessible = 1ull << 2;
constexpr uint64_t kAccessed = 1ull << 5;
constexpr uint64_t kDirty = 1ull << 6;
constexpr uint64_t kNoExecute = 1ull << 63;

uint64_t buildPageTables(GuestMemory& memory, const std::vector<Region>& regions) {
  const uint64_t pages = memory.size() / kPageSize;
  std::vector<uint8_t> permissions(pages, 0);
  for (const Region& region : regions)
    for (uint64_t page = region.address / kPageSize; page < (region.address + region.size) / kPageSize; ++page)
      // Image segments may share a page (the parser refused W+X unions); others simply override.
      if (page < pages) permissions[page] = region.name == "image" ? permissions[page] | region.permissions
                                                                    : region.permissions;

  const uint64_t page_tables = (pages + 511) / 512;       // one PT per 2 MiB
  const uint64_t directories = (page_tables + 511) / 512;  // one PD per 1 GiB
  const uint64_t pml4 = kPageTablesAddress;
  const uint64_t pdpt = pml4 + kPageSize;
  const uint64_t first_pd = pdpt + kPageSize;
  const uint64_t first_pt = first_pd + directories * kPageSize;
  const uint64_t end = first_pt + page_tables * kPageSize;
  if (end > kPageTablesEnd)
    fail("INVALID_OPTIONS", "memory size " + std::to_string(memory.size()) + " needs more page tables than fit below 1 MiB");
  std::memset(memory.at(pml4, end - pml4, "page tables"), 0, end - pml4);

  // Upper levels allow everything; the leaf entry decides. A and D are preset so that the CPU
  // never writes to the tables, which keeps them out of every snapshot diff.
  const uint64_t upper = kPresent | kWritable | kUserAccessible | kAccessed;
  memory.write64(pml4, pdpt | upper);
  for (uint64_t d = 0; d < directories; ++d) memory.write64(pdpt + d * 8, (first_pd + d * kPageSize) | upper);
  for (uint64_t t = 0; t < page_tables; ++t) memory.write64(first_pd + t * 8, (first_pt + t * kPageSize) | upper);
  for (uint64_t page = 0; page < pages; ++page) {
    const uint8_t p = permissions[page];
    if (p == 0) continue;
    uint64_t entry = (page * kPageSize) | kPresent | kAccessed | kDirty;
    if (p & kWrite) entry |= kWritable;
    if (p & kUser) entry |= kUserAccessible;
    if (!(p & kExecute)) entry |= kNoExecute;
    memory.write64(first_pt + page * 8, entry);
  }
  return pml4;
}

}  // namespace microvm
