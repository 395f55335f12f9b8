// Ends inline time slices (Machine::runUntilExit with a slice) from a separate thread.
//
// Why not a timer per slice: a POSIX timer that expires before the kernel's next scheduler tick
// (4 ms at HZ=250) makes the kernel reprogram the CPU's timer device when it is armed and again
// when it is disarmed, and inside a VM each reprogramming is a trip to the hypervisor: about 18 µs
// per call measured here, the whole budget of the async path. The watchdog instead polls at tick
// granularity (with timer slack, so its own sleeps need no reprogramming either) while inline runs
// are active, and sleeps on a condition variable when none have been seen for a while. Watching a
// run is then a mutex and a vector push, with a wake-up only when the watchdog was idle.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

namespace microvm {

class Machine;

class SliceWatchdog {
 public:
  static SliceWatchdog& instance();
  // From now until unwatch, `machine` gets requestSliceEnd() once `slice_end_ns` (CLOCK_MONOTONIC)
  // has passed, and again every poll while it is still watched.
  void watch(Machine* machine, int64_t slice_end_ns);
  void unwatch(Machine* machine);

 private:
  SliceWatchdog();
  void loop();

  struct Watched {
    Machine* machine;
    int64_t slice_end_ns;
  };
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Watched> watched_;
  bool polling_ = false;
  int64_t last_watch_ns_ = 0;
};

// Unwatches on scope exit.
class SliceWatch {
 public:
  SliceWatch(Machine* machine, int64_t slice_end_ns) : machine_(slice_end_ns > 0 ? machine : nullptr) {
    if (machine_ != nullptr) SliceWatchdog::instance().watch(machine_, slice_end_ns);
  }
  ~SliceWatch() {
    if (machine_ != nullptr) SliceWatchdog::instance().unwatch(machine_);
  }
  SliceWatch(const SliceWatch&) = delete;
  SliceWatch& operator=(const SliceWatch&) = delete;

 private:
  Machine* machine_;
};

}  // namespace microvm
