#include "system_tables.h"

#include <cstring>

#include "layout.h"

namespace microvm {
namespace {

bool hasErrorCode(unsigned vector) {
  switch (vector) {
    case 8: case 10: case 11: case 12: case 13: case 14: case 17: case 21: case 29: case 30: return true;
    default: return false;
  }
}

void writeStub(uint8_t* out, unsigned vector) {
  uint8_t* p = out;
  if (!hasErrorCode(vector)) { *p++ = 0x6A; *p++ = 0x00; }       // push 0 (uniform frame)
  *p++ = 0x6A; *p++ = uint8_t(vector);                             // push vector
  *p++ = 0x50;                                                     // push rax
  *p++ = 0xB0; *p++ = uint8_t(vector);                             // mov al, vector
  *p++ = 0xE6; *p++ = uint8_t(kPortException);                     // out 0xE3, al
  *p++ = 0xF4;                                                     // hlt (never resumed)
  *p++ = 0xEB; *p++ = 0xFD;                                        // jmp hlt
  while (p < out + kStubSize) *p++ = 0xCC;
}

}  // namespace

void writeSystemTables(GuestMemory& memory) {
  // GDT: null, 64-bit code, data, 16-byte TSS descriptor. Accessed bits are preset so the CPU
  // never writes to the (read-only) table.
  uint8_t* gdt = memory.at(kGdtAddress, kPageSize, "GDT");
  std::memset(gdt, 0, kPageSize);
  const uint64_t kernel_code = 0x00AF9B000000FFFFull;  // L=1, P=1, DPL=0, execute/read/accessed
  const uint64_t kernel_data = 0x00CF93000000FFFFull;  // P=1, DPL=0, read/write/accessed
  const uint64_t user_data = 0x00CFF3000000FFFFull;    // P=1, DPL=3, read/write/accessed
  const uint64_t user_code = 0x00AFFB000000FFFFull;    // L=1, P=1, DPL=3, execute/read/accessed
  std::memcpy(gdt + kKernelCodeSelector, &kernel_code, 8);
  std::memcpy(gdt + kKernelDataSelector, &kernel_data, 8);
  std::memcpy(gdt + (kUserDataSelector & ~3), &user_data, 8);
  std::memcpy(gdt + (kUserCodeSelector & ~3), &user_code, 8);
  const uint64_t tss_limit = kTssLimit;
  uint64_t tss_low = (tss_limit & 0xFFFF) | ((kTssAddress & 0xFFFFFF) << 16) | (0x8Bull << 40) |
                     (((tss_limit >> 16) & 0xF) << 48) | (((kTssAddress >> 24) & 0xFF) << 56);
  const uint64_t tss_high = kTssAddress >> 32;
  std::memcpy(gdt + kTssSelector, &tss_low, 8);
  std::memcpy(gdt + kTssSelector + 8, &tss_high, 8);

  // TSS: RSP0 and IST1 for every exception, IST2 for double faults, and an I/O permission bitmap
  // that lets ring 3 use ports 0x00-0xff (the host treats every port but the ABI's as an error).
  uint8_t* tss = memory.at(kTssAddress, kPageSize, "TSS");
  std::memset(tss, 0, kPageSize);
  const uint64_t ist1 = kExceptionStackTop, ist2 = kDoubleFaultStackTop;
  std::memcpy(tss + 4, &ist1, 8);
  std::memcpy(tss + 36, &ist1, 8);
  std::memcpy(tss + 44, &ist2, 8);
  const uint16_t iomap_base = kIoBitmapOffset;
  std::memcpy(tss + 102, &iomap_base, 2);
  std::memset(tss + kIoBitmapOffset, 0x00, kIoBitmapBytes);  // 0 = allowed
  tss[kIoBitmapOffset + kIoBitmapBytes] = 0xFF;             // terminator

  std::memset(memory.at(kCallEntryAddress, kPageSize, "call entry"), 0xCC, kPageSize);  // written at snapshot time
  uint8_t* stubs = memory.at(kStubsAddress, kPageSize, "exception stubs");
  std::memset(stubs, 0xCC, kPageSize);
  uint8_t* idt = memory.at(kIdtAddress, kPageSize, "IDT");
  std::memset(idt, 0, kPageSize);
  for (unsigned vector = 0; vector < 32; ++vector) {
    writeStub(stubs + vector * kStubSize, vector);
    const uint64_t handler = kStubsAddress + vector * kStubSize;
    const uint8_t ist = vector == 8 ? 2 : 1;
    uint8_t* gate = idt + vector * 16;
    const uint16_t low = handler & 0xFFFF, mid = (handler >> 16) & 0xFFFF;
    const uint32_t high = uint32_t(handler >> 32);
    std::memcpy(gate + 0, &low, 2);
    const uint16_t selector = kKernelCodeSelector;
    std::memcpy(gate + 2, &selector, 2);
    gate[4] = ist;
    // Present 64-bit interrupt gates. DPL 3 only for #BP, so that int3 in guest code raises #BP
    // (and not #GP); every other `int n` from ring 3 is a #GP.
    gate[5] = vector == 3 ? 0xEE : 0x8E;
    std::memcpy(gate + 6, &mid, 2);
    std::memcpy(gate + 8, &high, 4);
  }
}

void initialSpecialRegisters(kvm_sregs& sregs, uint64_t cr3) {
  kvm_segment code{};
  code.base = 0;
  code.limit = 0xFFFFFFFF;
  code.selector = kUserCodeSelector;
  code.type = 11;
  code.present = 1;
  code.dpl = 3;
  code.db = 0;
  code.s = 1;
  code.l = 1;
  code.g = 1;
  kvm_segment data = code;
  data.selector = kUserDataSelector;
  data.type = 3;
  data.db = 1;
  data.l = 0;
  sregs.cs = code;
  sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;

  kvm_segment tr{};
  tr.base = kTssAddress;
  tr.limit = kTssLimit;
  tr.selector = kTssSelector;
  tr.type = 11;  // busy 64-bit TSS
  tr.present = 1;
  sregs.tr = tr;
  kvm_segment ldt{};
  ldt.unusable = 1;
  ldt.type = 2;
  sregs.ldt = ldt;

  sregs.gdt.base = kGdtAddress;
  sregs.gdt.limit = kTssSelector + 16 - 1;
  sregs.idt.base = kIdtAddress;
  sregs.idt.limit = 32 * 16 - 1;

  sregs.cr0 = 0x80050033;  // PG | WP | NE | ET | MP | PE
  sregs.cr3 = cr3;
  sregs.cr4 = 0x620;       // OSXMMEXCPT | OSFXSR | PAE
  sregs.efer = 0xD00;      // NXE | LMA | LME
  std::memset(sregs.interrupt_bitmap, 0, sizeof sregs.interrupt_bitmap);
}

void writeCallEntry(GuestMemory& memory, uint64_t dispatch, uint64_t rax, const uint8_t* fxsave_image) {
  uint8_t* page = memory.at(kCallEntryAddress, kPageSize, "call entry");
  std::memset(page, 0xCC, kPageSize);
  constexpr uint64_t kImageOffset = 0x800;  // 16-byte aligned, as fxrstor requires
  std::memcpy(page + kImageOffset, fxsave_image, 512);
  uint8_t* p = page;
  // fxrstor64 [rip + disp32]
  const int32_t displacement = int32_t(kImageOffset - 8);
  *p++ = 0x48; *p++ = 0x0F; *p++ = 0xAE; *p++ = 0x0D;
  std::memcpy(p, &displacement, 4); p += 4;
  // mov rax, imm64 (the snapshot's RAX)
  *p++ = 0x48; *p++ = 0xB8;
  std::memcpy(p, &rax, 8); p += 8;
  // jmp [rip + 0]; the dispatch address follows
  *p++ = 0xFF; *p++ = 0x25;
  const int32_t zero = 0;
  std::memcpy(p, &zero, 4); p += 4;
  std::memcpy(p, &dispatch, 8);
}

bool isCallEntryAddress(uint64_t rip) { return rip >= kCallEntryAddress && rip < kCallEntryAddress + kPageSize; }

bool isExceptionStubAddress(uint64_t rip) { return rip >= kStubsAddress && rip < kStubsAddress + 32 * kStubSize; }

}  // namespace microvm
