// The /dev/kvm system handle: opening it with actionable errors, API checks, and what every VM
// needs from it (vCPU mapping size, supported CPUID).
#pragma once

#include <linux/kvm.h>

#include <memory>
#include <string>
#include <vector>

#include "unique_fd.h"

namespace microvm {

class Kvm {
 public:
  // The process-wide handle on /dev/kvm, opened on first use.
  static std::shared_ptr<Kvm> system();
  // A handle on another device path (tests of the error messages use this).
  static std::shared_ptr<Kvm> open(const std::string& path);

  int fd() const { return fd_.get(); }
  int apiVersion() const { return api_version_; }
  size_t vcpuMmapSize() const { return vcpu_mmap_size_; }
  int checkExtension(long capability) const;
  // Whether data breakpoints in the debug registers actually fire (they do not on PVM hosts).
  // Probed once with a throwaway VM.
  bool debugRegistersWork();
  // Supported CPUID leaves, as KVM_SET_CPUID2 wants them.
  const std::vector<uint8_t>& supportedCpuid() const { return cpuid_; }

 private:
  explicit Kvm(const std::string& path);
  UniqueFd fd_;
  int api_version_ = 0;
  int debug_registers_work_ = -1;  // -1 not probed yet
  size_t vcpu_mmap_size_ = 0;
  std::vector<uint8_t> cpuid_;  // struct kvm_cpuid2 + entries
};

}  // namespace microvm
