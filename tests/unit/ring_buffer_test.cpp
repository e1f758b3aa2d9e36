#include "tv/ring_buffer.hpp"

#include <gtest/gtest.h>

#include <string>

TEST(ByteRing, KeepsEverythingUntilFull) {
  tv::ByteRing<8> r;
  r.write("abc", 3);
  char out[8];
  ASSERT_EQ(r.copy_out(out, sizeof out), 3u);
  EXPECT_EQ(std::string(out, 3), "abc");
  EXPECT_EQ(r.total_written(), 3u);
}

TEST(ByteRing, OverwritesOldestWhenFull) {
  tv::ByteRing<8> r;
  r.write("0123456789", 10);
  char out[8];
  ASSERT_EQ(r.copy_out(out, sizeof out), 8u);
  EXPECT_EQ(std::string(out, 8), "23456789");
  EXPECT_EQ(r.size(), 8u);
  EXPECT_EQ(r.total_written(), 10u);
}

TEST(ByteRing, CopyOutHonoursSkipAndCapacity) {
  tv::ByteRing<8> r;
  r.write("abcdef", 6);
  char out[3];
  ASSERT_EQ(r.copy_out(out, sizeof out, 2), 3u);
  EXPECT_EQ(std::string(out, 3), "cde");
  EXPECT_EQ(r.copy_out(out, sizeof out, 6), 0u);
  EXPECT_EQ(r.copy_out(out, sizeof out, 100), 0u);
}
