#include "builtin_host_calls.h"

#include <cstring>

#include "monotonic_clock.h"

namespace microvm {
namespace {

// Reply constants of docs/guest-abi.md (native/lib/records.ts has the same).
constexpr uint32_t kHostReplyMagic = 0x5248564d;  // "MVHR"
constexpr uint64_t kReplySize = 32;
constexpr uint8_t kTagI32 = 1;

}  // namespace

bool serveHostPrint(Machine& machine, std::vector<ServedHostCall>& served) {
  const int64_t started = monotonicNs();
  const Layout& layout = machine.layout();
  if (layout.output_size < kReplySize) return false;
  const uint8_t* output = machine.memory().at(layout.output_address, layout.output_size, "output");
  std::string_view text;
  if (!decodeHostPrint(output, layout.output_size, layout.output_address, text)) return false;

  ServedHostCall call;
  call.text.assign(text.data(), text.size());
  uint8_t reply[kReplySize] = {};
  const uint32_t reply_magic = kHostReplyMagic, reply_size = kReplySize;
  const int64_t result = int64_t(text.size());  // HostPrint returns the bytes printed
  std::memcpy(reply + 0, &reply_magic, 4);
  std::memcpy(reply + 8, &reply_size, 4);
  reply[16] = kTagI32;
  std::memcpy(reply + 24, &result, 8);
  machine.writeHostBuffer(layout.output_address, reply, kReplySize, "output");
  call.duration_us = double(monotonicNs() - started) / 1000.0;
  served.push_back(std::move(call));
  return true;
}

RunOutcome runServingBuiltins(Machine& machine, int64_t slice_ns, std::vector<ServedHostCall>& served) {
  const int64_t start = monotonicNs();
  int64_t first_served = 0;
  for (;;) {
    int64_t slice_left = 0;
    if (slice_ns > 0) {
      slice_left = start + slice_ns - monotonicNs();
      if (slice_left <= 0) {
        RunOutcome outcome;
        outcome.kind = RunOutcome::kSliced;
        return outcome;
      }
    }
    RunOutcome outcome = machine.runUntilExit(slice_left);
    if (outcome.kind != RunOutcome::kHostCall) return outcome;
    if (!served.empty() && monotonicNs() - first_served >= kMaxServedDelayNs) return outcome;
    const bool first = served.empty();
    if (!serveHostPrint(machine, served)) return outcome;
    if (first) first_served = monotonicNs();
  }
}

}  // namespace microvm
