#include "tv/range_set.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

using namespace tv;

TEST(RangeSet, AddKeepsRangesSortedAndMergesTouchingOnes) {
  RangeSet s;
  s.add({0x100000, 0x1000});
  s.add({0x0, 0x1000});
  s.add({0x1000, 0x1000});  // touches the first: merged
  s.add({0x200000, 0x1000});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.at(0).base, 0u);
  EXPECT_EQ(s.at(0).size, 0x2000u);
  EXPECT_EQ(s.at(1).base, 0x100000u);
  EXPECT_EQ(s.at(2).base, 0x200000u);
  s.add({0x800, 0x200000});  // swallows the first two and touches the third
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s.at(0).base, 0u);
  EXPECT_EQ(s.at(0).end(), 0x201000u);
}

TEST(RangeSet, ContainsNeedsTheWholeRangeInsideOneEntry) {
  RangeSet s;
  s.add({0x1000, 0x1000});
  s.add({0x3000, 0x1000});
  EXPECT_TRUE(s.contains(0x1000, 0x1000));
  EXPECT_TRUE(s.contains(0x3ff8, 8));
  EXPECT_FALSE(s.contains(0x1ff8, 16));  // runs into the hole
  EXPECT_FALSE(s.contains(0x2000, 1));
  EXPECT_FALSE(s.contains(~0ull - 4, 16));  // wraps
  EXPECT_TRUE(s.contains(0x3800, 0));
  EXPECT_FALSE(s.contains(0x2800, 0));
  // The last-hit cache never answers for a different range.
  EXPECT_TRUE(s.contains(0x3000, 8));
  EXPECT_FALSE(s.contains(0x2ff8, 16));
}

TEST(RangeSet, RemoveSplitsAndTrims) {
  RangeSet s;
  s.add({0, 0x10000});
  s.remove({0x4000, 0x2000});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_FALSE(s.contains(0x4000, 1));
  EXPECT_FALSE(s.contains(0x5fff, 1));
  EXPECT_TRUE(s.contains(0x3fff, 1));
  EXPECT_TRUE(s.contains(0x6000, 1));
  s.remove({0, 0x1000});
  EXPECT_FALSE(s.contains(0, 1));
  s.remove({0x8000, ~0ull - 0x8000});
  EXPECT_FALSE(s.contains(0x8000, 1));
  EXPECT_TRUE(s.contains(0x7fff, 1));
}

TEST(RangeSet, WhenFullANewRangeIsDroppedNeverInvented) {
  RangeSet s;
  for (u64 i = 0; i < RangeSet::kMax; ++i) s.add({i * 0x10000, 0x1000});
  ASSERT_EQ(s.size(), RangeSet::kMax);
  s.add({0x7000000, 0x1000});
  EXPECT_FALSE(s.contains(0x7000000, 1));
  s.add({0x1000, 0x1000});  // merges with an existing one: still fine when full
  EXPECT_TRUE(s.contains(0x1800, 8));
}

// Against a page-granular model: random adds and removes agree with a set of pages.
TEST(RangeSet, AgreesWithAPageModel) {
  std::mt19937_64 rng(7);
  RangeSet s;
  std::set<u64> pages;
  for (int step = 0; step < 2000; ++step) {
    u64 base = (rng() % 256) * 0x1000, size = (1 + rng() % 8) * 0x1000;
    if (rng() % 3 == 0) {
      s.remove({base, size});
      for (u64 p = base; p < base + size; p += 0x1000) pages.erase(p);
    } else {
      s.add({base, size});
      for (u64 p = base; p < base + size; p += 0x1000) pages.insert(p);
    }
    for (usize i = 1; i < s.size(); ++i) ASSERT_LT(s.at(i - 1).end(), s.at(i).base);  // sorted, disjoint, apart
    for (u64 p = 0; p < 0x110000; p += 0x1000) ASSERT_EQ(s.contains(p, 0x1000), pages.count(p) == 1) << p;
  }
}
