// A Machine's run loop and its timers: the vCPU thread's kick signal and per-thread deadline
// timer, pause and time-slice requests from other threads, and runUntilExit, which runs the vCPU
// until an exit the host must answer (decoded in machine_exits.cc).
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

#include "host_error.h"
#include "machine.h"
#include "monotonic_clock.h"
#include "slice_watchdog.h"
#include "system_tables.h"

namespace microvm {
namespace {

// The signal that kicks a vCPU thread out of KVM_RUN. Its handler does nothing: the interrupted
// ioctl returning EINTR is the whole point.
int kickSignal() { return SIGRTMIN + 7; }

pid_t currentThreadId() { return pid_t(::syscall(SYS_gettid)); }

// Per-thread state for running vCPUs: the thread id, the kick signal unblocked once, and one
// POSIX timer reused for every run on this thread (arming costs one syscall, not three).
struct RunnerThread {
  pid_t tid = 0;
  timer_t timer{};
  bool ready = false;

  ~RunnerThread() {
    if (ready) timer_delete(timer);
  }

  void prepare() {
    if (ready) return;
    tid = currentThreadId();
    sigset_t kick;
    sigemptyset(&kick);
    sigaddset(&kick, kickSignal());
    pthread_sigmask(SIG_UNBLOCK, &kick, nullptr);  // threads may inherit a blocked mask
    sigevent event{};
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = kickSignal();
    event._sigev_un._tid = tid;
    if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0)
      fail("INTERNAL", "timer_create for the call deadline failed: " + errnoText(errno));
    ready = true;
  }
};

thread_local RunnerThread runner_thread;

// Arms this thread's timer to signal it when the budget runs out and then every millisecond, so
// a signal that lands while the thread is outside KVM_RUN is followed by another; disarms it on
// destruction.
class DeadlineTimer {
 public:
  explicit DeadlineTimer(int64_t budget_ns) {
    itimerspec spec{};
    const int64_t first = budget_ns > 0 ? budget_ns : 1;
    spec.it_value.tv_sec = first / 1000000000;
    spec.it_value.tv_nsec = first % 1000000000;
    spec.it_interval.tv_nsec = 1000000;
    timer_settime(runner_thread.timer, 0, &spec, nullptr);
  }
  ~DeadlineTimer() {
    const itimerspec off{};
    timer_settime(runner_thread.timer, 0, &off, nullptr);
  }
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;
};

}  // namespace

void Machine::installKickHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_handler = [](int) {};
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // KVM_RUN still returns EINTR; other syscalls are restarted.
    sigaction(kickSignal(), &action, nullptr);
  });
}

void Machine::requestPause() {
  pause_requested_ = true;
  const pid_t thread = running_thread_.load();
  if (thread != 0) ::syscall(SYS_tgkill, ::getpid(), thread, kickSignal());
}

// From the slice watchdog's thread: the flag is seen before the next KVM_RUN, immediate_exit makes
// a KVM_RUN entered after that check return at once, and the signal ends one already running.
void Machine::requestSliceEnd() {
  slice_expired_ = true;
  const pid_t thread = running_thread_.load();
  if (thread == 0) return;
  __atomic_store_n(&run_->immediate_exit, 1, __ATOMIC_RELEASE);
  ::syscall(SYS_tgkill, ::getpid(), thread, kickSignal());
}

RunOutcome Machine::runUntilExit(int64_t slice_ns) {
  runner_thread.prepare();
  running_thread_ = runner_thread.tid;
  struct Running {
    std::atomic<pid_t>& thread;
    ~Running() { thread = 0; }
  } running{running_thread_};

  const int64_t start = monotonicNs();
  const int64_t deadline = start + remaining_ns_;
  const bool sliced = slice_ns > 0 && slice_ns < remaining_ns_;
  const int64_t slice_end = sliced ? start + slice_ns : deadline;
  slice_expired_ = false;
  DeadlineTimer timer(remaining_ns_);
  SliceWatch watch(this, sliced ? slice_end : 0);
  auto leave = [&](RunOutcome outcome) {
    remaining_ns_ = std::max<int64_t>(0, deadline - monotonicNs());
    return outcome;
  };

  if (debug_.active()) {
    bool ended = false;
    RunOutcome first;
    if (stepOffSoftwareBreakpoint(ended, first) && ended) return leave(first);
  }
  uint64_t previous_rip = 0;
  if (wantsTrapFlag()) {
    kvm_regs regs;
    ioctlOrFail(KVM_GET_REGS, &regs, "KVM_GET_REGS");
    previous_rip = regs.rip;
    // A run that ended (a time slice, a pause) while the host's #DB stub was reporting the last
    // step must let the stub finish: a trap flag set there would trap inside the stub, in ring 0.
    // The step it reports arrives as this run's first exit.
    if (!isExceptionStubAddress(regs.rip)) {
      armTrapFlag();
      trap_flag_armed_ = true;
    }
  } else if (trap_flag_armed_) {
    // A step was cut short (a slice, a pause) and the caller no longer steps: drop the trap flag
    // so that the guest runs on (unless the stub is already reporting that step).
    kvm_regs regs;
    ioctlOrFail(KVM_GET_REGS, &regs, "KVM_GET_REGS");
    if (!isExceptionStubAddress(regs.rip)) {
      if (regs.rflags & kRflagsTrap) {
        regs.rflags &= ~kRflagsTrap;
        ioctlOrFail(KVM_SET_REGS, &regs, "KVM_SET_REGS");
      }
      trap_flag_armed_ = false;
    }
  }
  for (;;) {
    if (pause_requested_.exchange(false)) return leave(exitOutcome(RunOutcome::kPaused));
    const int64_t now = monotonicNs();
    if (now >= deadline) return leave(exitOutcome(RunOutcome::kTimeout));
    if (sliced && (slice_expired_.exchange(false) || now >= slice_end)) {
      RunOutcome outcome;
      outcome.kind = RunOutcome::kSliced;
      return leave(outcome);
    }
    if (::ioctl(vcpu_fd_.get(), KVM_RUN, 0) != 0) {
      if (errno == EINTR || errno == EAGAIN) {
        __atomic_store_n(&run_->immediate_exit, 0, __ATOMIC_RELAXED);  // set by requestSliceEnd
        continue;  // deadline, pause and slice are checked above
      }
      fail("INTERNAL", "KVM_RUN failed: " + errnoText(errno));
    }
    RunOutcome outcome;
    if (!decodeExit(outcome)) continue;
    if (outcome.kind == RunOutcome::kStep && emulatingWatchpoints()) {
      // Emulated watchpoints: every instruction is a step; stop only when a watched value changed.
      if (watchpointChanged(outcome, previous_rip) || debug_.single_step) return leave(outcome);
      previous_rip = outcome.regs.rip;
      armTrapFlag();
      trap_flag_armed_ = true;
      continue;
    }
    if (outcome.kind != RunOutcome::kStep) trap_flag_armed_ = false;
    return leave(outcome);
  }
}

}  // namespace microvm
