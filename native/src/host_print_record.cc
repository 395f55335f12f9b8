#include "host_print_record.h"

#include <cstring>

namespace microvm {
namespace {

// Record constants of docs/guest-abi.md (native/lib/records.ts has the same).
constexpr uint32_t kHostCallMagic = 0x3148564d;  // "MVH1"
constexpr uint64_t kHostCallHeaderSize = 24;
constexpr uint64_t kSlotSize = 16;
constexpr uint8_t kTagI32 = 1;
constexpr uint8_t kTagString = 8;
constexpr char kHostPrint[] = "HostPrint";

uint32_t u32At(const uint8_t* record, uint64_t offset) {
  uint32_t value;
  std::memcpy(&value, record + offset, 4);
  return value;
}

// A NUL-terminated UTF-8 string of `length` bytes at record offset `offset`, inside `total`.
bool stringInside(const uint8_t* record, uint64_t total, uint64_t offset, uint64_t length) {
  if (offset > total || length >= total - offset) return false;  // needs length + 1 bytes
  return record[offset + length] == 0 && isWellFormedUtf8(record + offset, length);
}

}  // namespace

bool isWellFormedUtf8(const uint8_t* data, uint64_t length) {
  uint64_t i = 0;
  while (i < length) {
    const uint8_t lead = data[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    uint64_t extra;
    uint8_t low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) extra = 1;
    else if (lead == 0xE0) extra = 2, low = 0xA0;
    else if (lead >= 0xE1 && lead <= 0xEC) extra = 2;
    else if (lead == 0xED) extra = 2, high = 0x9F;  // no surrogates
    else if (lead >= 0xEE && lead <= 0xEF) extra = 2;
    else if (lead == 0xF0) extra = 3, low = 0x90;
    else if (lead >= 0xF1 && lead <= 0xF3) extra = 3;
    else if (lead == 0xF4) extra = 3, high = 0x8F;  // nothing past U+10FFFF
    else return false;
    if (extra > length - i - 1) return false;
    if (data[i + 1] < low || data[i + 1] > high) return false;
    for (uint64_t k = 2; k <= extra; ++k)
      if (data[i + k] < 0x80 || data[i + k] > 0xBF) return false;
    i += extra + 1;
  }
  return true;
}

bool decodeHostPrint(const uint8_t* output, uint64_t output_size, uint64_t output_address, std::string_view& text) {
  if (output_size < kHostCallHeaderSize) return false;
  const uint64_t total = u32At(output, 4);
  if (u32At(output, 0) != kHostCallMagic || total < kHostCallHeaderSize + kSlotSize || total > output_size)
    return false;
  const uint8_t* record = output;
  const uint64_t name_offset = u32At(record, 8), name_length = u32At(record, 12);
  if (u32At(record, 16) != 1 || u32At(record, 20) != kTagI32) return false;  // HostPrint(string) -> i32
  if (name_length != sizeof kHostPrint - 1 || !stringInside(record, total, name_offset, name_length) ||
      std::memcmp(record + name_offset, kHostPrint, name_length) != 0)
    return false;
  const uint8_t* slot = record + kHostCallHeaderSize;
  uint64_t address;
  std::memcpy(&address, slot + 8, 8);
  const uint64_t length = u32At(slot, 4);
  if (slot[0] != kTagString || address < output_address) return false;
  const uint64_t text_offset = address - output_address;
  if (!stringInside(record, total, text_offset, length)) return false;
  text = std::string_view(reinterpret_cast<const char*>(record + text_offset), length);
  return true;
}

}  // namespace microvm
