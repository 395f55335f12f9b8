// libFuzzer target: the HostPrint fast path (native/src/host_print_record.cc), which decodes a record
// the guest wrote into its output buffer, and its strict UTF-8 check. The input is the output buffer's
// contents at guest address kOutputAddress (seeds: valid HostPrint records at that address).
//  - decodeHostPrint may accept or decline, but what it accepts must keep every promise of the ABI
//    (record inside the buffer, name "HostPrint", text inside the record with its NUL, UTF-8).
//  - isWellFormedUtf8 is checked against a reference decoder (code point by code point, Unicode 3.9
//    D92) on the whole input and on the text it accepted.
// Run with ASan and UBSan: any out-of-bounds read is a finding too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "host_print_record.h"

using namespace microvm;

namespace {

constexpr uint64_t kOutputAddress = 0x131000;

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "host_print_fuzzer: %s\n", what);
  std::abort();
}

// Reference: decode each code point, then reject overlong forms, surrogates and values past U+10FFFF.
bool referenceUtf8(const uint8_t* data, size_t length) {
  size_t i = 0;
  while (i < length) {
    const uint8_t b = data[i];
    uint32_t cp;
    size_t n;
    if (b < 0x80) { cp = b; n = 1; }
    else if ((b & 0xE0) == 0xC0) { cp = b & 0x1F; n = 2; }
    else if ((b & 0xF0) == 0xE0) { cp = b & 0x0F; n = 3; }
    else if ((b & 0xF8) == 0xF0) { cp = b & 0x07; n = 4; }
    else return false;  // a continuation byte or 0xF8..0xFF as a lead
    if (length - i < n) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((data[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (data[i + k] & 0x3F);
    }
    static const uint32_t kMinimum[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinimum[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

uint32_t u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (isWellFormedUtf8(data, size) != referenceUtf8(data, size)) broken("isWellFormedUtf8 disagrees with the reference decoder on the input");

  // An exact-size copy, so that ASan sees any read past the buffer's end.
  std::vector<uint8_t> output(data, data + size);
  std::string_view text;
  if (!decodeHostPrint(output.data(), output.size(), kOutputAddress, text)) return 0;

  const uint64_t total = u32(output.data() + 4);
  if (total < 40 || total > size) broken("accepted a record whose total is outside 40..buffer size");
  if (u32(output.data()) != 0x3148564d) broken("accepted a record without the MVH1 magic");
  if (u32(output.data() + 16) != 1 || u32(output.data() + 20) != 1 || output[24] != 8) broken("accepted another signature than HostPrint(string) -> i32");
  const uint64_t name_offset = u32(output.data() + 8);
  if (u32(output.data() + 12) != 9 || name_offset + 10 > total || std::memcmp(output.data() + name_offset, "HostPrint", 10) != 0)
    broken("accepted a record whose name is not \"HostPrint\" with its NUL inside the record");
  const auto* text_start = reinterpret_cast<const uint8_t*>(text.data());
  if (text_start < output.data() || uint64_t(text_start - output.data()) + text.size() + 1 > total) broken("accepted text outside the record");
  uint64_t address;
  std::memcpy(&address, output.data() + 32, 8);
  if (address != kOutputAddress + uint64_t(text_start - output.data()) || u32(output.data() + 28) != text.size())
    broken("the accepted text is not the slot's address and length");
  if (text_start[text.size()] != 0) broken("accepted text without its NUL");
  if (!referenceUtf8(text_start, text.size())) broken("accepted text that is not UTF-8");
  return 0;
}
