// Exit decoding: what a VM exit in kvm_run means for the host. The ABI's port writes (a host call,
// the end of initialisation or of a call, an abort, an exception reported by the host's stubs),
// and every other exit as an unexpected one described in words; debug exits are machine_debug.cc's.
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "host_error.h"
#include "machine.h"

namespace microvm {

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

}  // namespace microvm
