#include "kvm.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "host_error.h"
#include "layout.h"
#include "system_tables.h"
#include "unique_fd.h"
#include "kvm_abi.h"

namespace microvm {

static std::string permissionAdvice(const std::string& path) {
  return "; give your user access with `sudo usermod -aG kvm $USER` and log in again (or `sudo setfacl -m u:$USER:rw " +
         path + "`)";
}

Kvm::Kvm(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT)
      fail("KVM_UNAVAILABLE", path + " does not exist: KVM is not available on this machine (enable virtualisation in "
                                     "the firmware, load the kvm_intel or kvm_amd module, or enable nested "
                                     "virtualisation on the VM you are running in)");
    if (err == EACCES || err == EPERM)
      fail("KVM_UNAVAILABLE", "permission denied opening " + path + permissionAdvice(path));
    fail("KVM_UNAVAILABLE", "cannot open " + path + ": " + errnoText(err));
  }
  fd_ = UniqueFd(fd);
  api_version_ = ::ioctl(fd, KVM_GET_API_VERSION, 0);
  if (api_version_ < 0)
    fail("KVM_UNAVAILABLE", path + " is not a KVM device: KVM_GET_API_VERSION failed: " + errnoText(errno));
  if (api_version_ != KVM_API_VERSION)
    fail("KVM_UNAVAILABLE", path + " speaks KVM API version " + std::to_string(api_version_) +
                                ", this host was built for version " + std::to_string(KVM_API_VERSION));
  const int mmap_size = ::ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (mmap_size <= 0) fail("KVM_UNAVAILABLE", "KVM_GET_VCPU_MMAP_SIZE failed: " + errnoText(errno));
  vcpu_mmap_size_ = size_t(mmap_size);
  if (checkExtension(KVM_CAP_USER_MEMORY) <= 0)
    fail("KVM_UNAVAILABLE", path + " lacks KVM_CAP_USER_MEMORY, which the host requires");

  // KVM_GET_SUPPORTED_CPUID needs a big enough array; grow until it fits.
  for (unsigned entries = 64; entries <= 4096; entries *= 2) {
    std::vector<uint8_t> buffer(sizeof(CpuidHeader) + entries * sizeof(kvm_cpuid_entry2));
    auto* cpuid = reinterpret_cast<CpuidHeader*>(buffer.data());
    cpuid->nent = entries;
    if (::ioctl(fd, kKvmGetSupportedCpuid, cpuid) == 0) {
      buffer.resize(sizeof(CpuidHeader) + cpuid->nent * sizeof(kvm_cpuid_entry2));
      cpuid_ = std::move(buffer);
      return;
    }
    if (errno != E2BIG) fail("KVM_UNAVAILABLE", "KVM_GET_SUPPORTED_CPUID failed: " + errnoText(errno));
  }
  fail("KVM_UNAVAILABLE", "KVM_GET_SUPPORTED_CPUID reports more than 4096 entries");
}

int Kvm::checkExtension(long capability) const { return ::ioctl(fd_.get(), KVM_CHECK_EXTENSION, capability); }

std::shared_ptr<Kvm> Kvm::system() {
  static std::mutex mutex;
  static std::shared_ptr<Kvm> instance;
  std::lock_guard<std::mutex> lock(mutex);
  // A failed open is retried next time: the user may fix permissions without restarting.
  if (!instance) instance = std::shared_ptr<Kvm>(new Kvm("/dev/kvm"));
  return instance;
}

std::shared_ptr<Kvm> Kvm::open(const std::string& path) { return std::shared_ptr<Kvm>(new Kvm(path)); }

namespace {

// A ring-3 guest that writes to 0x6000 with DR0 watching it, then leaves through port 0xe1.
bool probeDebugRegisters(int kvm_fd, size_t run_size) {
  const int vm = ::ioctl(kvm_fd, KVM_CREATE_VM, 0);
  if (vm < 0) return false;
  UniqueFd vm_fd(vm);
  const size_t size = 0x10000;
  void* memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return false;
  UniqueMapping mapping(memory, size);
  uint8_t* bytes = mapping.bytes();
  kvm_userspace_memory_region region{0, 0, 0, size, reinterpret_cast<uint64_t>(memory)};
  if (::ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) != 0) return false;
  const int vcpu = ::ioctl(vm, KVM_CREATE_VCPU, 0);
  if (vcpu < 0) return false;
  UniqueFd vcpu_fd(vcpu);
  void* run_memory = ::mmap(nullptr, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
  if (run_memory == MAP_FAILED) return false;
  UniqueMapping run_mapping(run_memory, run_size);
  auto* run = static_cast<kvm_run*>(run_memory);

  // One 2 MiB user page maps 0-2 MiB; PML4 at 0x1000, PDPT 0x2000, PD 0x4000, TSS (with the I/O
  // bitmap that lets ring 3 reach port 0xe1) at 0x3000.
  uint64_t entries[] = {0x2000 | 7, 0x4000 | 7, 0x87};
  std::memcpy(bytes + 0x1000, &entries[0], 8);
  std::memcpy(bytes + 0x2000, &entries[1], 8);
  std::memcpy(bytes + 0x4000, &entries[2], 8);
  const uint16_t iomap = kIoBitmapOffset;
  std::memcpy(bytes + kTssAddress + 102, &iomap, 2);
  bytes[kTssAddress + kIoBitmapOffset + kIoBitmapBytes] = 0xFF;
  const uint8_t code[] = {0xC6, 0x04, 0x25, 0x00, 0x60, 0x00, 0x00, 0x2A,  // mov byte [0x6000], 42
                          0xE6, 0xE1, 0xEB, 0xFE};                          // out 0xe1, al; jmp $
  std::memcpy(bytes + 0x8000, code, sizeof code);

  kvm_sregs sregs;
  if (::ioctl(vcpu, KVM_GET_SREGS, &sregs) != 0) return false;
  initialSpecialRegisters(sregs, 0x1000);  // ring 3, as guests run; its TSS is at 0x3000
  if (::ioctl(vcpu, KVM_SET_SREGS, &sregs) != 0) return false;
  kvm_regs regs{};
  regs.rip = 0x8000;
  regs.rsp = 0xF000;
  regs.rflags = 0x2;
  if (::ioctl(vcpu, KVM_SET_REGS, &regs) != 0) return false;
  kvm_guest_debug debug{};
  debug.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
  debug.arch.debugreg[0] = 0x6000;
  debug.arch.debugreg[7] = 0x400 | 1 | (1ull << 16);  // L0, write, 1 byte
  if (::ioctl(vcpu, KVM_SET_GUEST_DEBUG, &debug) != 0) return false;
  if (::ioctl(vcpu, KVM_RUN, 0) != 0) return false;
  return run->exit_reason == KVM_EXIT_DEBUG;
}

}  // namespace

bool Kvm::debugRegistersWork() {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  if (debug_registers_work_ < 0) debug_registers_work_ = probeDebugRegisters(fd_.get(), vcpu_mmap_size_) ? 1 : 0;
  return debug_registers_work_ == 1;
}

}  // namespace microvm
