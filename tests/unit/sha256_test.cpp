// SHA-256 against the FIPS 180-2 / NIST test vectors.
#include "tv/sha256.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {
using namespace tv;

std::string hash(const std::string& s, size_t chunk = 0) {
  Sha256 h;
  if (chunk == 0) {
    h.update(s.data(), s.size());
  } else {
    for (size_t i = 0; i < s.size(); i += chunk) h.update(s.data() + i, std::min(chunk, s.size() - i));
  }
  u8 d[Sha256::kDigestBytes];
  h.finish(d);
  char hex[2 * Sha256::kDigestBytes + 1];
  sha256_hex(d, hex);
  return hex;
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hash(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, ChunkingDoesNotMatter) {
  const std::string s(1000, 'x');
  const std::string whole = hash(s);
  for (size_t chunk : {1, 7, 63, 64, 65, 4096}) EXPECT_EQ(hash(s, chunk), whole) << chunk;
}

}  // namespace
