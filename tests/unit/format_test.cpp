#include "tv/format.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {
std::string fmt(const char* f, auto... args) {
  char buf[128];
  tv::format(buf, sizeof buf, f, args...);
  return buf;
}
}  // namespace

TEST(Format, Integers) {
  EXPECT_EQ(fmt("%d %i %u", -42, 7, 42u), "-42 7 42");
  EXPECT_EQ(fmt("%x %X", 0xbeefu, 0xbeefu), "beef BEEF");
  EXPECT_EQ(fmt("%lx", 0xffffffff00000000ul), "ffffffff00000000");
  EXPECT_EQ(fmt("%llu", 18446744073709551615ull), "18446744073709551615");
  EXPECT_EQ(fmt("%ld", static_cast<long>(INT64_MIN)), "-9223372036854775808");
  EXPECT_EQ(fmt("%zu", static_cast<size_t>(123)), "123");
}

TEST(Format, WidthAndPadding) {
  EXPECT_EQ(fmt("%016lx", 0x1234ul), "0000000000001234");
  EXPECT_EQ(fmt("%5d|", 42), "   42|");
  EXPECT_EQ(fmt("%-5d|", 42), "42   |");
  EXPECT_EQ(fmt("%05d", -42), "-0042");
  EXPECT_EQ(fmt("%-6s|", "ab"), "ab    |");
}

TEST(Format, StringsCharsPointers) {
  EXPECT_EQ(fmt("%s-%c", "abc", 'z'), "abc-z");
  const char* volatile null_string = nullptr;  // volatile: keep GCC from flagging the deliberate null
  EXPECT_EQ(fmt("%s", null_string), "(null)");
  EXPECT_EQ(fmt("%p", reinterpret_cast<void*>(0x1000)), "0x1000");
  EXPECT_EQ(fmt("100%%"), "100%");
}

TEST(Format, UnknownConversionIsKeptVerbatim) {
  EXPECT_EQ(fmt("a %q b"), "a %q b");
  EXPECT_EQ(fmt("trailing %"), "trailing %");
}

TEST(Format, TruncatesButReportsFullLength) {
  char buf[6];
  EXPECT_EQ(tv::format(buf, sizeof buf, "hello world"), 11u);
  EXPECT_STREQ(buf, "hello");
  EXPECT_EQ(tv::format(buf, 0, "abc"), 3u);
}
