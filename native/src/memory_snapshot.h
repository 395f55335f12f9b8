// The memory half of a VM snapshot, kept in a file rather than in a copy: after initialisation
// the guest's pages are written once to a memfd, and guest memory becomes a private (copy-on-write)
// mapping of that file. Pages a call writes become private copies, which the kernel's page map
// (/proc/self/pagemap) names; restore copies the file's contents back over just those.
//
// Why this shape, and not KVM's dirty log:
//  - no dirty logging means KVM never write-protects guest pages again, so a call's first write to
//    each page costs no fault (about 4.5 µs each on paravirtualised KVM);
//  - restore needs no VM ioctl, so the VM file descriptor can be closed once the snapshot is taken:
//    one descriptor per sandbox (the vCPU's) instead of two, which is what lets a process with the
//    common 20,000-descriptor limit hold 10,000 sandboxes;
//  - the snapshot is the file: no second copy of the pages in the host's heap.
// Pages of the shared guest image that the guest cannot write (code, read-only data) stay mapped
// from the image's memfd, shared by every sandbox of the guest.
#pragma once

#include <cstdint>
#include <vector>

#include "guest_memory.h"
#include "unique_fd.h"

namespace microvm {

class DirtyPages {
 public:
  explicit DirtyPages(uint64_t pages) : bits_((pages + 63) / 64, 0) {}
  void mark(uint64_t address, uint64_t length);
  bool test(uint64_t page) const { return page / 64 < bits_.size() && (bits_[page / 64] >> (page % 64)) & 1; }
  void clear() { std::fill(bits_.begin(), bits_.end(), 0); }

 private:
  std::vector<uint64_t> bits_;
};

class MemorySnapshot {
 public:
  // Writes every resident, non-zero page of `memory` that `in_file[page]` selects into a new
  // memfd and maps the file privately over those pages (in place: KVM's memory slot is unchanged).
  void capture(GuestMemory& memory, const std::vector<bool>& in_file);
  // Puts back every page changed since the snapshot: file pages from the file, and the pages in
  // `host_written` outside the file (a debugger's writes to code) from the shared image. Returns
  // the number of pages restored.
  uint64_t restore(GuestMemory& memory, const DirtyPages& host_written);
  uint64_t storedPages() const { return stored_pages_; }
  bool captured() const { return view_.bytes() != nullptr; }

 private:
  std::vector<bool> in_file_;
  std::vector<bool> nonzero_;  // pages that hold data in the file (the rest are holes: zeros)
  UniqueMapping view_;         // the file, read-only and shared: the source of restores
  uint64_t stored_pages_ = 0;
  void findChangedPages(const GuestMemory& memory);
  std::vector<uint32_t> changed_;  // scratch: pages with private copies, in order
  std::vector<uint64_t> pagemap_;  // scratch for one read of /proc/self/pagemap
};

}  // namespace microvm
