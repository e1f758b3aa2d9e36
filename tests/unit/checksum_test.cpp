#include "tv/checksum.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

TEST(Checksum, MatchesPublishedFnv1aVectors) {
  EXPECT_EQ(tv::fnv1a64(nullptr, 0), 0xcbf29ce484222325ull);
  const tv::u8 a[] = {'a'};
  EXPECT_EQ(tv::fnv1a64(a, 1), 0xaf63dc4c8601ec8cull);
  const tv::u8 foobar[] = {'f', 'o', 'o', 'b', 'a', 'r'};
  EXPECT_EQ(tv::fnv1a64(foobar, 6), 0x85944171f73967e8ull);
}

TEST(Checksum, ChangesWhenOneBitFlips) {
  tv::u8 buf[64] = {};
  auto before = tv::fnv1a64(buf, sizeof buf);
  buf[37] ^= 0x10;
  EXPECT_NE(before, tv::fnv1a64(buf, sizeof buf));
}

TEST(Fingerprint64, EveryByteAndItsPlaceCount) {
  unsigned char buf[67] = {};
  const tv::u64 zero = tv::fingerprint64(buf, sizeof buf);
  for (size_t i = 0; i < sizeof buf; ++i) {  // words and the byte tail alike
    buf[i] = 1;
    EXPECT_NE(tv::fingerprint64(buf, sizeof buf), zero) << "byte " << i;
    buf[i] = 0;
  }
  unsigned char ab[16] = {1}, ba[16] = {};
  ba[8] = 1;
  EXPECT_NE(tv::fingerprint64(ab, 16), tv::fingerprint64(ba, 16));
  EXPECT_NE(tv::fingerprint64(buf, 64), tv::fingerprint64(buf, 65));  // length counts
  EXPECT_EQ(tv::fingerprint64(buf, sizeof buf), zero);                // deterministic
}

namespace {
// fingerprint64 as lib/src/checksum.cpp documents its step, one 8-byte word at
// a time: h = (h ^ w) * prime; h ^= h >> 29 for each little-endian word, then
// h = (h ^ b) * prime for each tail byte, then the murmur3-style finaliser.
// The library unrolls the word loop (four words per round); the results must
// not change.
tv::u64 reference_fingerprint64(const unsigned char* p, size_t n, tv::u64 h = tv::kFnvOffset) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    tv::u64 w = 0;
    for (int k = 0; k < 8; ++k) w |= tv::u64(p[i + k]) << (8 * k);
    h = (h ^ w) * tv::kFnvPrime;
    h ^= h >> 29;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * tv::kFnvPrime;
  h ^= h >> 32;
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 33);
}
}  // namespace

TEST(Fingerprint64, EqualsTheWordByWordReferenceForEveryLengthTo100) {
  unsigned char buf[101 + 7];
  for (size_t i = 0; i < sizeof buf; ++i) buf[i] = static_cast<unsigned char>(i * 37 + 11);
  for (size_t off = 0; off < 8; ++off)  // the data need not be aligned
    for (size_t n = 0; n <= 100; ++n) {
      ASSERT_EQ(tv::fingerprint64(buf + off, n), reference_fingerprint64(buf + off, n)) << "n " << n << " off " << off;
      ASSERT_EQ(tv::fingerprint64(buf + off, n, 0x0123456789abcdefull),
                reference_fingerprint64(buf + off, n, 0x0123456789abcdefull))
          << "n " << n << " off " << off;
    }
}

TEST(Fingerprint64, EqualsTheWordByWordReferenceForRandomBuffers) {
  std::mt19937_64 rng(20261203);
  for (size_t n : {size_t(31), size_t(32), size_t(33), size_t(1000), size_t(4096 + 13), size_t(65536 + 7)}) {
    std::vector<unsigned char> buf(n);
    for (auto& b : buf) b = static_cast<unsigned char>(rng());
    const tv::u64 seed = rng();
    EXPECT_EQ(tv::fingerprint64(buf.data(), n), reference_fingerprint64(buf.data(), n)) << n;
    EXPECT_EQ(tv::fingerprint64(buf.data(), n, seed), reference_fingerprint64(buf.data(), n, seed)) << n;
  }
}
