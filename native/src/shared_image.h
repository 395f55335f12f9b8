// Loaded guest images shared between sandboxes: the pages of an image (segments copied in,
// relocations applied) live once in a memfd that every sandbox of the same guest maps privately
// over its image range. Pages the guest never writes (code, read-only data) are then one copy in
// the host, however many sandboxes run the guest; a written page is copied on write.
#pragma once

#include <cstdint>
#include <memory>

#include "guest_image.h"
#include "unique_fd.h"

namespace microvm {

class SharedImage {
 public:
  // The shared image for `image`, created on first use and kept while any sandbox maps it.
  static std::shared_ptr<SharedImage> of(const GuestImage& image);

  int fd() const { return fd_.get(); }
  uint64_t start() const { return start_; }  // page aligned
  uint64_t size() const { return size_; }    // page multiple

 private:
  SharedImage(const GuestImage& image);
  UniqueFd fd_;
  uint64_t start_ = 0;
  uint64_t size_ = 0;
};

}  // namespace microvm
