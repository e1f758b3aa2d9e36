#include "tv/str.hpp"

// GCC recognises copy/fill loops and replaces them with calls to memcpy/memset even with
// -ffreestanding. Inside the VMM memcpy may itself be built on mem_copy, so that rewrite could
// recurse forever; glibc uses the same attribute for its own string functions.
#if defined(__GNUC__) && !defined(__clang__)
#define TV_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define TV_NO_LIBCALL
#endif

namespace tv {

usize str_len(const char* s) {
  if (s == nullptr) return 0;
  usize n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

usize str_nlen(const char* s, usize max) {
  if (s == nullptr) return 0;
  usize n = 0;
  while (n < max && s[n] != '\0') ++n;
  return n;
}

bool str_eq(const char* a, const char* b) {
  if (a == nullptr || b == nullptr) return a == b;
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

bool str_starts_with(const char* s, const char* prefix) {
  if (s == nullptr || prefix == nullptr) return false;
  while (*prefix != '\0') {
    if (*s != *prefix) return false;  // also stops at the end of s, since *prefix != '\0'
    ++s;
    ++prefix;
  }
  return true;
}

// The platform's memcpy/memset: libc on the host, and inside the VMM the
// word-at-a-time versions in vmm/kernel/runtime.cpp (which do not use these).
void mem_copy(void* dst, const void* src, usize n) {
  __builtin_memcpy(dst, src, n);
}

void mem_set(void* dst, int value, usize n) {
  __builtin_memset(dst, value, n);
}

TV_NO_LIBCALL int mem_cmp(const void* a, const void* b, usize n) {
  const auto* x = static_cast<const u8*>(a);
  const auto* y = static_cast<const u8*>(b);
  for (usize i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

}  // namespace tv
