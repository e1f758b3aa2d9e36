// FNV-1a, 64-bit: a cheap, dependency-free fingerprint for the VMM's
// self-integrity check (not a cryptographic MAC).
#pragma once
#include "tv/types.hpp"

namespace tv {
inline constexpr u64 kFnvOffset = 0xcbf29ce484222325ull;
inline constexpr u64 kFnvPrime = 0x100000001b3ull;
constexpr u64 fnv1a64(const u8* data, usize n, u64 h = kFnvOffset) {
  for (usize i = 0; i < n; ++i) {
    h ^= data[i];
    h *= kFnvPrime;
  }
  return h;
}

// The same idea eight bytes at a time (FNV-1a over 64-bit words, with a
// final mix so every input bit reaches every output bit): ~8x fewer steps for
// the integrity check, which fingerprints tens of KiB at start-up and on
// every request. A tail shorter than a word is taken byte by byte.
u64 fingerprint64(const void* data, usize n, u64 h = kFnvOffset);
}  // namespace tv
