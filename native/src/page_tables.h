// Identity-mapped 4 KiB page tables with per-page permissions: unmapped null page and guard
// pages, read-only code, no-execute data, and the tables themselves invisible to the guest.
#pragma once

#include <vector>

#include "guest_memory.h"
#include "layout.h"

namespace microvm {

// Writes the tables at kPageTablesAddress; returns the CR3 value. Later regions override earlier
// ones page by page; a page in no region stays unmapped.
uint64_t buildPageTables(GuestMemory& memory, const std::vector<Region>& regions);

}  // namespace microvm
