#include "shared_image.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "host_error.h"
#include "layout.h"

namespace microvm {
namespace {

// FNV-1a over the file: equal files share one image. (Collisions would need equal hashes and
// equal sizes; the key includes the size.)
std::string keyOf(const GuestImage& image) {
  uint64_t hash = 1469598103934665603ull;
  for (uint8_t byte : image.file) {
    hash ^= byte;
    hash *= 1099511628211ull;
  }
  return std::to_string(hash) + ":" + std::to_string(image.file.size());
}

}  // namespace

SharedImage::SharedImage(const GuestImage& image) {
  start_ = image.image_start & ~(kPageSize - 1);
  size_ = alignUp(image.image_end, kPageSize) - start_;
  std::vector<uint8_t> pages(size_, 0);
  for (const LoadSegment& segment : image.segments)
    std::memcpy(pages.data() + (segment.address - start_), image.file.data() + segment.file_offset, segment.file_size);
  for (size_t i = 0; i < image.relative_relocations.size(); ++i)
    std::memcpy(pages.data() + (image.relative_relocations[i] - start_), &image.relocation_addends[i], 8);

  const int fd = ::memfd_create("microvm-guest-image", MFD_CLOEXEC);
  if (fd < 0) fail("INTERNAL", "memfd_create for the shared guest image failed: " + errnoText(errno));
  fd_ = UniqueFd(fd);
  size_t written = 0;
  while (written < pages.size()) {
    const ssize_t n = ::pwrite(fd, pages.data() + written, pages.size() - written, off_t(written));
    if (n <= 0) fail(errno == ENOSPC ? "OUT_OF_MEMORY" : "INTERNAL", "writing the shared guest image failed: " + errnoText(errno));
    written += size_t(n);
  }
}

std::shared_ptr<SharedImage> SharedImage::of(const GuestImage& image) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<SharedImage>> cache;
  // The last few images stay loaded with no sandbox mapping them, so that a create-call-dispose
  // loop (a cold request) does not build the same image again each time.
  static std::deque<std::shared_ptr<SharedImage>> recent;
  constexpr size_t kRecentImages = 4;
  const std::string key = keyOf(image);
  std::lock_guard<std::mutex> lock(mutex);
  // Drop entries of images nobody maps any more.
  for (auto it = cache.begin(); it != cache.end();) it = it->second.expired() ? cache.erase(it) : std::next(it);
  std::shared_ptr<SharedImage> found = cache[key].lock();
  if (!found) {
    found.reset(new SharedImage(image));
    cache[key] = found;
  }
  auto same = std::find(recent.begin(), recent.end(), found);
  if (same != recent.end()) recent.erase(same);
  recent.push_front(found);
  if (recent.size() > kRecentImages) recent.pop_back();
  return found;
}

}  // namespace microvm
