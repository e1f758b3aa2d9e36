#include "tv/cmdline.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tv/str.hpp"

namespace tv {
namespace {

Result<Cmdline, CmdlineError> parse(const std::string& s) {
  return Cmdline::parse(s.data(), s.size());
}

TEST(Cmdline, Empty) {
  for (const char* s : {"", "   ", "\t \n"}) {
    auto r = Cmdline::parse(s, str_len(s));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->option_count(), 0u);
    EXPECT_STREQ(r->guest_cmdline(), "");
    EXPECT_FALSE(r->has_guest_cmdline());
    EXPECT_FALSE(r->has("x"));
    EXPECT_EQ(r->get("x"), nullptr);
  }
  auto r = Cmdline::parse(nullptr, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->option_count(), 0u);
}

TEST(Cmdline, BareKeysAndValues) {
  auto r = parse("/boot/thinvisor.elf serial=0x3f8  debug\tmem=512M log=");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->option_count(), 5u);
  EXPECT_TRUE(r->has("/boot/thinvisor.elf"));
  EXPECT_STREQ(r->get("serial"), "0x3f8");
  EXPECT_STREQ(r->get("debug"), "");
  EXPECT_STREQ(r->get("mem"), "512M");
  EXPECT_STREQ(r->get("log"), "");
  EXPECT_TRUE(r->has("log"));
  EXPECT_FALSE(r->has("deb"));
  EXPECT_FALSE(r->has("debugx"));
  EXPECT_EQ(r->get("nope"), nullptr);
  EXPECT_EQ(r->get(nullptr), nullptr);
  EXPECT_STREQ(r->key_at(1), "serial");
  EXPECT_STREQ(r->value_at(1), "0x3f8");
}

TEST(Cmdline, ValueMayContainEquals) {
  auto r = parse("root=UUID=1234-abcd a==b");
  ASSERT_TRUE(r.ok());
  EXPECT_STREQ(r->get("root"), "UUID=1234-abcd");
  EXPECT_STREQ(r->get("a"), "=b");
}

TEST(Cmdline, LastOccurrenceWins) {
  auto r = parse("x=1 y x=2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->option_count(), 3u);
  EXPECT_STREQ(r->get("x"), "2");
}

TEST(Cmdline, Quotes) {
  auto r = parse(R"(name="hello world" empty="" "spaced key"=v mid=a"b c"d)");
  ASSERT_TRUE(r.ok());
  EXPECT_STREQ(r->get("name"), "hello world");
  EXPECT_STREQ(r->get("empty"), "");
  EXPECT_TRUE(r->has("empty"));
  EXPECT_STREQ(r->get("spaced key"), "v");
  EXPECT_STREQ(r->get("mid"), "ab cd");
  // An '=' inside quotes does not split.
  auto r2 = parse(R"(k="a=b"=c)");
  ASSERT_TRUE(r2.ok());
  EXPECT_STREQ(r2->get("k"), "a=b=c");
  auto r3 = parse(R"("k=v")");
  ASSERT_TRUE(r3.ok());
  EXPECT_TRUE(r3->has("k=v"));
  EXPECT_FALSE(r3->has("k"));
}

TEST(Cmdline, GuestPart) {
  auto r = parse("serial=0x3f8 --    console=ttyS0  root=/dev/vda quiet=\"x y\" -- more  ");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->option_count(), 1u);
  EXPECT_TRUE(r->has_guest_cmdline());
  // Verbatim: inner spacing, quotes, a second "--" and trailing blanks all preserved.
  EXPECT_STREQ(r->guest_cmdline(), "console=ttyS0  root=/dev/vda quiet=\"x y\" -- more  ");
  EXPECT_FALSE(r->has("console"));
}

TEST(Cmdline, GuestPartEdgeCases) {
  {
    auto r = parse("-- a b");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->option_count(), 0u);
    EXPECT_STREQ(r->guest_cmdline(), "a b");
  }
  {
    auto r = parse("x --");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->has_guest_cmdline());
    EXPECT_STREQ(r->guest_cmdline(), "");
  }
  {
    // "--x" and "x--" are ordinary options, not the separator.
    auto r = parse("--x x-- y=--");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->option_count(), 3u);
    EXPECT_TRUE(r->has("--x"));
    EXPECT_TRUE(r->has("x--"));
    EXPECT_STREQ(r->get("y"), "--");
    EXPECT_FALSE(r->has_guest_cmdline());
  }
  {
    // An unbalanced quote in the guest part is the guest's business.
    auto r = parse("a -- init=\"/bin/sh");
    ASSERT_TRUE(r.ok());
    EXPECT_STREQ(r->guest_cmdline(), "init=\"/bin/sh");
  }
}

TEST(Cmdline, StopsAtNulAndLen) {
  const char s[] = "a=1 b=2\0c=3";
  auto r = Cmdline::parse(s, sizeof s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->option_count(), 2u);
  EXPECT_FALSE(r->has("c"));
  // len cuts the string short without a NUL.
  auto r2 = Cmdline::parse("abc=123456", 6);
  ASSERT_TRUE(r2.ok());
  EXPECT_STREQ(r2->get("abc"), "12");
}

TEST(Cmdline, CopiesSurviveResultCopy) {
  auto r = parse("k=v -- guest");
  ASSERT_TRUE(r.ok());
  Cmdline copy = *r;
  r = parse("other=thing");
  EXPECT_STREQ(copy.get("k"), "v");
  EXPECT_STREQ(copy.guest_cmdline(), "guest");
}

TEST(Cmdline, Numbers) {
  auto r = parse("a=42 b=0x3f8 c=0XFFff d=512M e=4k f=2G g=0x10K h=0 i=18446744073709551615 j=16m bare");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->get_u64("a", 0), 42u);
  EXPECT_EQ(*r->get_u64("b", 0), 0x3f8u);
  EXPECT_EQ(*r->get_u64("c", 0), 0xffffu);
  EXPECT_EQ(*r->get_u64("d", 0), 512u * MiB);
  EXPECT_EQ(*r->get_u64("e", 0), 4096u);
  EXPECT_EQ(*r->get_u64("f", 0), 2u * GiB);
  EXPECT_EQ(*r->get_u64("g", 0), 0x4000u);
  EXPECT_EQ(*r->get_u64("h", 7), 0u);
  EXPECT_EQ(*r->get_u64("i", 0), ~u64{0});
  EXPECT_EQ(*r->get_u64("j", 0), 16u * MiB);
  EXPECT_EQ(*r->get_u64("absent", 1234), 1234u);
  EXPECT_EQ(r->get_u64("bare", 0).error(), CmdlineError::BadNumber);
}

TEST(Cmdline, BadNumbers) {
  auto r = parse(
      "a=12x b=0x c=-1 d=+1 e=1MB f=K g=0xg h=1.5 i=\" 1\" j=0b101 k=18446744073709551616 "
      "l=0x10000000000000000 m=17179869184G n=0x4000000000000M");
  ASSERT_TRUE(r.ok());
  for (const char* k : {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}) {
    EXPECT_EQ(r->get_u64(k, 0).error(), CmdlineError::BadNumber) << k;
  }
  for (const char* k : {"k", "l", "m", "n"}) {
    EXPECT_EQ(r->get_u64(k, 0).error(), CmdlineError::NumberOverflow) << k;
  }
  // Largest values that still fit after the shift.
  auto ok = parse("g=17179869183G m=0x3FFFFFFFFFFM");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok->get_u64("g", 0), 17179869183ull << 30);
  EXPECT_EQ(*ok->get_u64("m", 0), 0x3FFFFFFFFFFull << 20);
}

TEST(Cmdline, Errors) {
  EXPECT_EQ(parse("a=\"unterminated").error(), CmdlineError::UnterminatedQuote);
  EXPECT_EQ(parse("\"a").error(), CmdlineError::UnterminatedQuote);
  EXPECT_EQ(parse("x=\"a\" y=\"b").error(), CmdlineError::UnterminatedQuote);
  EXPECT_EQ(parse("=value").error(), CmdlineError::EmptyKey);
  EXPECT_EQ(parse("a=1 =").error(), CmdlineError::EmptyKey);
  EXPECT_EQ(parse("\"\"").error(), CmdlineError::EmptyKey);
  EXPECT_EQ(parse("\"\"=v").error(), CmdlineError::EmptyKey);
}

TEST(Cmdline, TooManyOptions) {
  std::string s;
  for (usize i = 0; i < Cmdline::kMaxOptions; ++i) s += "o" + std::to_string(i) + " ";
  auto r = parse(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->option_count(), Cmdline::kMaxOptions);
  EXPECT_TRUE(r->has("o31"));
  // The guest part does not count as an option.
  EXPECT_TRUE(parse(s + "-- a b c").ok());
  EXPECT_EQ(parse(s + "extra").error(), CmdlineError::TooManyOptions);
}

TEST(Cmdline, TooLong) {
  // Storage holds kStorage bytes including each string's NUL and the shared "" at offset 0.
  const std::string fits(Cmdline::kStorage - 2, 'k');  // 1 (shared "") + 4094 + NUL = 4096
  auto r = parse(fits);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->has(fits.c_str()));
  EXPECT_EQ(parse(fits + "k").error(), CmdlineError::TooLong);

  const std::string guest(Cmdline::kStorage - 2, 'g');
  auto g = parse("-- " + guest);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(str_len(g->guest_cmdline()), guest.size());
  EXPECT_EQ(parse("-- " + guest + "g").error(), CmdlineError::TooLong);

  // A key/value pair costs both NULs: 1 (shared "") + "a\0" + value + NUL.
  EXPECT_EQ(parse("a=" + std::string(Cmdline::kStorage - 3, 'v')).error(), CmdlineError::TooLong);
  EXPECT_TRUE(parse("a=" + std::string(Cmdline::kStorage - 4, 'v')).ok());
  // Blanks between tokens are free.
  EXPECT_TRUE(parse(std::string(10000, ' ') + "a=b").ok());
}

TEST(Cmdline, ErrorStringsDistinct) {
  for (int a = 1; a <= static_cast<int>(CmdlineError::EmptyKey); ++a) {
    for (int b = a + 1; b <= static_cast<int>(CmdlineError::EmptyKey); ++b) {
      EXPECT_STRNE(to_string(static_cast<CmdlineError>(a)), to_string(static_cast<CmdlineError>(b)));
    }
  }
}

// --- str.hpp ---

TEST(Str, Lengths) {
  EXPECT_EQ(str_len(""), 0u);
  EXPECT_EQ(str_len("abc"), 3u);
  EXPECT_EQ(str_len(nullptr), 0u);
  EXPECT_EQ(str_nlen("abcdef", 3), 3u);
  EXPECT_EQ(str_nlen("ab", 10), 2u);
  EXPECT_EQ(str_nlen("ab", 0), 0u);
  EXPECT_EQ(str_nlen(nullptr, 5), 0u);
  const char unterminated[4] = {'a', 'b', 'c', 'd'};
  EXPECT_EQ(str_nlen(unterminated, sizeof unterminated), 4u);
}

TEST(Str, Compare) {
  EXPECT_TRUE(str_eq("", ""));
  EXPECT_TRUE(str_eq("abc", "abc"));
  EXPECT_FALSE(str_eq("abc", "abd"));
  EXPECT_FALSE(str_eq("abc", "ab"));
  EXPECT_FALSE(str_eq("ab", "abc"));
  EXPECT_TRUE(str_eq(nullptr, nullptr));
  EXPECT_FALSE(str_eq("", nullptr));
  EXPECT_TRUE(str_starts_with("console=ttyS0", "console="));
  EXPECT_TRUE(str_starts_with("abc", ""));
  EXPECT_TRUE(str_starts_with("abc", "abc"));
  EXPECT_FALSE(str_starts_with("ab", "abc"));
  EXPECT_FALSE(str_starts_with("abc", "b"));
  EXPECT_FALSE(str_starts_with(nullptr, ""));
}

TEST(Str, Memory) {
  u8 a[16];
  u8 b[16];
  mem_set(a, 0x5A, sizeof a);
  for (u8 x : a) EXPECT_EQ(x, 0x5A);
  mem_set(a, 0x1FF, 1);  // only the low byte counts, like memset
  EXPECT_EQ(a[0], 0xFF);
  for (int i = 0; i < 16; ++i) b[i] = static_cast<u8>(i);
  mem_copy(a, b, sizeof a);
  EXPECT_EQ(mem_cmp(a, b, sizeof a), 0);
  a[7] = 0x80;  // unsigned comparison: 0x80 > 7
  EXPECT_GT(mem_cmp(a, b, sizeof a), 0);
  EXPECT_LT(mem_cmp(b, a, sizeof a), 0);
  EXPECT_EQ(mem_cmp(a, b, 7), 0);
  mem_copy(a, b, 0);
  mem_set(a, 0, 0);
  EXPECT_EQ(mem_cmp(a, b, 0), 0);
}

TEST(Str, LittleEndian) {
  u8 buf[8];
  store_le64(buf, 0x0123456789ABCDEFull);
  EXPECT_EQ(buf[0], 0xEF);
  EXPECT_EQ(buf[7], 0x01);
  EXPECT_EQ(load_le64(buf), 0x0123456789ABCDEFull);
  EXPECT_EQ(load_le32(buf + 1), 0x6789ABCDu);
  EXPECT_EQ(load_le16(buf + 6), 0x0123u);
  store_le16(buf, 0xBEEF);
  store_le32(buf + 2, 0xDEADC0DE);
  EXPECT_EQ(load_le16(buf), 0xBEEFu);
  EXPECT_EQ(load_le32(buf + 2), 0xDEADC0DEu);
}

}  // namespace
}  // namespace tv
