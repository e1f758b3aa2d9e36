#include "tv/elf.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(ElfError e) {
  switch (e) {
    case ElfError::NotElf: return "not an ELF file";
    case ElfError::BadClass: return "unsupported ELF class";
    case ElfError::NotLittleEndian: return "ELF file is not little-endian";
    case ElfError::BadVersion: return "unsupported ELF version";
    case ElfError::NotExecutable: return "ELF file is not an executable (ET_EXEC)";
    case ElfError::BadMachine: return "ELF machine is not x86";
    case ElfError::Truncated: return "ELF file truncated";
    case ElfError::BadPhdrTable: return "bad ELF program header table";
    case ElfError::BadSegment: return "bad ELF segment";
    case ElfError::TooManySegments: return "too many ELF load segments";
    case ElfError::NoSegments: return "ELF file has no load segments";
  }
  return "unknown ELF error";
}

namespace {

#define TV_OFF(type, field) __builtin_offsetof(type, field)

// Header fields common to both classes, after class-specific decoding.
struct Header {
  u16 type;
  u16 machine;
  u32 version;
  u64 entry;
  u64 phoff;
  u16 phentsize;
  u16 phnum;
};

Header read_header32(const u8* p) {
  return Header{load_le16(p + TV_OFF(Elf32Ehdr, e_type)),    load_le16(p + TV_OFF(Elf32Ehdr, e_machine)),
                load_le32(p + TV_OFF(Elf32Ehdr, e_version)), load_le32(p + TV_OFF(Elf32Ehdr, e_entry)),
                load_le32(p + TV_OFF(Elf32Ehdr, e_phoff)),   load_le16(p + TV_OFF(Elf32Ehdr, e_phentsize)),
                load_le16(p + TV_OFF(Elf32Ehdr, e_phnum))};
}

Header read_header64(const u8* p) {
  return Header{load_le16(p + TV_OFF(Elf64Ehdr, e_type)),    load_le16(p + TV_OFF(Elf64Ehdr, e_machine)),
                load_le32(p + TV_OFF(Elf64Ehdr, e_version)), load_le64(p + TV_OFF(Elf64Ehdr, e_entry)),
                load_le64(p + TV_OFF(Elf64Ehdr, e_phoff)),   load_le16(p + TV_OFF(Elf64Ehdr, e_phentsize)),
                load_le16(p + TV_OFF(Elf64Ehdr, e_phnum))};
}

struct Phdr {
  u32 type;
  LoadSegment seg;
};

Phdr read_phdr32(const u8* p) {
  Phdr ph{};
  ph.type = load_le32(p + TV_OFF(Elf32Phdr, p_type));
  ph.seg.file_offset = load_le32(p + TV_OFF(Elf32Phdr, p_offset));
  ph.seg.vaddr = load_le32(p + TV_OFF(Elf32Phdr, p_vaddr));
  ph.seg.paddr = load_le32(p + TV_OFF(Elf32Phdr, p_paddr));
  ph.seg.file_size = load_le32(p + TV_OFF(Elf32Phdr, p_filesz));
  ph.seg.mem_size = load_le32(p + TV_OFF(Elf32Phdr, p_memsz));
  ph.seg.flags = load_le32(p + TV_OFF(Elf32Phdr, p_flags));
  return ph;
}

Phdr read_phdr64(const u8* p) {
  Phdr ph{};
  ph.type = load_le32(p + TV_OFF(Elf64Phdr, p_type));
  ph.seg.flags = load_le32(p + TV_OFF(Elf64Phdr, p_flags));
  ph.seg.file_offset = load_le64(p + TV_OFF(Elf64Phdr, p_offset));
  ph.seg.vaddr = load_le64(p + TV_OFF(Elf64Phdr, p_vaddr));
  ph.seg.paddr = load_le64(p + TV_OFF(Elf64Phdr, p_paddr));
  ph.seg.file_size = load_le64(p + TV_OFF(Elf64Phdr, p_filesz));
  ph.seg.mem_size = load_le64(p + TV_OFF(Elf64Phdr, p_memsz));
  return ph;
}

#undef TV_OFF

// True if [base, base + size) fits in an address space of 2^bits bytes (bits <= 64).
bool range_fits(u64 base, u64 size, unsigned bits) {
  if (base + size < base) return false;
  if (bits >= 64) return true;
  const u64 limit = u64{1} << bits;
  return base <= limit && size <= limit - base;
}

}  // namespace

Result<ElfImage, ElfError> parse_elf(const u8* image, usize len) {
  if (image == nullptr) len = 0;
  if (len < 4 || image[0] != 0x7F || image[1] != 'E' || image[2] != 'L' || image[3] != 'F') {
    return Err{ElfError::NotElf};
  }
  if (len < 16) return Err{ElfError::Truncated};

  const u8 cls = image[kEiClass];
  if (cls != kElfClass32 && cls != kElfClass64) return Err{ElfError::BadClass};
  const bool is64 = cls == kElfClass64;
  if (image[kEiData] != kElfData2Lsb) return Err{ElfError::NotLittleEndian};
  if (image[kEiVersion] != kEvCurrent) return Err{ElfError::BadVersion};

  const usize ehdr_size = is64 ? sizeof(Elf64Ehdr) : sizeof(Elf32Ehdr);
  if (len < ehdr_size) return Err{ElfError::Truncated};
  const Header h = is64 ? read_header64(image) : read_header32(image);
  if (h.version != kEvCurrent) return Err{ElfError::BadVersion};
  if (h.type != kEtExec) return Err{ElfError::NotExecutable};
  if (h.machine != (is64 ? kEmX86_64 : kEm386)) return Err{ElfError::BadMachine};

  const usize phdr_size = is64 ? sizeof(Elf64Phdr) : sizeof(Elf32Phdr);
  if (h.phnum == 0) return Err{ElfError::NoSegments};
  if (h.phnum == kPnXnum || h.phentsize < phdr_size) return Err{ElfError::BadPhdrTable};
  // phnum and phentsize are 16-bit, so the table size cannot overflow 64 bits.
  const u64 table_size = static_cast<u64>(h.phnum) * h.phentsize;
  if (h.phoff > len || table_size > len - h.phoff) return Err{ElfError::Truncated};

  ElfImage out;
  out.elf_class = is64 ? ElfClass::Elf64 : ElfClass::Elf32;
  out.machine = h.machine;
  out.entry = h.entry;
  const unsigned addr_bits = is64 ? 64 : 32;

  for (u16 i = 0; i < h.phnum; ++i) {
    const u8* p = image + h.phoff + static_cast<u64>(i) * h.phentsize;
    const Phdr ph = is64 ? read_phdr64(p) : read_phdr32(p);
    if (ph.type != kPtLoad) continue;
    const LoadSegment& s = ph.seg;
    if (s.file_size > s.mem_size) return Err{ElfError::BadSegment};
    if (!range_fits(s.file_offset, s.file_size, 64)) return Err{ElfError::BadSegment};
    if (!range_fits(s.paddr, s.mem_size, addr_bits) || !range_fits(s.vaddr, s.mem_size, addr_bits)) {
      return Err{ElfError::BadSegment};
    }
    if (s.file_offset > len || s.file_size > len - s.file_offset) return Err{ElfError::Truncated};
    if (s.mem_size == 0) continue;  // legal but loads nothing
    if (out.segment_count == ElfImage::kMaxSegments) return Err{ElfError::TooManySegments};
    out.segments[out.segment_count++] = s;
  }
  if (out.segment_count == 0) return Err{ElfError::NoSegments};
  return out;
}

}  // namespace tv
