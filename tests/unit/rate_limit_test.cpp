#include "tv/rate_limit.hpp"

#include <gtest/gtest.h>

TEST(RateLimiter, LetsABurstThroughThenHoldsBack) {
  tv::RateLimiter rl(3, 100);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(rl.check(0).allow);
  EXPECT_FALSE(rl.check(1).allow);
  EXPECT_FALSE(rl.check(50).allow);
}

TEST(RateLimiter, RefillsOnePerIntervalAndReportsWhatItHeldBack) {
  tv::RateLimiter rl(2, 100);
  EXPECT_TRUE(rl.check(0).allow);
  EXPECT_TRUE(rl.check(0).allow);
  EXPECT_FALSE(rl.check(10).allow);
  EXPECT_FALSE(rl.check(20).allow);
  auto v = rl.check(100);
  EXPECT_TRUE(v.allow);
  EXPECT_EQ(v.suppressed_before, 2u);
  EXPECT_FALSE(rl.check(150).allow);
  auto w = rl.check(1000);  // long quiet: the bucket refills, but never beyond the burst
  EXPECT_TRUE(w.allow);
  EXPECT_EQ(w.suppressed_before, 1u);
  EXPECT_TRUE(rl.check(1000).allow);
  EXPECT_FALSE(rl.check(1000).allow);
}

TEST(RateLimiter, ToleratesAClockThatDoesNotMove) {
  tv::RateLimiter rl(1, 100);
  EXPECT_TRUE(rl.check(500).allow);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(rl.check(500).allow);
  auto v = rl.check(600);
  EXPECT_TRUE(v.allow);
  EXPECT_EQ(v.suppressed_before, 1000u);
}
