// Builds small ELF executables in memory for unit tests (tests/unit/elf_test.cpp,
// tests/unit/domain_image_test.cpp).
#pragma once
#include <vector>

#include "tv/types.hpp"

namespace tv::elfgen {

template <typename T>
void put(std::vector<u8>& v, usize off, T x) {
  for (usize i = 0; i < sizeof(T); ++i) v[off + i] = static_cast<u8>(static_cast<u64>(x) >> (8 * i));
}

struct Seg {
  u32 type;
  u64 offset, vaddr, paddr, filesz, memsz;
  u32 flags;
};

// Builds a little-endian x86 ELF executable: header, program headers right after it, then
// `payload` bytes of file data.
inline std::vector<u8> make_elf(bool is64, const std::vector<Seg>& segs, usize payload = 0x3000, u64 entry = 0x100000) {
  const usize ehsize = is64 ? 64 : 52;
  const usize phentsize = is64 ? 56 : 32;
  std::vector<u8> v(ehsize + phentsize * segs.size() + payload, 0);
  v[0] = 0x7F;
  v[1] = 'E';
  v[2] = 'L';
  v[3] = 'F';
  v[4] = is64 ? 2 : 1;
  v[5] = 1;            // little-endian
  v[6] = 1;            // EV_CURRENT
  put<u16>(v, 16, 2);  // ET_EXEC
  put<u16>(v, 18, is64 ? 62 : 3);
  put<u32>(v, 20, 1);
  if (is64) {
    put<u64>(v, 24, entry);
    put<u64>(v, 32, ehsize);  // e_phoff
    put<u16>(v, 52, static_cast<u16>(ehsize));
    put<u16>(v, 54, static_cast<u16>(phentsize));
    put<u16>(v, 56, static_cast<u16>(segs.size()));
  } else {
    put<u32>(v, 24, static_cast<u32>(entry));
    put<u32>(v, 28, static_cast<u32>(ehsize));
    put<u16>(v, 40, static_cast<u16>(ehsize));
    put<u16>(v, 42, static_cast<u16>(phentsize));
    put<u16>(v, 44, static_cast<u16>(segs.size()));
  }
  for (usize i = 0; i < segs.size(); ++i) {
    const usize p = ehsize + i * phentsize;
    const Seg& s = segs[i];
    if (is64) {
      put<u32>(v, p + 0, s.type);
      put<u32>(v, p + 4, s.flags);
      put<u64>(v, p + 8, s.offset);
      put<u64>(v, p + 16, s.vaddr);
      put<u64>(v, p + 24, s.paddr);
      put<u64>(v, p + 32, s.filesz);
      put<u64>(v, p + 40, s.memsz);
      put<u64>(v, p + 48, 0x1000);
    } else {
      put<u32>(v, p + 0, s.type);
      put<u32>(v, p + 4, static_cast<u32>(s.offset));
      put<u32>(v, p + 8, static_cast<u32>(s.vaddr));
      put<u32>(v, p + 12, static_cast<u32>(s.paddr));
      put<u32>(v, p + 16, static_cast<u32>(s.filesz));
      put<u32>(v, p + 20, static_cast<u32>(s.memsz));
      put<u32>(v, p + 24, s.flags);
      put<u32>(v, p + 28, 0x1000);
    }
  }
  return v;
}

}  // namespace tv::elfgen
