#include "tv/ring_buffer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

std::string held(const tv::ByteRing& r) {
  std::string s(r.size(), '\0');
  s.resize(r.copy_out(s.data(), s.size()));
  return s;
}

}  // namespace

TEST(ByteRing, EmptyRingHoldsNothing) {
  char store[8];
  tv::ByteRing r(store, sizeof store);
  char out[8];
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.oldest(), 0u);
  EXPECT_EQ(r.copy_out(out, sizeof out), 0u);
  EXPECT_EQ(r.copy_from(0, out, sizeof out), 0u);
}

// Until full the ring keeps everything; then the oldest bytes go, and a
// write longer than the ring leaves its tail. oldest() counts what was lost.
TEST(ByteRing, KeepsTheNewestBytesAndCountsTheLoss) {
  const struct {
    tv::usize capacity;
    std::string input, held;
    tv::u64 oldest;
  } kCases[] = {
      {8, "abc", "abc", 0},
      {8, "0123456789", "23456789", 2},
      {4, "abcdefghij", "ghij", 6},
  };
  for (const auto& c : kCases) {
    std::string store(c.capacity, '\0');
    tv::ByteRing r(store.data(), c.capacity);
    r.write(c.input.data(), c.input.size());
    EXPECT_EQ(held(r), c.held) << c.input;
    EXPECT_EQ(r.size(), c.held.size()) << c.input;
    EXPECT_EQ(r.total_written(), c.input.size()) << c.input;
    EXPECT_EQ(r.oldest(), c.oldest) << c.input;
  }
}

TEST(ByteRing, CopyOutHonoursSkipAndCapacity) {
  char store[8];
  tv::ByteRing r(store, sizeof store);
  r.write("abcdef", 6);
  char out[3];
  ASSERT_EQ(r.copy_out(out, sizeof out, 2), 3u);
  EXPECT_EQ(std::string(out, 3), "cde");
  EXPECT_EQ(r.copy_out(out, sizeof out, 6), 0u);
  EXPECT_EQ(r.copy_out(out, sizeof out, 100), 0u);
}

TEST(ByteRing, CopyFromPagesByStreamOffset) {
  char store[8];
  tv::ByteRing r(store, sizeof store);
  r.write("0123456789AB", 12);  // holds offsets 4..11
  char out[3];
  EXPECT_EQ(r.copy_from(3, out, sizeof out), 0u);  // overwritten
  std::string all;
  for (tv::u64 o = r.oldest(); o < r.total_written();) {
    tv::usize n = r.copy_from(o, out, sizeof out);
    ASSERT_GT(n, 0u);
    all.append(out, n);
    o += n;
  }
  EXPECT_EQ(all, "456789AB");
  EXPECT_EQ(r.copy_from(12, out, sizeof out), 0u);  // the end
}

TEST(ByteRing, MoveToLargerStorageKeepsOffsets) {
  char small[4], big[16];
  tv::ByteRing r(small, sizeof small);
  r.write("abcdef", 6);
  ASSERT_TRUE(r.move_to(big, sizeof big));
  EXPECT_EQ(r.capacity(), 16u);
  EXPECT_EQ(held(r), "cdef");
  EXPECT_EQ(r.oldest(), 2u);
  r.write("ghij", 4);
  EXPECT_EQ(held(r), "cdefghij");
}

TEST(ByteRing, ShrinkInPlaceKeepsTheNewestBytes) {
  for (tv::usize written : {0u, 3u, 8u, 13u, 16u, 21u, 37u}) {
    char store[16];
    tv::ByteRing r(store, sizeof store);
    std::string text;
    for (tv::usize i = 0; i < written; ++i) text += char('a' + i % 26);
    r.write(text.data(), text.size());
    ASSERT_TRUE(r.move_to(store, 4));
    std::string want = text.size() > 4 ? text.substr(text.size() - 4) : text;
    EXPECT_EQ(held(r), want) << written;
    EXPECT_EQ(r.total_written(), written);
    r.write("XY", 2);  // still maps offsets to the right slots
    want = (want + "XY");
    EXPECT_EQ(held(r), want.substr(want.size() > 4 ? want.size() - 4 : 0)) << written;
  }
}

TEST(ByteRing, MoveRefusesBadCapacities) {
  char store[8], other[6];
  tv::ByteRing r(store, sizeof store);
  r.write("abc", 3);
  EXPECT_FALSE(r.move_to(other, sizeof other));  // not a power of two
  EXPECT_FALSE(r.move_to(store, 16));            // growing in place would overrun
  EXPECT_EQ(r.capacity(), 8u);
  EXPECT_EQ(held(r), "abc");
}
