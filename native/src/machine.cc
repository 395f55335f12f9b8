#include "machine.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "host_error.h"
#include "kvm_abi.h"
#include "monotonic_clock.h"
#include "page_tables.h"
#include "slice_watchdog.h"

namespace microvm {
namespace {

constexpr uint64_t kRflagsTrapFlag = 1ull << 8;

// The signal that kicks a vCPU thread out of KVM_RUN. Its handler does nothing: the interrupted
// ioctl returning EINTR is the whole point.
int kickSignal() { return SIGRTMIN + 7; }

void installKickHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_handler = [](int) {};
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // KVM_RUN still returns EINTR; other syscalls are restarted.
    sigaction(kickSignal(), &action, nullptr);
  });
}

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

const uint32_t kSavedMsrs[] = {
    0x174, 0x175, 0x176,                          // SYSENTER_CS/ESP/EIP
    0xC0000081, 0xC0000082, 0xC0000083, 0xC0000084,  // STAR, LSTAR, CSTAR, SFMASK
    0xC0000102,                                   // KERNEL_GS_BASE
    0x277,                                        // PAT
    0xC0000103,                                   // TSC_AUX
};

std::atomic<uint64_t> live_machines{0};

}  // namespace

uint64_t Machine::liveCount() { return live_machines.load(); }

const char* outcomeKindName(RunOutcome::Kind kind) {
  switch (kind) {
    case RunOutcome::kReady: return "ready";
    case RunOutcome::kHostCall: return "host-call";
    case RunOutcome::kAbort: return "abort";
    case RunOutcome::kException: return "exception";
    case RunOutcome::kTimeout: return "timeout";
    case RunOutcome::kPaused: return "paused";
    case RunOutcome::kShutdown: return "shutdown";
    case RunOutcome::kUnexpectedExit: return "unexpected-exit";
    case RunOutcome::kBreakpoint: return "breakpoint";
    case RunOutcome::kWatchpoint: return "watchpoint";
    case RunOutcome::kStep: return "step";
    case RunOutcome::kSliced: return "sliced";
  }
  return "unknown";
}

Machine::Machine(std::shared_ptr<Kvm> kvm, GuestImage image, const LayoutOptions& options)
    : kvm_(std::move(kvm)),
      image_(std::move(image)),
      layout_(computeLayout(options, image_.image_end)),
      memory_(layout_.memory_size),
      host_dirty_(layout_.memory_size / kPageSize) {
  installKickHandler();
  regions_ = systemRegions(layout_);
  for (const LoadSegment& segment : image_.segments)
    regions_.push_back({"image", segment.address, alignUp(segment.address + segment.memory_size, kPageSize) -
                                                      (segment.address & ~(kPageSize - 1)),
                        uint8_t(segment.permissions | kUser)});
  // Image regions start page-aligned for the page tables.
  for (Region& region : regions_)
    if (region.name == "image") region.address &= ~(kPageSize - 1);
  writeSystemTables(memory_);
  loadImage();
  writePeb();
  cr3_ = buildPageTables(memory_, regions_);
  createVm();
  ++live_machines;
}

Machine::~Machine() { --live_machines; }

void Machine::ioctlOrFail(unsigned long request, void* argument, const char* name) const {
  flushPendingRegisters();
  if (::ioctl(vcpu_fd_.get(), request, argument) != 0) fail("INTERNAL", std::string(name) + " failed: " + errnoText(errno));
}

// Registers handed to KVM through kvm_run (KVM_CAP_SYNC_REGS) are loaded by the next KVM_RUN;
// any other vCPU ioctl must see them first.
void Machine::flushPendingRegisters() const {
  if (run_ == nullptr || !(run_->kvm_dirty_regs & KVM_SYNC_X86_REGS)) return;
  run_->kvm_dirty_regs &= ~uint64_t(KVM_SYNC_X86_REGS);
  if (::ioctl(vcpu_fd_.get(), KVM_SET_REGS, &run_->s.regs.regs) != 0)
    fail("INTERNAL", "KVM_SET_REGS failed: " + errnoText(errno));
}

// The image comes from the memfd shared by every sandbox of this guest; the file bytes are not
// needed after that.
void Machine::loadImage() {
  shared_image_ = SharedImage::of(image_);
  memory_.mapFile(shared_image_->fd(), shared_image_->start(), shared_image_->size());
  std::vector<uint8_t>().swap(image_.file);
}

void Machine::writePeb() {
  uint8_t* peb = memory_.at(layout_.peb_address, kPebSize, "PEB");
  const uint32_t header[2] = {kPebMagic, kAbiVersion};
  const uint64_t fields[] = {layout_.memory_size,   layout_.input_address, layout_.input_size,
                             layout_.output_address, layout_.output_size,  layout_.heap_address,
                             layout_.heap_size,      layout_.stack_bottom, layout_.stack_size,
                             0};
  std::memcpy(peb, header, sizeof header);
  std::memcpy(peb + 8, fields, sizeof fields);
}

void Machine::createVm() {
  const int vm = ::ioctl(kvm_->fd(), KVM_CREATE_VM, 0);
  if (vm < 0)
    fail(errno == ENOMEM ? "OUT_OF_MEMORY" : "KVM_UNAVAILABLE", "KVM_CREATE_VM failed: " + errnoText(errno));
  vm_fd_ = UniqueFd(vm);
  // Only needed on Intel for real-mode emulation, which never happens here, but harmless.
  ::ioctl(vm, KVM_SET_TSS_ADDR, 0xFFFBD000ul);

  kvm_userspace_memory_region region{};
  region.slot = 0;
  region.flags = 0;  // no dirty log: restore finds changed pages in the host's page map
  region.guest_phys_addr = 0;
  region.memory_size = memory_.size();
  region.userspace_addr = reinterpret_cast<uint64_t>(memory_.host());
  if (::ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) != 0)
    fail("INTERNAL", "KVM_SET_USER_MEMORY_REGION failed: " + errnoText(errno));

  const int vcpu = ::ioctl(vm, KVM_CREATE_VCPU, 0);
  if (vcpu < 0) fail(errno == ENOMEM ? "OUT_OF_MEMORY" : "INTERNAL", "KVM_CREATE_VCPU failed: " + errnoText(errno));
  vcpu_fd_ = UniqueFd(vcpu);
  void* run = ::mmap(nullptr, kvm_->vcpuMmapSize(), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
  if (run == MAP_FAILED) fail("INTERNAL", "mmap of the vCPU run structure failed: " + errnoText(errno));
  run_mapping_ = UniqueMapping(run, kvm_->vcpuMmapSize());
  run_ = static_cast<kvm_run*>(run);
  sync_regs_ = (kvm_->checkExtension(KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_REGS) != 0;

  std::vector<uint8_t> cpuid = kvm_->supportedCpuid();
  ioctlOrFail(kKvmSetCpuid2, cpuid.data(), "KVM_SET_CPUID2");

  kvm_sregs sregs;
  ioctlOrFail(KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
  initialSpecialRegisters(sregs, cr3_);
  ioctlOrFail(KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");


  kvm_regs regs{};
  regs.rflags = kGuestRflags;
  regs.rip = image_.entry;
  regs.rsp = layout_.stack_top();
  regs.rdi = layout_.peb_address;
  ioctlOrFail(KVM_SET_REGS, &regs, "KVM_SET_REGS");

  const int xsave2 = kvm_->checkExtension(KVM_CAP_XSAVE2);
  xsave_size_ = xsave2 > int(sizeof(XsaveArea)) ? size_t(xsave2) : sizeof(XsaveArea);
  initialiseFpu();

  saved_msr_indices_ = readableMsrs();
}

// The MSRs this host lets us read, so that restore never trips over one. The answer is the same
// for every vCPU of the process, and asking costs one ioctl per MSR (~9 µs each), so it is asked
// once.
std::vector<uint32_t> Machine::readableMsrs() const {
  static std::mutex mutex;
  static std::vector<uint32_t> readable;
  static bool known = false;
  std::lock_guard<std::mutex> lock(mutex);
  if (known) return readable;
  for (uint32_t index : kSavedMsrs) {
    alignas(8) uint8_t probe[sizeof(MsrsHeader) + sizeof(kvm_msr_entry)] = {};
    msrsHeader(probe)->nmsrs = 1;
    msrEntries(probe)[0].index = index;
    if (::ioctl(vcpu_fd_.get(), kKvmGetMsrs, probe) == 1) readable.push_back(index);
  }
  known = true;
  return readable;
}

// The x87/SSE state a guest starts with: FCW 0x37f and MXCSR 0x1f80 (all exceptions masked),
// written through XSAVE so that the x87 and SSE components are marked as in use. Guests must not
// need ldmxcsr for this: on some nested KVM hosts it traps and cannot be emulated.
void Machine::initialiseFpu() {
  std::vector<uint8_t> xsave(xsave_size_, 0);
  ioctlOrFail(xsave_size_ > sizeof(XsaveArea) ? kKvmGetXsave2 : kKvmGetXsave, xsave.data(), "KVM_GET_XSAVE");
  const uint16_t fcw = 0x37F;
  const uint32_t mxcsr = 0x1F80, mxcsr_mask = 0xFFFF;
  std::memcpy(xsave.data() + 0, &fcw, 2);
  std::memcpy(xsave.data() + 24, &mxcsr, 4);
  uint32_t current_mask;
  std::memcpy(&current_mask, xsave.data() + 28, 4);
  if (current_mask == 0) std::memcpy(xsave.data() + 28, &mxcsr_mask, 4);
  uint64_t xstate_bv;
  std::memcpy(&xstate_bv, xsave.data() + 512, 8);
  xstate_bv |= 0x3;  // x87 | SSE
  std::memcpy(xsave.data() + 512, &xstate_bv, 8);
  ioctlOrFail(kKvmSetXsave, xsave.data(), "KVM_SET_XSAVE");
}

void Machine::captureVcpu(VcpuSnapshot& snapshot) const {
  ioctlOrFail(KVM_GET_REGS, &snapshot.regs, "KVM_GET_REGS");
  ioctlOrFail(KVM_GET_SREGS, &snapshot.sregs, "KVM_GET_SREGS");
  snapshot.xsave.assign(xsave_size_, 0);
  ioctlOrFail(xsave_size_ > sizeof(XsaveArea) ? kKvmGetXsave2 : kKvmGetXsave, snapshot.xsave.data(), "KVM_GET_XSAVE");
  snapshot.msrs.assign(sizeof(MsrsHeader) + saved_msr_indices_.size() * sizeof(kvm_msr_entry), 0);
  msrsHeader(snapshot.msrs.data())->nmsrs = uint32_t(saved_msr_indices_.size());
  for (size_t i = 0; i < saved_msr_indices_.size(); ++i) msrEntries(snapshot.msrs.data())[i].index = saved_msr_indices_[i];
  if (::ioctl(vcpu_fd_.get(), kKvmGetMsrs, snapshot.msrs.data()) != int(saved_msr_indices_.size()))
    fail("INTERNAL", "KVM_GET_MSRS failed: " + errnoText(errno));
  ioctlOrFail(KVM_GET_DEBUGREGS, &snapshot.debugregs, "KVM_GET_DEBUGREGS");
}

void Machine::finishInitialisation() {
  const uint64_t dispatch = memory_.read64(layout_.peb_address + kPebDispatchFunctionOffset);
  bool executable = false;
  for (const LoadSegment& segment : image_.segments)
    if ((segment.permissions & kExecute) && dispatch >= segment.address && dispatch < segment.address + segment.memory_size)
      executable = true;
  if (!executable)
    fail("BAD_HOST_CALL", "after initialisation PEB.dispatch_function is " + hex(dispatch) +
                              ", which is not inside an executable segment of the guest image; the guest runtime "
                              "must store its dispatch entry there before `out 0xE1`");
  dispatch_function_ = dispatch;
  captureVcpu(vcpu_snapshot_);
  writeCallEntry(memory_, dispatch_function_, vcpu_snapshot_.regs.rax, vcpu_snapshot_.xsave.data());
  // Every page goes into the snapshot file except the guest image's read-only pages, which stay
  // mapped from the image's memfd, shared by every sandbox of this guest. A page that a writable
  // segment shares with a read-only one goes into the file.
  std::vector<bool> in_file(memory_.size() / kPageSize, true);
  auto mark = [&](const Region& region, bool value) {
    for (uint64_t page = region.address / kPageSize; page < (region.address + region.size + kPageSize - 1) / kPageSize; ++page)
      if (page < in_file.size()) in_file[page] = value;
  };
  for (const Region& region : regions_)
    if (region.name == "image" && !(region.permissions & kWrite)) mark(region, false);
  for (const Region& region : regions_)
    if (region.name == "image" && (region.permissions & kWrite)) mark(region, true);
  memory_snapshot_.capture(memory_, in_file);
  host_dirty_.clear();
  segments_dirty_ = false;
  // Nothing after this needs the VM's descriptor (the vCPU's keeps the VM alive), and closing it
  // halves the descriptors an idle sandbox holds.
  vm_fd_.reset();
  initialised_ = true;
}

void Machine::beginCall(uint64_t timeout_ns) {
  kvm_regs regs = vcpu_snapshot_.regs;
  regs.rip = kCallEntryAddress;  // resets x87/SSE state, then jumps to the dispatch function
  regs.rsp = layout_.stack_top();
  regs.rbp = 0;
  regs.rflags = kGuestRflags;
  if (sync_regs_) {
    // Handed over in kvm_run and loaded by the next KVM_RUN: one vCPU ioctl (~9 µs) less per call.
    run_->s.regs.regs = regs;
    run_->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
  } else {
    ioctlOrFail(KVM_SET_REGS, &regs, "KVM_SET_REGS");
  }
  remaining_ns_ = int64_t(timeout_ns);
  pause_requested_ = false;
}

void Machine::restore() {
  if (!initialised_) fail("INTERNAL", "restore before the snapshot was taken");
  restore_pending_ = false;
  memory_snapshot_.restore(memory_, host_dirty_);
  host_dirty_.clear();
  reapplySoftwareBreakpoints();
  // General registers are not restored here: beginCall sets all of them for the next call, and
  // the call-entry stub puts back the x87/SSE state. Segment selectors are put back when a call
  // left them changed. Control registers, MSRs, debug registers and the rest of XSAVE change only
  // when ring 0 ran (an exception) or the debugger wrote them.
  if (segments_dirty_ || privileged_state_dirty_) ioctlOrFail(KVM_SET_SREGS, &vcpu_snapshot_.sregs, "KVM_SET_SREGS");
  if (privileged_state_dirty_) {
    ioctlOrFail(kKvmSetXsave, vcpu_snapshot_.xsave.data(), "KVM_SET_XSAVE");
    const int msr_count = int(msrsHeader(vcpu_snapshot_.msrs.data())->nmsrs);
    if (::ioctl(vcpu_fd_.get(), kKvmSetMsrs, vcpu_snapshot_.msrs.data()) != msr_count)
      fail("INTERNAL", "KVM_SET_MSRS failed: " + errnoText(errno));
    ioctlOrFail(KVM_SET_DEBUGREGS, &vcpu_snapshot_.debugregs, "KVM_SET_DEBUGREGS");
  }
  privileged_state_dirty_ = false;
  segments_dirty_ = false;
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

RunOutcome Machine::exitOutcome(RunOutcome::Kind kind, std::string detail) {
  RunOutcome outcome;
  outcome.kind = kind;
  outcome.detail = std::move(detail);
  ioctlOrFail(KVM_GET_REGS, &outcome.regs, "KVM_GET_REGS");
  ioctlOrFail(KVM_GET_SREGS, &outcome.sregs, "KVM_GET_SREGS");
  if (outcome.sregs.cs.dpl != 3) privileged_state_dirty_ = true;
  noteSegments(outcome.sregs);
  return outcome;
}

// Ring-3 code can load other selectors into DS, ES, FS and GS; restore puts the snapshot's back
// when any segment register differs from it.
void Machine::noteSegments(const kvm_sregs& sregs) {
  const kvm_segment* now[] = {&sregs.cs, &sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss};
  const kvm_segment* then[] = {&vcpu_snapshot_.sregs.cs, &vcpu_snapshot_.sregs.ds, &vcpu_snapshot_.sregs.es,
                               &vcpu_snapshot_.sregs.fs, &vcpu_snapshot_.sregs.gs, &vcpu_snapshot_.sregs.ss};
  for (int i = 0; i < 6; ++i)
    if (std::memcmp(now[i], then[i], sizeof(kvm_segment)) != 0) segments_dirty_ = true;
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
      if (regs.rflags & kRflagsTrapFlag) {
        regs.rflags &= ~kRflagsTrapFlag;
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

// Turns the exit in kvm_run into an outcome; returns false when the vCPU should simply run on.
bool Machine::decodeExit(RunOutcome& result) {
  auto done = [&](RunOutcome outcome) {
    result = std::move(outcome);
    return true;
  };
  {
    switch (run_->exit_reason) {
      case KVM_EXIT_IO: return done(decodeIoExit());
      case KVM_EXIT_DEBUG: return done(decodeDebugExit());
      case KVM_EXIT_HLT: {
        RunOutcome outcome = exitOutcome(RunOutcome::kUnexpectedExit);
        outcome.detail = "guest executed hlt at RIP " + hex(outcome.regs.rip) + "; guests end calls by returning";
        return done(outcome);
      }
      case KVM_EXIT_SHUTDOWN: {
        RunOutcome outcome = exitOutcome(RunOutcome::kShutdown);
        outcome.detail = "triple fault: the CPU could not deliver an exception (last RIP " + hex(outcome.regs.rip) +
                         ") and shut the VM down";
        return done(outcome);
      }
      case KVM_EXIT_MMIO: {
        const uint64_t address = run_->mmio.phys_addr;
        const unsigned length = run_->mmio.len;
        const bool write = run_->mmio.is_write;
        RunOutcome outcome = exitOutcome(RunOutcome::kUnexpectedExit);
        outcome.detail = std::string("guest ") + (write ? "wrote " : "read ") + std::to_string(length) +
                         " bytes at guest physical address " + hex(address) + ", outside guest memory, at RIP " +
                         hex(outcome.regs.rip);
        completePendingExit();
        return done(outcome);
      }
      case KVM_EXIT_FAIL_ENTRY: {
        const unsigned long long reason = run_->fail_entry.hardware_entry_failure_reason;
        RunOutcome outcome = exitOutcome(RunOutcome::kUnexpectedExit);
        outcome.detail = "the CPU refused to enter the guest (hardware reason " + hex(reason) + ") at RIP " +
                         hex(outcome.regs.rip);
        return done(outcome);
      }
      case KVM_EXIT_INTERNAL_ERROR: {
        const unsigned suberror = run_->internal.suberror;
        std::string data;
        for (unsigned i = 0; i < run_->internal.ndata && i < 16; ++i) data += " " + hex(run_->internal.data[i]);
        RunOutcome outcome = exitOutcome(RunOutcome::kUnexpectedExit);
        outcome.detail = "KVM could not handle the guest's instruction (internal error, suberror " +
                         std::to_string(suberror) + (data.empty() ? "" : ", data" + data) + ") at RIP " +
                         hex(outcome.regs.rip);
        return done(outcome);
      }
      case KVM_EXIT_INTR: return false;
      default: {
        const unsigned reason = run_->exit_reason;
        RunOutcome outcome = exitOutcome(RunOutcome::kUnexpectedExit);
        outcome.detail = "unexpected VM exit (KVM exit reason " + std::to_string(reason) + ") at RIP " +
                         hex(outcome.regs.rip);
        return done(outcome);
      }
    }
  }
}

// An `in` or MMIO read that exits to us is completed by the next KVM_RUN, which writes the
// (never supplied) value into a register and moves RIP past the instruction, even after we have
// set new registers (seen on PVM hosts). Complete it now, without running the guest, so that the
// restore that follows has the last word.
void Machine::completePendingExit() {
  run_->immediate_exit = 1;
  const int result = ::ioctl(vcpu_fd_.get(), KVM_RUN, 0);
  const int err = errno;
  run_->immediate_exit = 0;
  if (result == 0 || err != EINTR) fail("INTERNAL", "completing a pending I/O exit failed: " + errnoText(err));
}

RunOutcome Machine::decodeIoExit() {
  const auto& io = run_->io;
  const bool out = io.direction == KVM_EXIT_IO_OUT;
  const uint16_t port = io.port;
  const unsigned size = io.size;
  const unsigned count = io.count;
  if (!out) {
    RunOutcome outcome = exitOutcome(RunOutcome::kUnexpectedExit);
    outcome.detail = "guest read " + std::to_string(size) + " byte(s) from I/O port " + hex(port) + " at RIP " +
                     hex(outcome.regs.rip) + "; no ports are readable";
    completePendingExit();
    return outcome;
  }
  const bool abi_port = port >= kPortHostCall && port <= kPortException;
  if (!abi_port || size != 1 || count != 1) {
    RunOutcome outcome = exitOutcome(RunOutcome::kUnexpectedExit);
    outcome.detail = "guest wrote " + std::to_string(size * count) + " byte(s) to I/O port " + hex(port) + " at RIP " +
                     hex(outcome.regs.rip) +
                     (abi_port ? "; the ABI ports take a single one-byte out" : "; only ports 0xe0-0xe3 exist");
    return outcome;
  }
  // The ABI exits are the hot path. A host call needs no registers at all (its record is in
  // memory); the end of a call reads the segment registers, the one thing ring 3 can change that
  // neither beginCall nor the call-entry stub puts back. Ports 0xe0-0xe2 are only reachable from
  // ring 3.
  switch (port) {
    case kPortHostCall: {
      RunOutcome outcome;
      outcome.kind = RunOutcome::kHostCall;
      return outcome;
    }
    case kPortReady:
    case kPortAbort: {
      RunOutcome outcome;
      outcome.kind = port == kPortReady ? RunOutcome::kReady : RunOutcome::kAbort;
      ioctlOrFail(KVM_GET_SREGS, &outcome.sregs, "KVM_GET_SREGS");
      noteSegments(outcome.sregs);
      return outcome;
    }
    default: return decodeException();
  }
}

RunOutcome Machine::decodeException() {
  RunOutcome outcome = exitOutcome(RunOutcome::kException);
  if (!isExceptionStubAddress(outcome.regs.rip)) {
    outcome.kind = RunOutcome::kUnexpectedExit;
    outcome.detail = "guest wrote to I/O port 0xe3, reserved for the host's exception handlers, at RIP " +
                     hex(outcome.regs.rip);
    return outcome;
  }
  const uint64_t rsp = outcome.regs.rsp;
  const bool on_ist1 = rsp >= kExceptionStackBottom && rsp + sizeof(ExceptionFrame) <= kExceptionStackTop;
  const bool on_ist2 = rsp >= kDoubleFaultStackBottom && rsp + sizeof(ExceptionFrame) <= kDoubleFaultStackTop;
  if (!on_ist1 && !on_ist2) {
    outcome.kind = RunOutcome::kUnexpectedExit;
    outcome.detail = "exception handler ran on a stack at " + hex(rsp) +
                     " that is not the host's exception stack; the guest replaced the IDT or TSS";
    return outcome;
  }
  std::memcpy(&outcome.frame, memory_.at(rsp, sizeof(ExceptionFrame), "exception frame"), sizeof(ExceptionFrame));
  // Rebuild the registers as they were at the faulting instruction.
  outcome.regs.rax = outcome.frame.rax;
  outcome.regs.rip = outcome.frame.rip;
  outcome.regs.rsp = outcome.frame.rsp;
  outcome.regs.rflags = outcome.frame.rflags;
  if ((outcome.frame.cs & 3) == 3) {
    // The fault happened in guest code: show its ring-3 segments, not the stub's.
    kvm_sregs user = outcome.sregs;
    initialSpecialRegisters(user, outcome.sregs.cr3);
    outcome.sregs.cs = user.cs;
    outcome.sregs.ss = user.ss;
    if (debuggerException(outcome)) return outcome;
  }
  return outcome;
}

void Machine::getRegisters(kvm_regs& regs, kvm_sregs& sregs, kvm_fpu& fpu) const {
  ioctlOrFail(KVM_GET_REGS, &regs, "KVM_GET_REGS");
  ioctlOrFail(KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
  getFpu(fpu);
}

// Read from the XSAVE image rather than KVM_GET_FPU, which reports MXCSR as 0 on some hosts.
void Machine::getFpu(kvm_fpu& fpu) const {
  std::vector<uint8_t> xsave(xsave_size_, 0);
  ioctlOrFail(xsave_size_ > sizeof(XsaveArea) ? kKvmGetXsave2 : kKvmGetXsave, xsave.data(), "KVM_GET_XSAVE");
  const uint8_t* legacy = xsave.data();  // the FXSAVE layout
  fpu = kvm_fpu{};
  std::memcpy(&fpu.fcw, legacy + 0, 2);
  std::memcpy(&fpu.fsw, legacy + 2, 2);
  fpu.ftwx = legacy[4];
  std::memcpy(&fpu.last_opcode, legacy + 6, 2);
  std::memcpy(&fpu.last_ip, legacy + 8, 8);
  std::memcpy(&fpu.last_dp, legacy + 16, 8);
  std::memcpy(&fpu.mxcsr, legacy + 24, 4);
  for (int i = 0; i < 8; ++i) std::memcpy(fpu.fpr[i], legacy + 32 + 16 * i, 16);
  for (int i = 0; i < 16; ++i) std::memcpy(fpu.xmm[i], legacy + 160 + 16 * i, 16);
}

void Machine::setRegisters(const kvm_regs& regs) {
  privileged_state_dirty_ = true;
  kvm_regs copy = regs;
  ioctlOrFail(KVM_SET_REGS, &copy, "KVM_SET_REGS");
}

// Guest code runs in ring 3 and cannot load CR3, so the host's own page tables translate.
void Machine::readVirtual(uint64_t address, uint8_t* out, uint64_t length) const {
  memory_.readVirtual(cr3_, address, out, length);
  hideSoftwareBreakpoints(address, out, length);
}

void Machine::writeVirtual(uint64_t address, const uint8_t* data, uint64_t length) {
  memory_.writeVirtual(cr3_, address, data, length);
  // A write over an armed int3 changes the instruction underneath, not the breakpoint.
  for (auto it = debug_.software.lower_bound(address); it != debug_.software.end() && it->first - address < length; ++it) {
    it->second = data[it->first - address];
    uint64_t physical;
    if (physicalAddressOf(it->first, physical)) *memory_.at(physical, 1, "breakpoint") = 0xCC;
  }
  // Identity-mapped, so the virtual range is the physical one; a write through a guest-made
  // mapping elsewhere would also be caught by marking every page it could touch.
  host_dirty_.mark(address, length);
}

}  // namespace microvm
