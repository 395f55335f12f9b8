// Register state of a Machine's vCPU as the host reads and writes it: general, special, FPU/SSE
// (through the XSAVE image) registers, and the vCPU ioctls that must first hand KVM the registers
// waiting in kvm_run.
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "host_error.h"
#include "kvm_abi.h"
#include "machine.h"

namespace microvm {

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

void Machine::getRegisters(kvm_regs& regs, kvm_sregs& sregs, kvm_fpu& fpu) const {
  ioctlOrFail(KVM_GET_REGS, &regs, "KVM_GET_REGS");
  ioctlOrFail(KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
  getFpu(fpu);
}

// Read from the XSAVE image rather than KVM_GET_FPU, which reports MXCSR as 0 on some hosts.
void Machine::getFpu(kvm_fpu& fpu) const {
  const std::vector<uint8_t> xsave = readXsave();
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

std::vector<uint8_t> Machine::readXsave() const {
  std::vector<uint8_t> xsave(xsave_size_, 0);
  ioctlOrFail(xsave_size_ > sizeof(XsaveArea) ? kKvmGetXsave2 : kKvmGetXsave, xsave.data(), "KVM_GET_XSAVE");
  return xsave;
}

void Machine::writeXsave(std::vector<uint8_t>& xsave) { ioctlOrFail(kKvmSetXsave, xsave.data(), "KVM_SET_XSAVE"); }

void Machine::setSpecialRegisters(const kvm_sregs& sregs) {
  kvm_sregs copy = sregs;
  ioctlOrFail(KVM_SET_SREGS, &copy, "KVM_SET_SREGS");
  privileged_state_dirty_ = true;
}

}  // namespace microvm
