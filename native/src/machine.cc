// A Machine's life outside the run loop: creating the VM and its vCPU with the initial guest state
// (image, PEB, page tables, CPUID, registers, FPU), taking the snapshot after initialisation, and
// setting up each call and putting the snapshot back after it. The run loop is machine_run.cc, exit
// decoding machine_exits.cc, register state machine_registers.cc, debug control machine_debug.cc.
#include "machine.h"

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "host_error.h"
#include "kvm_abi.h"
#include "page_tables.h"

namespace microvm {
namespace {

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

Machine::Machine(std::shared_ptr<Kvm> kvm, GuestImage image, const LayoutOptions& options)
    : kvm_(std::move(kvm)),
      image_(std::move(image)),
      layout_(computeLayout(options, image_.image_end)),
      memory_(layout_.memory_size),
      host_dirty_(layout_.memory_size / kPageSize) {
  installKickHandler();  // machine_run.cc
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
  std::vector<uint8_t> xsave = readXsave();
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
  writeXsave(xsave);
}

void Machine::captureVcpu(VcpuSnapshot& snapshot) const {
  ioctlOrFail(KVM_GET_REGS, &snapshot.regs, "KVM_GET_REGS");
  ioctlOrFail(KVM_GET_SREGS, &snapshot.sregs, "KVM_GET_SREGS");
  snapshot.xsave = readXsave();
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
    writeXsave(vcpu_snapshot_.xsave);
    const int msr_count = int(msrsHeader(vcpu_snapshot_.msrs.data())->nmsrs);
    if (::ioctl(vcpu_fd_.get(), kKvmSetMsrs, vcpu_snapshot_.msrs.data()) != msr_count)
      fail("INTERNAL", "KVM_SET_MSRS failed: " + errnoText(errno));
    ioctlOrFail(KVM_SET_DEBUGREGS, &vcpu_snapshot_.debugregs, "KVM_SET_DEBUGREGS");
  }
  privileged_state_dirty_ = false;
  segments_dirty_ = false;
}

}  // namespace microvm
