// Self-relocation of the VMM: a static PIE whose only dynamic relocations are
// R_X86_64_RELATIVE (System V AMD64 psABI §4.4.1; ELF gABI "Relocation").
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

struct Elf64Rela {  // ELF gABI: Elf64_Rela
  u64 offset;       // r_offset: link-time address of the word to patch
  u64 info;         // r_info: symbol << 32 | type
  i64 addend;       // r_addend
};
static_assert(sizeof(Elf64Rela) == 24);
inline constexpr u32 kRelocX86Relative = 8;  // R_X86_64_RELATIVE: word = load base + addend

enum class RelocError : u8 { UnsupportedType = 1, OutsideImage };
const char* to_string(RelocError e);

// Patches a copy of the image (`size` bytes at `image`, linked at `link_base`)
// so that it runs at `new_base`. Checks every entry before changing anything.
Status<RelocError> apply_relative_relocations(u8* image, u64 size, u64 link_base, u64 new_base, const Elf64Rela* rela,
                                              usize count);

}  // namespace tv
