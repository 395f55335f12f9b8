// One micro-VM: a KVM VM with one vCPU, its guest memory and the loaded guest image, plus the
// run loop that turns VM exits into outcomes the host understands. Free of Node types so that it
// can be driven from any thread; the addon's bindings translate. Its code: machine.cc (creating the
// VM, the initial state, snapshot and restore), machine_run.cc (the run loop and its timers),
// machine_exits.cc (what an exit means), machine_registers.cc (register state), machine_debug.cc
// (breakpoints, watchpoints, single steps, guest memory by virtual address).
#pragma once

#include <linux/kvm.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "guest_image.h"
#include "guest_memory.h"
#include "kvm.h"
#include "layout.h"
#include "debug_state.h"
#include "memory_snapshot.h"
#include "shared_image.h"
#include "system_tables.h"
#include "unique_fd.h"

namespace microvm {

struct RunOutcome {
  enum Kind {
    kReady, kHostCall, kAbort, kException, kTimeout, kPaused, kShutdown, kUnexpectedExit,
    kBreakpoint,  // a software or hardware execution breakpoint at `address`
    kWatchpoint,  // a data watchpoint in `hardware_slot` was hit; RIP is after the access
    kStep,        // one instruction was single-stepped
    kSliced,      // the time slice given to runUntilExit ran out; the call goes on at the next run
  };
  Kind kind = kReady;
  std::string detail;  // words for kUnexpectedExit and kShutdown
  kvm_regs regs{};     // at the exit; for kException, reconstructed at the faulting instruction
  kvm_sregs sregs{};
  ExceptionFrame frame{};  // kException only
  uint64_t address = 0;    // kBreakpoint: the breakpoint address; kWatchpoint: the watched address
  int hardware_slot = -1;  // kBreakpoint/kWatchpoint from a debug register
  uint64_t writer_rip = 0;  // kWatchpoint when emulated: the instruction that wrote (0 if unknown)
  std::vector<uint8_t> old_value, new_value;  // kWatchpoint: the watched bytes before and after
};

const char* outcomeKindName(RunOutcome::Kind kind);

struct VcpuSnapshot {
  kvm_regs regs{};
  kvm_sregs sregs{};
  std::vector<uint8_t> xsave;
  std::vector<uint8_t> msrs;  // struct kvm_msrs + entries
  kvm_debugregs debugregs{};
};

class Machine {
 public:
  Machine(std::shared_ptr<Kvm> kvm, GuestImage image, const LayoutOptions& options);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  const GuestImage& image() const { return image_; }
  const Layout& layout() const { return layout_; }
  const std::vector<Region>& regions() const { return regions_; }
  GuestMemory& memory() { return memory_; }

  // Runs the vCPU until the guest leaves it in a way the host must answer. `timeout_ns` budgets
  // guest execution across the calls of one guest call (see beginCall). A positive `slice_ns`
  // returns kSliced once that much time has passed (the rest of the budget is kept), so that a
  // caller can run a call on its own thread for a while and hand it to another thread after.
  RunOutcome runUntilExit(int64_t slice_ns = 0);
  // Validates PEB.dispatch_function after initialisation and takes the snapshot.
  void finishInitialisation();
  bool initialised() const { return initialised_; }
  // Points the vCPU at the dispatch function for a new call with a fresh time budget.
  void beginCall(uint64_t timeout_ns);
  // Sets the time budget of the next runUntilExit calls (initialisation uses it directly).
  void setBudget(uint64_t timeout_ns) { remaining_ns_ = int64_t(timeout_ns); }
  void restore();
  // Marks the snapshot restore as due; it happens on the next settle(), on whichever thread
  // next drives the vCPU (so an async call restores on its own vCPU thread).
  void restoreLater() { restore_pending_ = true; }
  void settle() {
    if (restore_pending_) restore();
  }
  bool restorePending() const { return restore_pending_; }
  // Asks a running vCPU to stop (from any thread); it returns kPaused.
  void requestPause();
  // Ends the current time slice (from the slice watchdog's thread); the run returns kSliced.
  void requestSliceEnd();

  void getRegisters(kvm_regs& regs, kvm_sregs& sregs, kvm_fpu& fpu) const;
  void getFpu(kvm_fpu& fpu) const;
  static uint64_t liveCount();
  void setRegisters(const kvm_regs& regs);
  void readVirtual(uint64_t address, uint8_t* out, uint64_t length) const;
  void writeVirtual(uint64_t address, const uint8_t* data, uint64_t length);
  // Copies host data into guest physical memory (the input and output buffers). The pages become
  // private copies of the snapshot file, which the next restore finds and puts back.
  void writeHostBuffer(uint64_t address, const uint8_t* data, uint64_t length, const char* what) {
    std::memcpy(memory_.at(address, length, what), data, length);
  }
  uint64_t snapshotPages() const { return memory_snapshot_.storedPages(); }
  uint64_t dispatchFunction() const { return dispatch_function_; }

  // Debugging (machine_debug.cc). Breakpoints survive restore; memory reads never show the int3s.
  void addSoftwareBreakpoint(uint64_t address);
  void removeSoftwareBreakpoint(uint64_t address);
  void setHardwareSlot(int slot, const HardwareSlot& config);
  void setSingleStep(bool enabled);
  const DebugState& debugState() const { return debug_; }
  void setSpecialRegisters(const kvm_sregs& sregs);
  // Applies `edit` to the XSAVE image (the FXSAVE layout in its first 512 bytes) and writes it back.
  template <typename Edit>
  void editXsave(Edit edit) {
    std::vector<uint8_t> xsave = readXsave();
    edit(xsave.data());
    writeXsave(xsave);
  }

 private:
  static void installKickHandler();
  void createVm();
  void loadImage();
  void writePeb();
  void initialiseFpu();
  std::vector<uint32_t> readableMsrs() const;
  std::vector<uint8_t> readXsave() const;
  void writeXsave(std::vector<uint8_t>& xsave);
  void applyGuestDebug();
  void reapplySoftwareBreakpoints();
  void hideSoftwareBreakpoints(uint64_t address, uint8_t* bytes, uint64_t length) const;
  bool physicalAddressOf(uint64_t virtual_address, uint64_t& physical) const;
  RunOutcome decodeDebugExit();
  RunOutcome returnToUser(RunOutcome outcome, uint64_t rip, bool keep_trap_flag);
  bool debuggerException(RunOutcome& outcome);
  bool wantsTrapFlag() const;
  void armTrapFlag();
  bool watchpointChanged(RunOutcome& outcome, uint64_t previous_rip);
  bool emulatingWatchpoints() const;
  bool decodeExit(RunOutcome& outcome);
  bool stepOffSoftwareBreakpoint(bool& stepped_into_exit, RunOutcome& outcome);
  void captureVcpu(VcpuSnapshot& snapshot) const;
  RunOutcome exitOutcome(RunOutcome::Kind kind, std::string detail = {});
  void noteSegments(const kvm_sregs& sregs);
  RunOutcome decodeIoExit();
  void completePendingExit();
  RunOutcome decodeException();
  void ioctlOrFail(unsigned long request, void* argument, const char* name) const;
  void flushPendingRegisters() const;

  std::shared_ptr<Kvm> kvm_;
  GuestImage image_;
  Layout layout_;
  std::vector<Region> regions_;
  GuestMemory memory_;
  std::shared_ptr<SharedImage> shared_image_;
  UniqueFd vm_fd_;
  UniqueFd vcpu_fd_;
  UniqueMapping run_mapping_;
  kvm_run* run_ = nullptr;
  bool sync_regs_ = false;  // KVM_CAP_SYNC_REGS: registers can be handed over in kvm_run
  uint64_t cr3_ = 0;
  uint64_t dispatch_function_ = 0;
  bool initialised_ = false;
  bool privileged_state_dirty_ = false;
  bool segments_dirty_ = false;  // a call ended with other segment registers than the snapshot's

  MemorySnapshot memory_snapshot_;
  DirtyPages host_dirty_;  // pages the host (a debugger) wrote since the last restore
  VcpuSnapshot vcpu_snapshot_;
  std::vector<uint32_t> saved_msr_indices_;
  size_t xsave_size_ = 0;

  DebugState debug_;
  std::vector<std::vector<uint8_t>> watched_values_{4};  // last seen bytes of each watchpoint slot
  bool resume_over_hardware_breakpoint_ = false;
  bool trap_flag_armed_ = false;
  bool restore_pending_ = false;
  int64_t remaining_ns_ = 0;
  std::atomic<bool> pause_requested_{false};
  std::atomic<bool> slice_expired_{false};
  std::atomic<pid_t> running_thread_{0};
};

}  // namespace microvm
