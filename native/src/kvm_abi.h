// C-layout views of the KVM structures that end in a flexible array. In C++ the uapi header's
// __DECLARE_FLEX_ARRAY gives them a different size and entry offset (kvm_cpuid2 is 12 bytes
// instead of 8), which also changes the ioctl numbers derived from them; the kernel then answers
// EINVAL. These definitions match the C ABI and are checked against the known numbers.
#pragma once

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cstdint>

namespace microvm {

struct CpuidHeader {  // struct kvm_cpuid2 without its entries
  uint32_t nent;
  uint32_t padding;
};
struct MsrsHeader {  // struct kvm_msrs without its entries
  uint32_t nmsrs;
  uint32_t pad;
};
struct XsaveArea {  // struct kvm_xsave's fixed part
  uint32_t region[1024];
};

constexpr unsigned long kKvmGetSupportedCpuid = _IOWR(KVMIO, 0x05, CpuidHeader);
constexpr unsigned long kKvmSetCpuid2 = _IOW(KVMIO, 0x90, CpuidHeader);
constexpr unsigned long kKvmGetMsrs = _IOWR(KVMIO, 0x88, MsrsHeader);
constexpr unsigned long kKvmSetMsrs = _IOW(KVMIO, 0x89, MsrsHeader);
constexpr unsigned long kKvmGetXsave = _IOR(KVMIO, 0xa4, XsaveArea);
constexpr unsigned long kKvmSetXsave = _IOW(KVMIO, 0xa5, XsaveArea);
constexpr unsigned long kKvmGetXsave2 = _IOR(KVMIO, 0xcf, XsaveArea);

static_assert(kKvmGetSupportedCpuid == 0xc008ae05ul, "KVM_GET_SUPPORTED_CPUID number");
static_assert(kKvmSetCpuid2 == 0x4008ae90ul, "KVM_SET_CPUID2 number");
static_assert(kKvmGetMsrs == 0xc008ae88ul, "KVM_GET_MSRS number");
static_assert(kKvmSetMsrs == 0x4008ae89ul, "KVM_SET_MSRS number");
static_assert(kKvmGetXsave == 0x9000aea4ul, "KVM_GET_XSAVE number");
static_assert(kKvmSetXsave == 0x5000aea5ul, "KVM_SET_XSAVE number");
static_assert(sizeof(kvm_cpuid_entry2) == 40, "kvm_cpuid_entry2 size");
static_assert(sizeof(kvm_msr_entry) == 16, "kvm_msr_entry size");

// A kvm_msrs buffer in C layout.
inline MsrsHeader* msrsHeader(uint8_t* buffer) { return reinterpret_cast<MsrsHeader*>(buffer); }
inline kvm_msr_entry* msrEntries(uint8_t* buffer) {
  return reinterpret_cast<kvm_msr_entry*>(buffer + sizeof(MsrsHeader));
}

}  // namespace microvm
