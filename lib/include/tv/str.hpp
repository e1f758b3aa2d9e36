// Tiny freestanding string/memory helpers shared by lib/ and the VMM.
// lib/ is also built -ffreestanding without libc, so we cannot use <cstring>; these are
// deliberately plain loops (see str.cpp for why the compiler must not turn them into
// memcpy/memset calls).
#pragma once
#include "tv/types.hpp"

namespace tv {

// Length of a NUL-terminated string. nullptr counts as "" so callers need no special case.
usize str_len(const char* s);
// Length of s, but never looks at more than max bytes (for untrusted, possibly unterminated input).
usize str_nlen(const char* s, usize max);
// Exact equality of two NUL-terminated strings; nullptr only equals nullptr.
bool str_eq(const char* a, const char* b);
// True if s begins with prefix ("" is a prefix of everything); false if either is nullptr.
bool str_starts_with(const char* s, const char* prefix);
// The value of one hex digit (either case), or -1.
constexpr int hex_digit_value(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

// Same contract as memcpy: the ranges must not overlap.
void mem_copy(void* dst, const void* src, usize n);
void mem_set(void* dst, int value, usize n);
// <0, 0, >0 like memcmp (bytes compared as unsigned).
int mem_cmp(const void* a, const void* b, usize n);

// Little-endian loads/stores of unaligned fields in untrusted byte buffers. Byte-wise so they
// are alignment- and aliasing-safe; callers must bounds-check before calling.
inline u16 load_le16(const u8* p) {
  return static_cast<u16>(p[0] | (p[1] << 8));
}
inline u32 load_le32(const u8* p) {
  return static_cast<u32>(p[0]) | (static_cast<u32>(p[1]) << 8) | (static_cast<u32>(p[2]) << 16) |
         (static_cast<u32>(p[3]) << 24);
}
inline u64 load_le64(const u8* p) {
  return static_cast<u64>(load_le32(p)) | (static_cast<u64>(load_le32(p + 4)) << 32);
}
inline void store_le16(u8* p, u16 v) {
  p[0] = static_cast<u8>(v);
  p[1] = static_cast<u8>(v >> 8);
}
inline void store_le32(u8* p, u32 v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<u8>(v >> (8 * i));
}
inline void store_le64(u8* p, u64 v) {
  store_le32(p, static_cast<u32>(v));
  store_le32(p + 4, static_cast<u32>(v >> 32));
}

}  // namespace tv
