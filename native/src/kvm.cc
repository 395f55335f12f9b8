#include "kvm.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cerrno>
#include <mutex>

#include "host_error.h"
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

}  // namespace microvm
