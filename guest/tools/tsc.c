// tsc: print the guest's time-stamp counter (rdtsc) in decimal. Used with
// QEMU -icount to measure the guest-visible cost of booting.
#include <stdint.h>
#include <stdio.h>

static inline uint64_t read_tsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
  return ((uint64_t)hi << 32) | lo;
}

int main(void) {
  printf("%llu\n", (unsigned long long)read_tsc());
  return 0;
}
