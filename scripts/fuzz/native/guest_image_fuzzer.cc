// libFuzzer target: the guest ELF loader/validator (native/src/guest_image.cc), which reads a
// user-supplied file before any VM exists. Every input must either load, with a plan that keeps the
// loader's promises (checked below), or be refused with HostError("ELF_INVALID", ...). Anything else
// (another exception, a sanitizer report, a hang) is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "guest_image.h"
#include "host_error.h"

using namespace microvm;

namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "guest_image_fuzzer: a loaded image breaks its promise: %s\n", what);
  std::abort();
}

void checkPlan(const GuestImage& image) {
  if (image.segments.empty()) broken("no segments");
  bool entry_ok = false;
  for (const LoadSegment& s : image.segments) {
    if (s.file_size > s.memory_size) broken("p_filesz > p_memsz");
    if (s.file_offset > image.file.size() || s.file_size > image.file.size() - s.file_offset) broken("file range outside the file");
    if (s.address < kImageBase || s.memory_size > kMaxMemorySize || s.address > kMaxMemorySize - s.memory_size)
      broken("segment outside the image area");
    if ((s.permissions & kWrite) && (s.permissions & kExecute)) broken("writable and executable segment");
    if ((s.permissions & kExecute) && image.entry >= s.address && image.entry < s.address + s.memory_size) entry_ok = true;
  }
  for (size_t i = 1; i < image.segments.size(); ++i)
    if (image.segments[i].address < image.segments[i - 1].address + image.segments[i - 1].memory_size) broken("segments overlap");
  if (!entry_ok) broken("entry outside every executable segment");
  if (image.relative_relocations.size() != image.relocation_addends.size()) broken("relocation arrays differ");
  for (const GuestFunction& f : image.functions) {
    if (f.name.empty() || f.name.size() > kMaxFunctionNameLength) broken("function name length");
    if (f.param_types.size() > kMaxParams || f.return_type >= kTagCount) broken("function signature");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> file(data, data + size);
  try {
    const GuestImage image = parseGuestImage(std::move(file));
    checkPlan(image);
  } catch (const HostError& error) {
    if (error.code() != "ELF_INVALID") {
      std::fprintf(stderr, "guest_image_fuzzer: HostError with code %s: %s\n", error.code().c_str(), error.what());
      std::abort();
    }
  }
  return 0;
}
