// The domain programs embedded in the VMM image (domains/CMakeLists.txt).
// The build generates domain_programs.S, which .incbin's each stripped
// program ELF into .rodata and puts one DomainProgram per program in section
// .tv_domain_programs; the linker script brackets that section with
// __domain_programs_start/__domain_programs_end.
#pragma once
#include "tv/types.hpp"

namespace tv {

struct alignas(32) DomainProgram {
  const char* name;  // the name newprocess() takes, e.g. "echo"
  const u8* image;   // the ELF file, 16-byte aligned
  u64 size;          // bytes of image
  u64 reserved;      // 0 (room for a per-program stack size, as BitVisor's table has)
};
static_assert(sizeof(DomainProgram) == 32 && alignof(DomainProgram) == 32);

// nullptr if no program has this name.
const DomainProgram* find_domain_program(const char* name);
usize domain_program_count();
// Programs in build order; nullptr past the end.
const DomainProgram* domain_program_at(usize i);

}  // namespace tv
