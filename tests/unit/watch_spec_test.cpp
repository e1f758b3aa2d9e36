// The watchpoint syntax shared by the `watch=` VMM option and the shell's `watch`.
#include "tv/watch_spec.hpp"

#include <gtest/gtest.h>

namespace {
using namespace tv;

TEST(WatchSpec, DefaultsAndKinds) {
  auto w = parse_watch_spec("ffffffff81000000");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->addr, 0xFFFFFFFF81000000u);
  EXPECT_EQ(w->type, BpType::Execute);
  EXPECT_EQ(w->len, 1);
  w = parse_watch_spec("0x4c1000,w");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->addr, 0x4C1000u);
  EXPECT_EQ(w->type, BpType::Write);
  EXPECT_EQ(w->len, 8);
  w = parse_watch_spec("  0X4c1000 rw 4 ");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->type, BpType::ReadWrite);
  EXPECT_EQ(w->len, 4);
  w = parse_watch_spec("10,x,1");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->addr, 0x10u);
}

TEST(WatchSpec, RefusesWhatItCannotRead) {
  EXPECT_EQ(parse_watch_spec("").error(), WatchSpecError::BadAddress);
  EXPECT_EQ(parse_watch_spec("0x").error(), WatchSpecError::BadAddress);
  EXPECT_EQ(parse_watch_spec("12g4").error(), WatchSpecError::BadAddress);
  EXPECT_EQ(parse_watch_spec("11112222333344445").error(), WatchSpecError::BadAddress);  // 17 digits
  EXPECT_EQ(parse_watch_spec("1000,r").error(), WatchSpecError::BadKind);
  EXPECT_EQ(parse_watch_spec("1000,wx").error(), WatchSpecError::BadKind);
  EXPECT_EQ(parse_watch_spec("1000,w,3").error(), WatchSpecError::BadLength);
  EXPECT_EQ(parse_watch_spec("1000,w,16").error(), WatchSpecError::BadLength);
  EXPECT_EQ(parse_watch_spec("1000,w,4,junk").error(), WatchSpecError::TrailingText);
}

}  // namespace
