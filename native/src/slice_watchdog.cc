#include "slice_watchdog.h"

#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <thread>

#include "machine.h"
#include "monotonic_clock.h"

namespace microvm {
namespace {

constexpr int64_t kPollNs = 1000000;            // ask for 1 ms; slack lets the kernel fire it at its tick
constexpr unsigned long kSlackNs = 4000000;     // one tick at HZ=250
constexpr int64_t kIdleAfterNs = 200000000;     // stop polling 200 ms after the last watched run


}  // namespace

SliceWatchdog& SliceWatchdog::instance() {
  // Never destroyed: its thread may still be waiting when the process exits.
  static SliceWatchdog* watchdog = new SliceWatchdog();
  return *watchdog;
}

SliceWatchdog::SliceWatchdog() {
  std::thread([this] { loop(); }).detach();
}

void SliceWatchdog::watch(Machine* machine, int64_t slice_end_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  watched_.push_back({machine, slice_end_ns});
  last_watch_ns_ = monotonicNs();
  if (!polling_) {
    polling_ = true;
    wake_.notify_one();
  }
}

void SliceWatchdog::unwatch(Machine* machine) {
  std::lock_guard<std::mutex> lock(mutex_);
  watched_.erase(std::remove_if(watched_.begin(), watched_.end(), [&](const Watched& w) { return w.machine == machine; }),
                 watched_.end());
}

void SliceWatchdog::loop() {
  ::prctl(PR_SET_TIMERSLACK, kSlackNs, 0, 0, 0);
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return polling_; });
    const int64_t now = monotonicNs();
    // Kicks happen under the lock, so once unwatch returns no kick for that run can follow.
    for (const Watched& watched : watched_)
      if (now >= watched.slice_end_ns) watched.machine->requestSliceEnd();
    if (watched_.empty() && now - last_watch_ns_ > kIdleAfterNs) {
      polling_ = false;
      continue;
    }
    lock.unlock();
    const timespec poll{0, kPollNs};
    ::nanosleep(&poll, nullptr);
    lock.lock();
  }
}

}  // namespace microvm
