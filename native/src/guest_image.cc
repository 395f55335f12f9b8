#include "guest_image.h"

#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>

#include "host_error.h"

namespace microvm {
namespace {

[[noreturn]] void reject(const std::string& message) { fail("ELF_INVALID", message); }

// Bounds-checked little-endian reads from the file image.
class FileReader {
 public:
  explicit FileReader(const std::vector<uint8_t>& file) : file_(file) {}

  bool contains(uint64_t offset, uint64_t length) const {
    return offset <= file_.size() && length <= file_.size() - offset;
  }
  template <typename T>
  T read(uint64_t offset, const char* field) const {
    if (!contains(offset, sizeof(T)))
      reject(std::string(field) + " at offset " + hex(offset) + " lies past the end of the file (" +
             std::to_string(file_.size()) + " bytes)");
    T value;
    std::memcpy(&value, file_.data() + offset, sizeof(T));
    return value;
  }
  const uint8_t* at(uint64_t offset) const { return file_.data() + offset; }
  uint64_t size() const { return file_.size(); }

 private:
  const std::vector<uint8_t>& file_;
};

bool addOverflows(uint64_t a, uint64_t b) { return a > std::numeric_limits<uint64_t>::max() - b; }

std::string phdrName(unsigned index) { return "program header " + std::to_string(index); }

uint8_t permissionsOf(uint32_t flags) {
  uint8_t permissions = 0;
  if (flags & PF_R) permissions |= kRead;
  if (flags & PF_W) permissions |= kWrite;
  if (flags & PF_X) permissions |= kExecute;
  return permissions;
}

void checkHeader(const FileReader& reader, Elf64_Ehdr& header) {
  if (reader.size() < sizeof(Elf64_Ehdr))
    reject("file is " + std::to_string(reader.size()) + " bytes, shorter than the 64-byte ELF64 header");
  std::memcpy(&header, reader.at(0), sizeof header);
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) reject("e_ident[0..3] at offset 0x0 is not the ELF magic \\x7fELF");
  if (header.e_ident[EI_CLASS] != ELFCLASS64)
    reject("e_ident[EI_CLASS] at offset 0x4 is " + std::to_string(header.e_ident[EI_CLASS]) +
           (header.e_ident[EI_CLASS] == ELFCLASS32 ? " (ELFCLASS32)" : "") + "; guests must be ELFCLASS64 (2)");
  if (header.e_ident[EI_DATA] != ELFDATA2LSB)
    reject("e_ident[EI_DATA] at offset 0x5 is " + std::to_string(header.e_ident[EI_DATA]) +
           (header.e_ident[EI_DATA] == ELFDATA2MSB ? " (big-endian)" : "") + "; guests must be little-endian (1)");
  if (header.e_ident[EI_VERSION] != EV_CURRENT)
    reject("e_ident[EI_VERSION] at offset 0x6 is " + std::to_string(header.e_ident[EI_VERSION]) + "; expected 1");
  if (header.e_type != ET_EXEC && header.e_type != ET_DYN)
    reject("e_type at offset 0x10 is " + std::to_string(header.e_type) +
           "; guests must be ET_EXEC (2) or static-pie ET_DYN (3)");
  if (header.e_machine != EM_X86_64)
    reject("e_machine at offset 0x12 is " + std::to_string(header.e_machine) + "; guests must be EM_X86_64 (62)");
  if (header.e_version != EV_CURRENT)
    reject("e_version at offset 0x14 is " + std::to_string(header.e_version) + "; expected 1");
  if (header.e_ehsize != sizeof(Elf64_Ehdr))
    reject("e_ehsize at offset 0x34 is " + std::to_string(header.e_ehsize) + "; expected 64");
  if (header.e_phnum == 0) reject("e_phnum at offset 0x38 is 0: the file has no program headers to load");
  if (header.e_phnum == PN_XNUM) reject("e_phnum at offset 0x38 is PN_XNUM (0xffff): too many program headers");
  if (header.e_phentsize != sizeof(Elf64_Phdr))
    reject("e_phentsize at offset 0x36 is " + std::to_string(header.e_phentsize) + "; expected 56");
  const uint64_t table_size = uint64_t(header.e_phnum) * sizeof(Elf64_Phdr);
  if (!reader.contains(header.e_phoff, table_size))
    reject("program header table (e_phoff=" + hex(header.e_phoff) + ", " + std::to_string(header.e_phnum) +
           " entries) extends past the end of the file (" + std::to_string(reader.size()) + " bytes)");
  if (header.e_shnum != 0) {
    if (header.e_shentsize != sizeof(Elf64_Shdr))
      reject("e_shentsize at offset 0x3a is " + std::to_string(header.e_shentsize) + "; expected 64");
    if (!reader.contains(header.e_shoff, uint64_t(header.e_shnum) * sizeof(Elf64_Shdr)))
      reject("section header table (e_shoff=" + hex(header.e_shoff) + ", " + std::to_string(header.e_shnum) +
             " entries) extends past the end of the file (" + std::to_string(reader.size()) + " bytes)");
    if (header.e_shstrndx >= header.e_shnum)
      reject("e_shstrndx at offset 0x3e is " + std::to_string(header.e_shstrndx) + " but there are only " +
             std::to_string(header.e_shnum) + " sections");
  }
}

std::vector<Elf64_Phdr> readProgramHeaders(const FileReader& reader, const Elf64_Ehdr& header) {
  std::vector<Elf64_Phdr> headers(header.e_phnum);
  for (unsigned i = 0; i < header.e_phnum; ++i)
    std::memcpy(&headers[i], reader.at(header.e_phoff + uint64_t(i) * sizeof(Elf64_Phdr)), sizeof(Elf64_Phdr));
  return headers;
}

void checkLoadSegment(const FileReader& reader, const Elf64_Ehdr& header, unsigned index, const Elf64_Phdr& ph,
                      bool empty) {
  const uint64_t field_offset = header.e_phoff + uint64_t(index) * sizeof(Elf64_Phdr);
  const std::string name = phdrName(index) + " (PT_LOAD at file offset " + hex(field_offset) + ")";
  if (ph.p_filesz > ph.p_memsz)
    reject(name + ": p_filesz " + hex(ph.p_filesz) + " is larger than p_memsz " + hex(ph.p_memsz));
  if (!reader.contains(ph.p_offset, ph.p_filesz))
    reject(name + ": file range p_offset=" + hex(ph.p_offset) + " + p_filesz=" + hex(ph.p_filesz) +
           " extends past the end of the file (" + std::to_string(reader.size()) + " bytes)");
  if (addOverflows(ph.p_vaddr, ph.p_memsz))
    reject(name + ": p_vaddr " + hex(ph.p_vaddr) + " + p_memsz " + hex(ph.p_memsz) + " overflows");
  if (ph.p_align > 1) {
    if ((ph.p_align & (ph.p_align - 1)) != 0) reject(name + ": p_align " + hex(ph.p_align) + " is not a power of two");
    // ld emits empty segments (for empty output sections) whose addresses mean nothing.
    if (!empty && (ph.p_vaddr - ph.p_offset) % ph.p_align != 0)
      reject(name + ": p_vaddr " + hex(ph.p_vaddr) + " and p_offset " + hex(ph.p_offset) +
             " are not congruent modulo p_align " + hex(ph.p_align));
  }
  if ((ph.p_flags & PF_W) && (ph.p_flags & PF_X))
    reject(name + " at " + hex(ph.p_vaddr) + " is writable and executable (p_flags=" + hex(ph.p_flags) +
           "); guest code must stay read-only");
}

struct SectionView {
  uint64_t offset;
  uint64_t size;
  uint64_t address;
  uint32_t type;
};

// Checks every section header's name, then returns the one named `wanted`, if any.
bool findSection(const FileReader& reader, const Elf64_Ehdr& header, const char* wanted, SectionView& out) {
  if (header.e_shnum == 0) return false;
  Elf64_Shdr strtab;
  std::memcpy(&strtab, reader.at(header.e_shoff + uint64_t(header.e_shstrndx) * sizeof(Elf64_Shdr)), sizeof strtab);
  if (strtab.sh_type == SHT_NOBITS)
    reject("section name table (section " + std::to_string(header.e_shstrndx) + ") has type SHT_NOBITS: it has no data in the file");
  if (!reader.contains(strtab.sh_offset, strtab.sh_size))
    reject("section name table (section " + std::to_string(header.e_shstrndx) + ", sh_offset=" +
           hex(strtab.sh_offset) + ") extends past the end of the file");
  bool found = false;
  for (unsigned i = 0; i < header.e_shnum; ++i) {
    Elf64_Shdr section;
    std::memcpy(&section, reader.at(header.e_shoff + uint64_t(i) * sizeof(Elf64_Shdr)), sizeof section);
    if (section.sh_name >= strtab.sh_size)
      reject("section " + std::to_string(i) + ": sh_name " + hex(section.sh_name) +
             " lies outside the section name table (" + std::to_string(strtab.sh_size) + " bytes)");
    const char* name = reinterpret_cast<const char*>(reader.at(strtab.sh_offset + section.sh_name));
    const size_t room = strtab.sh_size - section.sh_name;
    if (strnlen(name, room) == room)
      reject("section " + std::to_string(i) + ": its name at sh_name " + hex(section.sh_name) + " is not NUL-terminated");
    if (found || std::strcmp(name, wanted) != 0) continue;
    if (section.sh_type != SHT_NOBITS && !reader.contains(section.sh_offset, section.sh_size))
      reject("section " + std::to_string(i) + " (" + wanted + "): sh_offset " + hex(section.sh_offset) +
             " + sh_size " + hex(section.sh_size) + " extends past the end of the file");
    out = {section.sh_offset, section.sh_size, section.sh_addr, section.sh_type};
    found = true;
  }
  return found;
}

// Guest bytes shown in a message: printable ASCII as is, everything else as \xNN, so that a hostile
// name cannot inject terminal escapes or invalid UTF-8 into the host's output.
std::string printable(const char* text, size_t length) {
  std::string out;
  for (size_t i = 0; i < length; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out += char(c);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    }
  }
  return out;
}

bool validFunctionName(const char* name, size_t length) {
  if (length == 0) return false;
  for (size_t i = 0; i < length; ++i) {
    const char c = name[i];
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::vector<GuestFunction> readFunctionTable(const FileReader& reader, const Elf64_Ehdr& header) {
  SectionView section{};
  if (!findSection(reader, header, ".microvm.functions", section)) return {};
  const std::string where = "section .microvm.functions (file offset " + hex(section.offset) + ")";
  if (section.type != SHT_PROGBITS) reject(where + " has sh_type " + std::to_string(section.type) + "; expected SHT_PROGBITS");
  if (section.size % kFunctionEntrySize != 0)
    reject(where + " is " + std::to_string(section.size) + " bytes, not a multiple of the 96-byte entry size");

  std::vector<GuestFunction> functions;
  for (uint64_t offset = section.offset; offset < section.offset + section.size; offset += kFunctionEntrySize) {
    const size_t index = functions.size();
    const std::string entry = "function table entry " + std::to_string(index) + " at file offset " + hex(offset);
    const uint8_t* bytes = reader.at(offset);
    uint32_t magic;
    std::memcpy(&magic, bytes, 4);
    if (magic != 0x4E46564D) reject(entry + ": magic is " + hex(magic) + ", expected 0x4e46564d (\"MVFN\")");
    if (bytes[4] != kAbiVersion)
      reject(entry + ": ABI version is " + std::to_string(bytes[4]) + ", this host speaks version 1");
    GuestFunction function;
    function.return_type = bytes[5];
    if (function.return_type >= kTagCount)
      reject(entry + ": return type tag " + std::to_string(function.return_type) + " is not a known type");
    const uint8_t count = bytes[6];
    if (count > kMaxParams) reject(entry + ": parameter count " + std::to_string(count) + " exceeds 16");
    unsigned general = 0, vector = 0;
    for (unsigned i = 0; i < count; ++i) {
      const uint8_t tag = bytes[8 + i];
      if (tag == kVoid || tag >= kTagCount)
        reject(entry + ": parameter " + std::to_string(i) + " has type tag " + std::to_string(tag) +
               ", which is not a parameter type");
      if (tag == kF32 || tag == kF64) ++vector;
      else general += tag == kBytes ? 2 : 1;
      function.param_types.push_back(tag);
    }
    const char* name = reinterpret_cast<const char*>(bytes + 24);
    const size_t length = strnlen(name, 64);
    if (length == 64) reject(entry + ": name is not NUL-terminated within its 64 bytes");
    if (!validFunctionName(name, length))
      reject(entry + ": name \"" + printable(name, length) + "\" is not an identifier [A-Za-z_][A-Za-z0-9_]*");
    function.name.assign(name, length);
    if (general > 6 || vector > 8)
      reject(entry + " (" + function.name + "): its parameters need " + std::to_string(general) +
             " general and " + std::to_string(vector) + " vector registers; at most 6 and 8 are supported");
    for (const GuestFunction& other : functions)
      if (other.name == function.name) reject(entry + ": duplicate function name \"" + function.name + "\"");
    functions.push_back(std::move(function));
  }
  return functions;
}

void readRelocations(const FileReader& reader, const std::vector<Elf64_Phdr>& headers, GuestImage& image) {
  const Elf64_Phdr* dynamic = nullptr;
  for (const Elf64_Phdr& ph : headers)
    if (ph.p_type == PT_DYNAMIC) dynamic = &ph;
  if (dynamic == nullptr) return;
  if (!reader.contains(dynamic->p_offset, dynamic->p_filesz))
    reject("PT_DYNAMIC segment (p_offset=" + hex(dynamic->p_offset) + ") extends past the end of the file");

  uint64_t rela = 0, rela_size = 0, rela_entry = sizeof(Elf64_Rela);
  bool have_rela = false;
  for (uint64_t offset = dynamic->p_offset; offset + sizeof(Elf64_Dyn) <= dynamic->p_offset + dynamic->p_filesz;
       offset += sizeof(Elf64_Dyn)) {
    const auto tag = reader.read<int64_t>(offset, "dynamic entry d_tag");
    const auto value = reader.read<uint64_t>(offset + 8, "dynamic entry d_val");
    if (tag == DT_NULL) break;
    switch (tag) {
      case DT_NEEDED: reject("dynamic entry at offset " + hex(offset) + " is DT_NEEDED: guests must be static, not linked against shared libraries");
      case DT_REL: reject("dynamic entry at offset " + hex(offset) + " is DT_REL: only DT_RELA relocations are supported");
      case DT_JMPREL:
      case DT_PLTRELSZ:
        if (value != 0) reject("dynamic entry at offset " + hex(offset) + " declares PLT relocations; guests must be static");
        break;
      case DT_RELA: rela = value; have_rela = true; break;
      case DT_RELASZ: rela_size = value; break;
      case DT_RELAENT: rela_entry = value; break;
      default: break;
    }
  }
  if (!have_rela || rela_size == 0) return;
  if (rela_entry != sizeof(Elf64_Rela)) reject("DT_RELAENT is " + std::to_string(rela_entry) + "; expected 24");
  if (rela_size % sizeof(Elf64_Rela) != 0)
    reject("DT_RELASZ is " + std::to_string(rela_size) + ", not a multiple of the 24-byte Elf64_Rela entry");

  // DT_RELA is a linked address: find the file offset through the PT_LOAD that holds it.
  uint64_t file_offset = 0;
  bool found = false;
  for (const Elf64_Phdr& ph : headers)
    if (ph.p_type == PT_LOAD && rela >= ph.p_vaddr && rela - ph.p_vaddr <= ph.p_filesz &&
        rela_size <= ph.p_filesz - (rela - ph.p_vaddr)) {
      file_offset = ph.p_offset + (rela - ph.p_vaddr);
      found = true;
    }
  if (!found) reject("DT_RELA table at " + hex(rela) + " (" + std::to_string(rela_size) + " bytes) is not inside a loaded segment's file data");
  for (uint64_t offset = file_offset; offset < file_offset + rela_size; offset += sizeof(Elf64_Rela)) {
    const auto r_offset = reader.read<uint64_t>(offset, "r_offset");
    const auto r_info = reader.read<uint64_t>(offset + 8, "r_info");
    const auto r_addend = reader.read<int64_t>(offset + 16, "r_addend");
    if (ELF64_R_TYPE(r_info) != R_X86_64_RELATIVE)
      reject("relocation at file offset " + hex(offset) + " has type " + std::to_string(ELF64_R_TYPE(r_info)) +
             "; only R_X86_64_RELATIVE (8) is supported");
    image.relative_relocations.push_back(r_offset + image.load_bias);
    image.relocation_addends.push_back(uint64_t(r_addend) + image.load_bias);
  }
}

}  // namespace

const char* valueTagName(uint8_t tag) {
  static const char* const names[] = {"void", "i32", "u32", "i64", "u64", "f32", "f64", "bool", "string", "bytes"};
  return tag < kTagCount ? names[tag] : "invalid";
}

GuestImage parseGuestImage(std::vector<uint8_t> file) {
  if (file.size() > kMaxGuestFileSize)
    reject("file is " + std::to_string(file.size()) + " bytes; guests may be at most " +
           std::to_string(kMaxGuestFileSize) + " bytes");
  GuestImage image;
  image.file = std::move(file);
  const FileReader reader(image.file);
  Elf64_Ehdr header;
  checkHeader(reader, header);
  const std::vector<Elf64_Phdr> headers = readProgramHeaders(reader, header);

  uint64_t lowest = std::numeric_limits<uint64_t>::max();
  for (unsigned i = 0; i < headers.size(); ++i) {
    const Elf64_Phdr& ph = headers[i];
    switch (ph.p_type) {
      case PT_INTERP: reject(phdrName(i) + " is PT_INTERP: the guest asks for a dynamic loader; link it statically");
      case PT_TLS: reject(phdrName(i) + " is PT_TLS: thread-local storage is not supported in guests");
      case PT_LOAD:
        checkLoadSegment(reader, header, i, ph, ph.p_memsz == 0);
        if (ph.p_memsz != 0) lowest = std::min(lowest, ph.p_vaddr);  // an empty segment loads nothing
        break;
      default: break;
    }
  }
  if (lowest == std::numeric_limits<uint64_t>::max()) reject("the file has no non-empty PT_LOAD segment");

  image.position_independent = header.e_type == ET_DYN;
  if (image.position_independent) image.load_bias = kImageBase - (lowest & ~(kPageSize - 1));

  uint64_t previous_end = 0;
  for (unsigned i = 0; i < headers.size(); ++i) {
    const Elf64_Phdr& ph = headers[i];
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    const uint64_t start = ph.p_vaddr + image.load_bias;
    if (addOverflows(start, ph.p_memsz))
      reject(phdrName(i) + " (PT_LOAD) relocated to " + hex(start) + " + p_memsz " + hex(ph.p_memsz) + " overflows");
    const uint64_t end = start + ph.p_memsz;
    if (start < kImageBase || end > kMaxMemorySize)
      reject(phdrName(i) + " (PT_LOAD) spans " + hex(start) + "-" + hex(end) +
             ", outside the guest image area " + hex(kImageBase) + "-" + hex(kMaxMemorySize) +
             (image.position_independent || start >= kImageBase ? "" : "; link guests at 0x100000 or above"));
    if (start < previous_end)
      reject(phdrName(i) + " (PT_LOAD) at " + hex(start) + " overlaps or precedes the previous segment, which ends at " +
             hex(previous_end) + " (PT_LOAD segments must be sorted and disjoint)");
    previous_end = end;
    const uint8_t permissions = permissionsOf(ph.p_flags);
    // Two segments sharing a page share its permissions: refuse a writable+executable union.
    for (const LoadSegment& other : image.segments) {
      const uint64_t other_last_page = (other.address + other.memory_size - 1) & ~(kPageSize - 1);
      if (other_last_page == (start & ~(kPageSize - 1)) &&
          ((other.permissions | permissions) & (kWrite | kExecute)) == (kWrite | kExecute))
        reject(phdrName(i) + " and " + phdrName(other.program_header_index) + " share the page at " +
               hex(other_last_page) + ", which would be writable and executable");
    }
    image.segments.push_back({i, start, ph.p_memsz, ph.p_offset, ph.p_filesz, permissions});
  }
  image.image_start = image.segments.front().address;
  image.image_end = previous_end;

  image.entry = header.e_entry + image.load_bias;
  bool entry_ok = false;
  for (const LoadSegment& segment : image.segments)
    if ((segment.permissions & kExecute) && image.entry >= segment.address &&
        image.entry < segment.address + segment.memory_size)
      entry_ok = true;
  if (!entry_ok)
    reject("e_entry at offset 0x18 is " + hex(header.e_entry) + ", which is not inside an executable PT_LOAD segment");

  if (image.position_independent) readRelocations(reader, headers, image);
  for (uint64_t target : image.relative_relocations) {
    bool inside = false;
    for (const LoadSegment& segment : image.segments)
      if (target >= segment.address && target <= segment.address + segment.memory_size &&
          segment.address + segment.memory_size - target >= 8)
        inside = true;
    if (!inside) reject("R_X86_64_RELATIVE relocation targets " + hex(target) + ", outside every loaded segment");
  }
  image.functions = readFunctionTable(reader, header);
  return image;
}

}  // namespace microvm
