// Minimal ELF executable reader: enough to load a multiboot kernel (ELF32 or ELF64,
// little-endian x86) by its PT_LOAD program headers. Input is untrusted.
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

// On-disk layouts, ELF gABI "ELF Header" and "Program Header" (field names as in the spec).
// The parser reads bytes at these offsets; the structs exist to pin the layout down.
struct Elf32Ehdr {
  u8 e_ident[16];
  u16 e_type;
  u16 e_machine;
  u32 e_version;
  u32 e_entry;
  u32 e_phoff;
  u32 e_shoff;
  u32 e_flags;
  u16 e_ehsize;
  u16 e_phentsize;
  u16 e_phnum;
  u16 e_shentsize;
  u16 e_shnum;
  u16 e_shstrndx;
};
static_assert(sizeof(Elf32Ehdr) == 52);
static_assert(__builtin_offsetof(Elf32Ehdr, e_entry) == 24);
static_assert(__builtin_offsetof(Elf32Ehdr, e_phoff) == 28);
static_assert(__builtin_offsetof(Elf32Ehdr, e_phentsize) == 42);
static_assert(__builtin_offsetof(Elf32Ehdr, e_phnum) == 44);

struct Elf64Ehdr {
  u8 e_ident[16];
  u16 e_type;
  u16 e_machine;
  u32 e_version;
  u64 e_entry;
  u64 e_phoff;
  u64 e_shoff;
  u32 e_flags;
  u16 e_ehsize;
  u16 e_phentsize;
  u16 e_phnum;
  u16 e_shentsize;
  u16 e_shnum;
  u16 e_shstrndx;
};
static_assert(sizeof(Elf64Ehdr) == 64);
static_assert(__builtin_offsetof(Elf64Ehdr, e_entry) == 24);
static_assert(__builtin_offsetof(Elf64Ehdr, e_phoff) == 32);
static_assert(__builtin_offsetof(Elf64Ehdr, e_phentsize) == 54);
static_assert(__builtin_offsetof(Elf64Ehdr, e_phnum) == 56);

struct Elf32Phdr {
  u32 p_type;
  u32 p_offset;
  u32 p_vaddr;
  u32 p_paddr;
  u32 p_filesz;
  u32 p_memsz;
  u32 p_flags;
  u32 p_align;
};
static_assert(sizeof(Elf32Phdr) == 32);
static_assert(__builtin_offsetof(Elf32Phdr, p_paddr) == 12);
static_assert(__builtin_offsetof(Elf32Phdr, p_flags) == 24);

struct Elf64Phdr {
  u32 p_type;
  u32 p_flags;
  u64 p_offset;
  u64 p_vaddr;
  u64 p_paddr;
  u64 p_filesz;
  u64 p_memsz;
  u64 p_align;
};
static_assert(sizeof(Elf64Phdr) == 56);
static_assert(__builtin_offsetof(Elf64Phdr, p_offset) == 8);
static_assert(__builtin_offsetof(Elf64Phdr, p_memsz) == 40);

// e_ident indices and values (gABI).
inline constexpr usize kEiClass = 4;
inline constexpr usize kEiData = 5;
inline constexpr usize kEiVersion = 6;
inline constexpr u8 kElfClass32 = 1;
inline constexpr u8 kElfClass64 = 2;
inline constexpr u8 kElfData2Lsb = 1;
inline constexpr u8 kEvCurrent = 1;
inline constexpr u16 kEtExec = 2;
inline constexpr u16 kEm386 = 3;
inline constexpr u16 kEmX86_64 = 62;
inline constexpr u32 kPtLoad = 1;
inline constexpr u16 kPnXnum = 0xFFFF;  // real e_phnum lives in section 0: never used by kernels
// p_flags bits.
inline constexpr u32 kPfX = 1;
inline constexpr u32 kPfW = 2;
inline constexpr u32 kPfR = 4;

enum class ElfError : u8 {
  NotElf = 1,       // missing \x7F E L F
  BadClass,         // EI_CLASS neither ELFCLASS32 nor ELFCLASS64
  NotLittleEndian,  // EI_DATA != ELFDATA2LSB
  BadVersion,       // EI_VERSION or e_version != EV_CURRENT
  NotExecutable,    // e_type != ET_EXEC
  BadMachine,       // not EM_386 (ELF32) / EM_X86_64 (ELF64)
  Truncated,        // header, program header table or segment data past the end of the file
  BadPhdrTable,     // e_phentsize too small or e_phnum == PN_XNUM
  BadSegment,       // p_filesz > p_memsz, or an address/offset range that wraps
  TooManySegments,  // more than ElfImage::kMaxSegments PT_LOAD entries
  NoSegments,       // no non-empty PT_LOAD entry
};
const char* to_string(ElfError e);

enum class ElfClass : u8 { Elf32 = 32, Elf64 = 64 };

struct LoadSegment {
  u64 paddr;
  u64 vaddr;
  u64 file_offset;
  u64 file_size;  // bytes to copy from the file; file_offset + file_size <= image length
  u64 mem_size;   // >= file_size; the rest is zero-filled (bss)
  u32 flags;      // p_flags (kPfX/kPfW/kPfR)
};

struct ElfImage {
  static constexpr usize kMaxSegments = 16;
  ElfClass elf_class = ElfClass::Elf32;
  u16 machine = 0;
  u64 entry = 0;
  usize segment_count = 0;
  LoadSegment segments[kMaxSegments]{};
};

// Validates the headers and returns the non-empty PT_LOAD segments in program-header order.
// For ELF32 every address range must also fit below 4 GiB (the 32-bit address space).
Result<ElfImage, ElfError> parse_elf(const u8* image, usize len);

}  // namespace tv
