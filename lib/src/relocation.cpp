#include "tv/relocation.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(RelocError e) {
  switch (e) {
    case RelocError::UnsupportedType: return "a relocation other than R_X86_64_RELATIVE";
    case RelocError::OutsideImage: return "a relocation outside the image";
  }
  return "unknown relocation error";
}

Status<RelocError> apply_relative_relocations(u8* image, u64 size, u64 link_base, u64 new_base, const Elf64Rela* rela,
                                              usize count) {
  // Two passes, so a bad entry late in the table leaves the copy untouched.
  for (usize i = 0; i < count; ++i) {
    if (u32(rela[i].info) != kRelocX86Relative) return Err{RelocError::UnsupportedType};
    if (rela[i].offset < link_base || rela[i].offset - link_base > size - 8 || size < 8)
      return Err{RelocError::OutsideImage};
  }
  for (usize i = 0; i < count; ++i) {
    u64 value = new_base + u64(rela[i].addend) - link_base;
    mem_copy(image + (rela[i].offset - link_base), &value, 8);
  }
  return Ok{};
}

}  // namespace tv
