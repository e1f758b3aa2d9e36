// Thin wrappers over privileged x86 instructions. Nothing here has policy.
#pragma once
#include "tv/types.hpp"

namespace tv::x86 {

inline void outb(u16 port, u8 v) {
  asm volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
inline void outw(u16 port, u16 v) {
  asm volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
inline void outl(u16 port, u32 v) {
  asm volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
inline u8 inb(u16 port) {
  u8 v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline u16 inw(u16 port) {
  u16 v;
  asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline u32 inl(u16 port) {
  u32 v;
  asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
// An IN or OUT of `size` bytes (1, 2 or 4), as a guest's intercepted one was.
inline u32 port_in(u16 port, u8 size) {
  return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}
inline void port_out(u16 port, u8 size, u32 v) {
  if (size == 1)
    outb(port, u8(v));
  else if (size == 2)
    outw(port, u16(v));
  else
    outl(port, v);
}
// The bits of RAX an access of `size` bytes reads or writes.
inline u64 io_size_mask(u8 size) {
  return size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFF;
}

inline u64 rdmsr(u32 msr) {
  u32 lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (u64(hi) << 32) | lo;
}
inline void wrmsr(u32 msr, u64 v) {
  asm volatile("wrmsr" ::"c"(msr), "a"(u32(v)), "d"(u32(v >> 32)));
}

struct CpuidResult {
  u32 eax, ebx, ecx, edx;
};
inline CpuidResult cpuid(u32 leaf, u32 subleaf = 0) {
  CpuidResult r;
  asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
  return r;
}

inline u64 rdtsc() {
  u32 lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (u64(hi) << 32) | lo;
}

#define TV_CR_ACCESSORS(n)                               \
  inline u64 read_cr##n() {                              \
    u64 v;                                               \
    asm volatile("mov %%cr" #n ", %0" : "=r"(v));        \
    return v;                                            \
  }                                                      \
  inline void write_cr##n(u64 v) {                       \
    asm volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); \
  }
TV_CR_ACCESSORS(0)
TV_CR_ACCESSORS(2)
TV_CR_ACCESSORS(3)
TV_CR_ACCESSORS(4)
#undef TV_CR_ACCESSORS

// MOV to DR0-DR3 (the guest's breakpoint addresses; only safe while DR7 is off).
inline void write_dr(u8 n, u64 v) {
  switch (n & 3) {
    case 0: asm volatile("mov %0, %%dr0" ::"r"(v)); break;
    case 1: asm volatile("mov %0, %%dr1" ::"r"(v)); break;
    case 2: asm volatile("mov %0, %%dr2" ::"r"(v)); break;
    default: asm volatile("mov %0, %%dr3" ::"r"(v)); break;
  }
}
inline u64 read_dr7() {
  u64 v;
  asm volatile("mov %%dr7, %0" : "=r"(v));
  return v;
}

[[noreturn]] inline void halt_forever() {
  for (;;) asm volatile("cli; hlt");
}

inline void invlpg_all() {
  write_cr3(read_cr3());
}

}  // namespace tv::x86
