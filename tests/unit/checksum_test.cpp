#include "tv/checksum.hpp"

#include <gtest/gtest.h>

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
