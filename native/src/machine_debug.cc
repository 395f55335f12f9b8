// Debug control of a Machine: KVM guest-debug (software breakpoints, debug-register breakpoints
// and watchpoints, single-step) and the bookkeeping that keeps int3 patches invisible to memory
// reads and alive across snapshot restores, with the host's reads and writes of guest memory by
// virtual address that honour it.
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "host_error.h"
#include "kvm_abi.h"
#include "machine.h"
#include "system_tables.h"

namespace microvm {

constexpr uint8_t kInt3 = 0xCC;

bool Machine::physicalAddressOf(uint64_t virtual_address, uint64_t& physical) const {
  bool writable;
  std::string reason;
  // Guest code runs in ring 3 and cannot change CR3, so the host's own tables are authoritative.
  return memory_.translate(cr3_, virtual_address, physical, writable, reason);
}

void Machine::applyGuestDebug() {
  kvm_guest_debug debug{};
  // Software breakpoints need no KVM help: the guest's int3 reaches the host's #BP stub. Debug
  // registers are used where the host honours them; elsewhere watchpoints are emulated by
  // single-stepping (see runUntilExit) and execute breakpoints become int3 patches.
  // Single steps use the trap flag and come back through the host's #DB stub, which works on
  // every host (PVM does not report KVM_GUESTDBG_SINGLESTEP for ring-3 code).
  const bool hardware = kvm_->debugRegistersWork();
  bool any_slot = false;
  for (const HardwareSlot& slot : debug_.hardware) any_slot = any_slot || slot.enabled;
  if (hardware && any_slot) {
    debug.control = KVM_GUESTDBG_ENABLE;
    uint64_t dr7 = 0x400;  // bit 10 is reserved as 1
    for (int i = 0; i < 4 && hardware; ++i) {
      const HardwareSlot& slot = debug_.hardware[i];
      if (!slot.enabled) continue;
      debug.control |= KVM_GUESTDBG_USE_HW_BP;
      debug.arch.debugreg[i] = slot.address;
      const uint64_t length_bits = slot.length == 1 ? 0 : slot.length == 2 ? 1 : slot.length == 8 ? 2 : 3;
      dr7 |= 1ull << (2 * i);  // local enable
      dr7 |= uint64_t(slot.kind) << (16 + 4 * i);
      dr7 |= (slot.kind == HardwareKind::kExecute ? 0 : length_bits) << (18 + 4 * i);
    }
    debug.arch.debugreg[7] = dr7;
  }
  flushPendingRegisters();
  if (::ioctl(vcpu_fd_.get(), KVM_SET_GUEST_DEBUG, &debug) != 0)
    fail("INTERNAL", "KVM_SET_GUEST_DEBUG failed: " + errnoText(errno));
}

void Machine::addSoftwareBreakpoint(uint64_t address) {
  if (debug_.software.count(address)) return;
  uint64_t physical;
  if (!physicalAddressOf(address, physical))
    fail("UNMAPPED", "cannot set a breakpoint at " + hex(address) + ": the address is not mapped");
  uint8_t* byte = memory_.at(physical, 1, "breakpoint");
  debug_.software[address] = *byte;
  // Not marked as a host write: the snapshot keeps the original byte, and restore re-applies.
  *byte = kInt3;
  applyGuestDebug();
}

void Machine::removeSoftwareBreakpoint(uint64_t address) {
  auto found = debug_.software.find(address);
  if (found == debug_.software.end()) return;
  uint64_t physical;
  if (physicalAddressOf(address, physical)) *memory_.at(physical, 1, "breakpoint") = found->second;
  debug_.software.erase(found);
  applyGuestDebug();
}

void Machine::setHardwareSlot(int slot, const HardwareSlot& config) {
  if (slot < 0 || slot > 3) fail("INVALID_OPTIONS", "hardware breakpoint slot " + std::to_string(slot) + " does not exist (0-3)");
  if (config.enabled) {
    const uint8_t length = config.kind == HardwareKind::kExecute ? 1 : config.length;
    if (length != 1 && length != 2 && length != 4 && length != 8)
      fail("INVALID_OPTIONS", "a watchpoint covers 1, 2, 4 or 8 bytes, not " + std::to_string(config.length));
    if (config.address % length != 0)
      fail("INVALID_OPTIONS", "a " + std::to_string(length) + "-byte watchpoint needs an address aligned to " +
                                  std::to_string(length) + ", got " + hex(config.address));
  }
  const bool hardware = kvm_->debugRegistersWork();
  if (config.enabled && !hardware && config.kind == HardwareKind::kReadWrite)
    fail("UNSUPPORTED", "read watchpoints need the CPU's debug registers, which this KVM host (paravirtualised, "
                        "e.g. PVM) does not provide to guests; use a write watchpoint");
  // Keep the emulated execute breakpoint as an int3 owned by the slot.
  const HardwareSlot previous = debug_.hardware[slot];
  if (!hardware && previous.enabled && previous.kind == HardwareKind::kExecute) removeSoftwareBreakpoint(previous.address);
  debug_.hardware[slot] = config;
  if (config.kind == HardwareKind::kExecute) debug_.hardware[slot].length = 1;
  if (config.enabled && config.kind != HardwareKind::kExecute) {
    watched_values_[slot].assign(config.length, 0);
    readVirtual(config.address, watched_values_[slot].data(), config.length);
  }
  if (!hardware && config.enabled && config.kind == HardwareKind::kExecute) addSoftwareBreakpoint(config.address);
  applyGuestDebug();
}

// Asked before every run: the probe (and its lock) is consulted only when a watch slot is armed.
bool Machine::emulatingWatchpoints() const {
  for (const HardwareSlot& slot : debug_.hardware)
    if (slot.enabled && slot.kind != HardwareKind::kExecute) return !kvm_->debugRegistersWork();
  return false;
}

// After an emulated single step: did a watched value change? `previous_rip` is the instruction
// that just ran, which is where the stop is reported.
bool Machine::watchpointChanged(RunOutcome& outcome, uint64_t previous_rip) {
  for (int i = 0; i < 4; ++i) {
    const HardwareSlot& slot = debug_.hardware[i];
    if (!slot.enabled || slot.kind == HardwareKind::kExecute) continue;
    std::vector<uint8_t> now(slot.length);
    readVirtual(slot.address, now.data(), slot.length);
    if (now == watched_values_[i]) continue;
    outcome.old_value = watched_values_[i];
    outcome.new_value = now;
    watched_values_[i] = now;
    outcome.kind = RunOutcome::kWatchpoint;
    outcome.hardware_slot = i;
    outcome.address = slot.address;
    outcome.writer_rip = previous_rip;
    return true;
  }
  return false;
}

// An int3 or trap-flag #DB went through the guest's IDT to the host's stub. Put the vCPU back
// where the guest was, in ring 3 at `rip`, as if the exception had never been delivered.
RunOutcome Machine::returnToUser(RunOutcome outcome, uint64_t rip, bool keep_trap_flag) {
  outcome.regs.rip = rip;
  if (keep_trap_flag) outcome.regs.rflags |= kRflagsTrap;
  else outcome.regs.rflags &= ~kRflagsTrap;
  ioctlOrFail(KVM_SET_REGS, &outcome.regs, "KVM_SET_REGS");
  kvm_sregs sregs;
  ioctlOrFail(KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
  sregs.cs = outcome.sregs.cs;
  sregs.ss = outcome.sregs.ss;
  ioctlOrFail(KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");
  outcome.sregs = sregs;
  outcome.regs.rflags &= ~kRflagsTrap;  // what the user sees
  return outcome;
}

bool Machine::wantsTrapFlag() const { return debug_.single_step || emulatingWatchpoints(); }

// Classifies an exception from ring 3 that the debugger caused: our int3 or a trap-flag step.
bool Machine::debuggerException(RunOutcome& outcome) {
  const ExceptionFrame& frame = outcome.frame;
  if (frame.vector == 3 && debug_.software.count(frame.rip - 1)) {
    outcome = returnToUser(outcome, frame.rip - 1, false);
    outcome.kind = RunOutcome::kBreakpoint;
    outcome.address = frame.rip - 1;
    return true;
  }
  if (frame.vector == 1 && trap_flag_armed_) {
    trap_flag_armed_ = false;
    outcome = returnToUser(outcome, frame.rip, false);
    outcome.kind = RunOutcome::kStep;
    return true;
  }
  return false;
}

void Machine::setSingleStep(bool enabled) { debug_.single_step = enabled; }

void Machine::armTrapFlag() {
  kvm_regs regs;
  ioctlOrFail(KVM_GET_REGS, &regs, "KVM_GET_REGS");
  if (regs.rflags & kRflagsTrap) return;
  regs.rflags |= kRflagsTrap;
  ioctlOrFail(KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

void Machine::reapplySoftwareBreakpoints() {
  for (auto& [address, original] : debug_.software) {
    uint64_t physical;
    if (!physicalAddressOf(address, physical)) continue;
    uint8_t* byte = memory_.at(physical, 1, "breakpoint");
    if (*byte != kInt3) {
      original = *byte;
      *byte = kInt3;
    }
  }
}

void Machine::hideSoftwareBreakpoints(uint64_t address, uint8_t* bytes, uint64_t length) const {
  for (auto it = debug_.software.lower_bound(address); it != debug_.software.end() && it->first - address < length; ++it)
    bytes[it->first - address] = it->second;
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

RunOutcome Machine::decodeDebugExit() {
  const kvm_debug_exit_arch arch = run_->debug.arch;
  RunOutcome outcome = exitOutcome(RunOutcome::kStep);
  // Only #DB exits come here: breakpoints are int3s reaching the host's #BP stub, so KVM is never
  // asked to intercept #BP (no KVM_GUESTDBG_USE_SW_BP).
  for (int i = 0; i < 4; ++i) {
    const HardwareSlot& slot = debug_.hardware[i];
    if (!slot.enabled || !(arch.dr6 & (1ull << i))) continue;
    outcome.hardware_slot = i;
    outcome.address = slot.address;
    if (slot.kind == HardwareKind::kExecute) {
      outcome.kind = RunOutcome::kBreakpoint;
      resume_over_hardware_breakpoint_ = true;
    } else {
      outcome.kind = RunOutcome::kWatchpoint;
      std::vector<uint8_t> now(slot.length);
      readVirtual(slot.address, now.data(), slot.length);
      outcome.old_value = watched_values_[i];
      outcome.new_value = now;
      watched_values_[i] = now;
    }
    return outcome;
  }
  // DR6.BS, or a trap KVM reports without detail: a completed step either way.
  outcome.kind = RunOutcome::kStep;
  return outcome;
}

// Continuing from a software breakpoint must first execute the original instruction: put it
// back, step once, and re-arm. Returns true with `outcome` set when that one step already ends
// the run (a requested single step, an exit, a fault).
bool Machine::stepOffSoftwareBreakpoint(bool& stepped_into_exit, RunOutcome& outcome) {
  stepped_into_exit = false;
  kvm_regs regs;
  ioctlOrFail(KVM_GET_REGS, &regs, "KVM_GET_REGS");
  if (resume_over_hardware_breakpoint_) {
    resume_over_hardware_breakpoint_ = false;
    regs.rflags |= kRflagsResume;  // RF: do not re-trigger the execute breakpoint we stopped at
    ioctlOrFail(KVM_SET_REGS, &regs, "KVM_SET_REGS");
  }
  auto found = debug_.software.find(regs.rip);
  if (found == debug_.software.end()) return false;
  uint64_t physical;
  if (!physicalAddressOf(regs.rip, physical)) return false;
  uint8_t* byte = memory_.at(physical, 1, "breakpoint");
  *byte = found->second;
  regs.rflags |= kRflagsTrap;
  ioctlOrFail(KVM_SET_REGS, &regs, "KVM_SET_REGS");
  trap_flag_armed_ = true;
  int result;
  do {
    result = ::ioctl(vcpu_fd_.get(), KVM_RUN, 0);
    // A time slice that ends now (the watchdog sets immediate_exit) must not make every retry
    // return at once: the one instruction completes first; the caller's run loop then sees the
    // slice's end (slice_expired_) or a pause (pause_requested_) as usual.
    if (result != 0 && errno == EINTR) __atomic_store_n(&run_->immediate_exit, 0, __ATOMIC_RELAXED);
  } while (result != 0 && (errno == EINTR || errno == EAGAIN));
  *byte = kInt3;
  if (result != 0) fail("INTERNAL", "KVM_RUN failed: " + errnoText(errno));
  if (!decodeExit(outcome)) return false;  // interrupted: just run on
  if (outcome.kind == RunOutcome::kStep) {
    // The step was ours; it ends the run only if the user asked to step (or a watch changed).
    if (debug_.single_step) {
      stepped_into_exit = true;
      return true;
    }
    if (emulatingWatchpoints() && watchpointChanged(outcome, regs.rip)) {
      stepped_into_exit = true;
      return true;
    }
    return false;
  }
  trap_flag_armed_ = false;
  stepped_into_exit = true;
  return true;
}

}  // namespace microvm
