#include "tv/checksum.hpp"

namespace tv {

u64 fingerprint64(const void* data, usize n, u64 h) {
  const u8* p = static_cast<const u8*>(data);
  usize i = 0;
  // Four words per round, each through the same step: the VMM fingerprints
  // ~0.5 MiB at every start-up, and the unrolled loop costs a quarter fewer
  // instructions (it is counted under -icount: bench vmm_startup).
  for (; i + 32 <= n; i += 32) {
    u64 w0, w1, w2, w3;
    __builtin_memcpy(&w0, p + i, 8);
    __builtin_memcpy(&w1, p + i + 8, 8);
    __builtin_memcpy(&w2, p + i + 16, 8);
    __builtin_memcpy(&w3, p + i + 24, 8);
    h = (h ^ w0) * kFnvPrime;
    h ^= h >> 29;
    h = (h ^ w1) * kFnvPrime;
    h ^= h >> 29;
    h = (h ^ w2) * kFnvPrime;
    h ^= h >> 29;
    h = (h ^ w3) * kFnvPrime;
    h ^= h >> 29;
  }
  for (; i + 8 <= n; i += 8) {
    u64 w;
    __builtin_memcpy(&w, p + i, 8);
    h = (h ^ w) * kFnvPrime;
    h ^= h >> 29;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * kFnvPrime;
  h ^= h >> 32;
  h *= 0xff51afd7ed558ccdull;  // murmur3's finaliser constant
  return h ^ (h >> 33);
}

}  // namespace tv
