#include "tv/log_ring.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

std::string held(const tv::LogRing& r) {
  const tv::ByteRing& b = r.bytes();
  std::string s(b.size(), '\0');
  s.resize(b.copy_out(s.data(), s.size()));
  return s;
}

std::string from(const tv::LogRing& r, tv::u64 off) {
  const tv::ByteRing& b = r.bytes();
  std::string s(b.total_written() - off, '\0');
  s.resize(b.copy_from(off, s.data(), s.size()));
  return s;
}

void append(tv::LogRing& r, tv::LogLevel level, tv::u64 tsc, const std::string& s) {
  r.append(level, tsc, s.data(), s.size());
}

}  // namespace

TEST(LogRing, EveryLineGetsTimestampAndLevel) {
  std::vector<char> store(1024);
  tv::LogRing r(store.data(), store.size());
  append(r, tv::LogLevel::Info, 42, "thinvisor: one\n");
  append(r, tv::LogLevel::Error, 1234567, "thinvisor: PANIC: two\n");
  append(r, tv::LogLevel::Warn, 7, "a\nb\n");
  append(r, tv::LogLevel::Debug, 8, "x\n");
  EXPECT_EQ(held(r),
            "[            42  info] thinvisor: one\n"
            "[       1234567 error] thinvisor: PANIC: two\n"
            "[             7  warn] a\n"
            "[             7  warn] b\n"
            "[             8 debug] x\n");
}

TEST(LogRing, AnOpenLineContinuesWithoutANewPrefix) {
  std::vector<char> store(256);
  tv::LogRing r(store.data(), store.size());
  append(r, tv::LogLevel::Info, 1, "part ");
  append(r, tv::LogLevel::Info, 2, "rest\nnext");
  EXPECT_EQ(held(r), "[             1  info] part rest\n[             2  info] next");
}

TEST(LogRing, EmptyRingAndEmptyAppend) {
  std::vector<char> store(64);
  tv::LogRing r(store.data(), store.size());
  append(r, tv::LogLevel::Info, 1, "");
  EXPECT_EQ(r.bytes().size(), 0u);
  EXPECT_EQ(r.bytes().oldest(), 0u);
  EXPECT_EQ(r.tail_start(16), 0u);
}

TEST(LogRing, WrapAroundCountsLostBytesIncludingPrefixes) {
  std::vector<char> store(64);
  tv::LogRing r(store.data(), store.size());
  for (int i = 0; i < 10; ++i) append(r, tv::LogLevel::Info, tv::u64(i), "0123456789\n");  // 34 bytes a line
  EXPECT_EQ(r.bytes().total_written(), 340u);
  EXPECT_EQ(r.bytes().size(), 64u);
  EXPECT_EQ(r.bytes().oldest(), 340u - 64u);
  EXPECT_EQ(held(r).substr(64 - 34), "[             9  info] 0123456789\n");
}

TEST(LogRing, LineLongerThanTheRingLeavesItsEnd) {
  std::vector<char> store(32);
  tv::LogRing r(store.data(), store.size());
  std::string line(100, 'x');
  line += "END\n";
  append(r, tv::LogLevel::Warn, 5, line);
  EXPECT_EQ(r.bytes().size(), 32u);
  EXPECT_EQ(r.bytes().oldest(), 23u + 104u - 32u);  // prefix (23) + line (104), minus what is held
  EXPECT_EQ(held(r), std::string(28, 'x') + "END\n");
  append(r, tv::LogLevel::Info, 6, "ok\n");
  EXPECT_EQ(held(r).substr(32 - 26), "[             6  info] ok\n");
}

TEST(LogRing, TailStartsAtALineBoundary) {
  std::vector<char> store(256);
  tv::LogRing r(store.data(), store.size());
  append(r, tv::LogLevel::Info, 1, "first line\nsecond\nthird\n");
  EXPECT_EQ(r.tail_start(1000), 0u);  // everything fits and nothing was lost
  tv::u64 t = r.tail_start(40);
  EXPECT_EQ(from(r, t), "[             1  info] third\n");
}

TEST(LogRing, TailAfterWrapNeverStartsMidLine) {
  std::vector<char> store(64);
  tv::LogRing r(store.data(), store.size());
  for (int i = 0; i < 5; ++i) append(r, tv::LogLevel::Info, 3, "abcdefghij\n");
  tv::u64 t = r.tail_start(64);  // the window is the whole ring, which starts mid-line
  EXPECT_GT(t, r.bytes().oldest());
  EXPECT_EQ(from(r, t), "[             3  info] abcdefghij\n");
}

TEST(LogRing, TailOfOneHugeLineIsItsEnd) {
  std::vector<char> store(32);
  tv::LogRing r(store.data(), store.size());
  append(r, tv::LogLevel::Info, 3, std::string(200, 'y'));
  EXPECT_EQ(r.tail_start(16), r.bytes().total_written() - 16);
}

TEST(LogSize, AcceptsPowersOfTwoFrom16To1024KiB) {
  EXPECT_EQ(*tv::log_bytes_from_kib(16), 16u * 1024);
  EXPECT_EQ(*tv::log_bytes_from_kib(64), 64u * 1024);
  EXPECT_EQ(*tv::log_bytes_from_kib(1024), 1024u * 1024);
  EXPECT_EQ(tv::log_bytes_from_kib(8).error(), tv::LogSizeError::OutOfRange);
  EXPECT_EQ(tv::log_bytes_from_kib(2048).error(), tv::LogSizeError::OutOfRange);
  EXPECT_EQ(tv::log_bytes_from_kib(0).error(), tv::LogSizeError::OutOfRange);
  EXPECT_EQ(tv::log_bytes_from_kib(100).error(), tv::LogSizeError::NotPowerOfTwo);
  EXPECT_STREQ(tv::to_string(tv::LogSizeError::NotPowerOfTwo), "not a power of two");
  EXPECT_STREQ(tv::to_string(tv::LogLevel::Warn), "warn");
}
