// The few symbols a freestanding C++ program still needs: the compiler may emit
// calls to memcpy/memset/memmove/memcmp, and pure virtual calls need a target.
#include "kernel/platform.hpp"
#include "tv/types.hpp"

extern "C" {
// Bulk copies move 8 bytes per iteration: the VMM copies the guest kernel at
// start-up, and under QEMU -icount every REP iteration counts as an instruction.
void* memcpy(void* dst, const void* src, tv::usize n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  tv::usize words = n / 8, rest = n % 8;
  asm volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(words)::"memory");
  asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(rest)::"memory");
  return dst;
}
void* memset(void* dst, int c, tv::usize n) {
  auto* d = static_cast<unsigned char*>(dst);
  tv::usize words = n / 8, rest = n % 8;
  tv::u64 pattern = 0x0101010101010101ull * static_cast<unsigned char>(c);
  asm volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
  asm volatile("rep stosb" : "+D"(d), "+c"(rest) : "a"(pattern) : "memory");
  return dst;
}
void* memmove(void* dst, const void* src, tv::usize n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (d < s || d >= s + n) return memcpy(dst, src, n);
  for (tv::usize i = n; i > 0; --i) d[i - 1] = s[i - 1];
  return dst;
}
int memcmp(const void* a, const void* b, tv::usize n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (tv::usize i = 0; i < n; ++i)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}
tv::usize strlen(const char* s) {
  tv::usize n = 0;
  while (s[n] != '\0') ++n;
  return n;
}
void __cxa_pure_virtual() {
  tv::panic("pure virtual function called");
}
int __cxa_atexit(void (*)(void*), void*, void*) {
  return 0;
}  // the VMM never exits normally
void* __dso_handle = nullptr;
}

// Interfaces have no virtual destructors, but keep sized delete defined so a
// stray one links to a clear panic rather than a missing symbol.
void operator delete(void*, tv::usize) noexcept {
  tv::panic("operator delete called in the VMM");
}
void operator delete(void*) noexcept {
  tv::panic("operator delete called in the VMM");
}
