#include "tv/checksum.hpp"

namespace tv {

u64 fingerprint64(const void* data, usize n, u64 h) {
  const u8* p = static_cast<const u8*>(data);
  usize i = 0;
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
