#include "memory_snapshot.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "host_error.h"
#include "layout.h"

namespace microvm {
namespace {

// /proc/self/pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst).
constexpr uint64_t kPagePresent = 1ull << 63;
constexpr uint64_t kPageSwapped = 1ull << 62;
constexpr uint64_t kPageFileOrShared = 1ull << 61;

// PAGEMAP_SCAN (<linux/fs.h> of Linux 6.7; Debian 12's headers predate it, the ABI is stable).
struct PageRegion {
  uint64_t start, end, categories;
};
struct PageMapScanArgument {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
  uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
constexpr unsigned long kPagemapScan = _IOWR('f', 16, PageMapScanArgument);
constexpr uint64_t kPageIsFile = 1 << 2;
constexpr uint64_t kPageIsPresent = 1 << 3;
constexpr uint64_t kPageIsSwapped = 1 << 4;

// Beyond this many changed pages a restore drops them (the kernel maps the file's page again on
// the next touch) instead of copying: a call that wrote megabytes should not make every later
// restore copy them, and the memory goes back to the host.
constexpr uint64_t kMaxCopiedPages = 64;

// One descriptor for the whole process, opened on first use.
int pagemapFd() {
  static std::once_flag once;
  static int fd = -1;
  static int open_errno = 0;
  std::call_once(once, [] {
    fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    open_errno = errno;
  });
  if (fd < 0) fail("INTERNAL", "cannot open /proc/self/pagemap, which restore reads: " + errnoText(open_errno));
  return fd;
}

bool allZero(const uint8_t* page) {
  const uint64_t* words = reinterpret_cast<const uint64_t*>(page);
  for (size_t i = 0; i < kPageSize / 8; ++i)
    if (words[i] != 0) return false;
  return true;
}

void writeAll(int fd, const uint8_t* data, uint64_t length, uint64_t offset) {
  while (length > 0) {
    const ssize_t n = ::pwrite(fd, data, length, off_t(offset));
    if (n <= 0) fail(errno == ENOSPC ? "OUT_OF_MEMORY" : "INTERNAL", "writing the memory snapshot failed: " + errnoText(errno));
    data += n;
    offset += uint64_t(n);
    length -= uint64_t(n);
  }
}

// Drops the private copies of pages [first, first + count): the file's pages show through again.
void dropPages(GuestMemory& memory, uint64_t first, uint64_t count) {
  if (::madvise(memory.host() + first * kPageSize, count * kPageSize, MADV_DONTNEED) != 0)
    fail("INTERNAL", "madvise(MADV_DONTNEED) on guest memory failed: " + errnoText(errno));
}

}  // namespace

void DirtyPages::mark(uint64_t address, uint64_t length) {
  if (length == 0) return;
  const uint64_t last = (address + length - 1) / kPageSize;
  for (uint64_t page = address / kPageSize; page <= last && page / 64 < bits_.size(); ++page)
    bits_[page / 64] |= 1ull << (page % 64);
}

void MemorySnapshot::capture(GuestMemory& memory, const std::vector<bool>& in_file) {
  const uint64_t pages = memory.size() / kPageSize;
  // mincore tells which pages were ever touched; the others hold zeros and stay holes in the file.
  std::vector<unsigned char> resident(pages);
  if (::mincore(memory.host(), memory.size(), resident.data()) != 0)
    fail("INTERNAL", "mincore on guest memory failed: " + errnoText(errno));
  const int raw = ::memfd_create("microvm-snapshot", MFD_CLOEXEC);
  if (raw < 0) fail(errno == ENOMEM ? "OUT_OF_MEMORY" : "INTERNAL", "memfd_create for the snapshot failed: " + errnoText(errno));
  UniqueFd file(raw);  // closed on return: the mappings keep the file
  if (::ftruncate(raw, off_t(memory.size())) != 0) fail("INTERNAL", "sizing the snapshot file failed: " + errnoText(errno));
  in_file_.assign(pages, false);
  nonzero_.assign(pages, false);
  stored_pages_ = 0;
  // Written in runs of consecutive pages with data: one pwrite per run, not per page.
  uint64_t run_start = 0, run_length = 0;
  auto flush = [&] {
    if (run_length > 0) writeAll(raw, memory.host() + run_start * kPageSize, run_length * kPageSize, run_start * kPageSize);
    run_length = 0;
  };
  for (uint64_t page = 0; page < pages; ++page) {
    bool data = false;
    if (page < in_file.size() && in_file[page]) {
      in_file_[page] = true;
      data = (resident[page] & 1) && !allZero(memory.host() + page * kPageSize);
    }
    if (!data) {
      flush();
      continue;
    }
    if (run_length == 0) run_start = page;
    ++run_length;
    nonzero_[page] = true;
    ++stored_pages_;
  }
  flush();
  // Map the file over each run of its pages, in place.
  for (uint64_t page = 0; page < pages;) {
    if (!in_file_[page]) {
      ++page;
      continue;
    }
    uint64_t end = page;
    while (end < pages && in_file_[end]) ++end;
    memory.mapFile(raw, page * kPageSize, (end - page) * kPageSize, page * kPageSize);
    page = end;
  }
  void* view = ::mmap(nullptr, memory.size(), PROT_READ, MAP_SHARED, raw, 0);
  if (view == MAP_FAILED) fail("INTERNAL", "mapping the snapshot file failed: " + errnoText(errno));
  view_ = UniqueMapping(view, memory.size());
  pagemap_.assign(pages, 0);
}

// Pages of guest memory that have private copies: present anonymous pages, or swapped ones (only
// private copies swap; the file's pages stay in the file). PAGEMAP_SCAN (Linux 6.7) returns just
// those as ranges; older kernels get one read of the whole /proc/self/pagemap range instead.
void MemorySnapshot::findChangedPages(const GuestMemory& memory) {
  changed_.clear();
  const uint64_t base = reinterpret_cast<uintptr_t>(memory.host());
  const uint64_t pages = memory.size() / kPageSize;
  // MICROVM_FORCE_PAGEMAP_READ lets the tests run the older kernels' path on this one.
  static std::atomic<bool> scan_works{std::getenv("MICROVM_FORCE_PAGEMAP_READ") == nullptr};
  if (scan_works.load(std::memory_order_relaxed)) {
    PageRegion regions[32];
    PageMapScanArgument argument{};
    argument.size = sizeof argument;
    argument.start = base;
    argument.end = base + memory.size();
    argument.vec = reinterpret_cast<uintptr_t>(regions);
    argument.vec_len = sizeof regions / sizeof regions[0];
    argument.category_inverted = kPageIsFile;
    argument.category_mask = kPageIsFile;
    argument.category_anyof_mask = kPageIsPresent | kPageIsSwapped;
    argument.return_mask = kPageIsPresent | kPageIsSwapped;
    for (;;) {
      const int count = ::ioctl(pagemapFd(), kPagemapScan, &argument);
      if (count < 0) {
        if (errno != ENOTTY && errno != EINVAL) fail("INTERNAL", "PAGEMAP_SCAN on guest memory failed: " + errnoText(errno));
        scan_works = false;  // an older kernel: read the page map instead, from now on
        changed_.clear();
        break;
      }
      for (int i = 0; i < count; ++i)
        for (uint64_t address = regions[i].start; address < regions[i].end; address += kPageSize)
          changed_.push_back(uint32_t((address - base) / kPageSize));
      if (argument.walk_end >= argument.end) return;
      argument.start = argument.walk_end;
    }
  }
  const uint64_t bytes = pages * sizeof(uint64_t);
  const ssize_t read = ::pread(pagemapFd(), pagemap_.data(), bytes, off_t(base / kPageSize * sizeof(uint64_t)));
  if (read != ssize_t(bytes)) fail("INTERNAL", "reading /proc/self/pagemap failed: " + errnoText(errno));
  for (uint64_t page = 0; page < pages; ++page) {
    const uint64_t entry = pagemap_[page];
    if (((entry & kPagePresent) && !(entry & kPageFileOrShared)) || (entry & kPageSwapped)) changed_.push_back(uint32_t(page));
  }
}

uint64_t MemorySnapshot::restore(GuestMemory& memory, const DirtyPages& host_written) {
  if (!captured()) fail("INTERNAL", "restore before the snapshot was taken");
  findChangedPages(memory);
  uint64_t changed_in_file = 0;
  for (uint32_t page : changed_)
    if (in_file_[page]) ++changed_in_file;
  const bool copy = changed_in_file <= kMaxCopiedPages;

  uint64_t restored = 0;
  for (uint32_t page : changed_) {
    if (in_file_[page]) {
      // Copying keeps the page mapped (no fault on the next call's write); dropping frees it.
      if (copy) {
        uint8_t* target = memory.host() + uint64_t(page) * kPageSize;
        if (nonzero_[page]) std::memcpy(target, view_.bytes() + uint64_t(page) * kPageSize, kPageSize);
        else std::memset(target, 0, kPageSize);
      } else {
        dropPages(memory, page, 1);
      }
      ++restored;
    } else if (host_written.test(page)) {
      // A page of the shared image the host (a debugger) wrote: the image shows through again.
      dropPages(memory, page, 1);
      ++restored;
    }
    // Other private copies outside the file hold only the host's breakpoints, which stay.
  }
  return restored;
}

}  // namespace microvm
