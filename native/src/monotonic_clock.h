// CLOCK_MONOTONIC in nanoseconds: the one clock for deadlines, time slices and host-call timings,
// so that the run loop, the slice watchdog and the served host calls compare the same numbers.
#pragma once

#include <time.h>

#include <cstdint>

namespace microvm {

inline int64_t monotonicNs() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
}

}  // namespace microvm
