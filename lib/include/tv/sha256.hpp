// SHA-256 (FIPS 180-4), incremental, freestanding: the module-load
// detector's text hash (docs/module-watch.md, "Policy").
#pragma once
#include "tv/types.hpp"

namespace tv {

class Sha256 {
 public:
  static constexpr usize kDigestBytes = 32;
  void update(const void* data, usize len);
  void finish(u8 (&out)[kDigestBytes]);

 private:
  void block(const u8* p);
  u32 h_[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  u8 buf_[64] = {};
  usize used_ = 0;
  u64 total_ = 0;
};

// Lower-case hex of a digest into out (65 bytes with the NUL).
void sha256_hex(const u8 (&digest)[Sha256::kDigestBytes], char (&out)[2 * Sha256::kDigestBytes + 1]);

}  // namespace tv
