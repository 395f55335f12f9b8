// The HostPrint record of docs/guest-abi.md as the engine's fast path reads it: guest-written bytes,
// decoded without a Machine so that the decoder can be fuzzed on its own (scripts/fuzz/native).
#pragma once

#include <cstdint>
#include <string_view>

namespace microvm {

// Strict UTF-8 well-formedness (Unicode table 3-7: no overlongs, surrogates or values past U+10FFFF).
bool isWellFormedUtf8(const uint8_t* data, uint64_t length);

// True when the output buffer (`output`: its `output_size` bytes, at guest address `output_address`)
// holds an MVH1 record of HostPrint(string) -> i32 that is valid in every detail; `text` is then its
// string (a view into `output`, valid UTF-8, its NUL inside the record's total). Anything doubtful is
// false: the checked JS path words the error.
bool decodeHostPrint(const uint8_t* output, uint64_t output_size, uint64_t output_address, std::string_view& text);

}  // namespace microvm
