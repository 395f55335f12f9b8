// Host calls the engine answers itself, on the thread that runs the vCPU, without a trip to
// JavaScript: today HostPrint, the one every guest makes. A round trip to JS per print costs more
// than the VM exit it answers; serving it here keeps a printing call close to the exit floor.
//
// Only a record that is valid in every detail is served here. Anything else (another function,
// a malformed record, text that is not UTF-8) is left to the JS host-call path, which reports it
// precisely: so the fast path can never accept what the checked path would refuse.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host_print_record.h"  // decodeHostPrint, isWellFormedUtf8
#include "machine.h"

namespace microvm {

struct ServedHostCall {
  std::string text;  // HostPrint's argument, valid UTF-8
  double duration_us = 0;
};

// Served prints are handed to JS at most this long after the first of them was served, so that a
// long-running guest's output still streams.
constexpr int64_t kMaxServedDelayNs = 1000000;

// Runs the vCPU like Machine::runUntilExit, answering HostPrint calls itself and collecting them
// in `served` (in order), until an exit that JS must see. `slice_ns` as in runUntilExit, counted
// across the whole loop.
RunOutcome runServingBuiltins(Machine& machine, int64_t slice_ns, std::vector<ServedHostCall>& served);

// Answers the HostPrint record in the output buffer if it is one and valid in every detail
// (decodeHostPrint).
bool serveHostPrint(Machine& machine, std::vector<ServedHostCall>& served);

}  // namespace microvm
