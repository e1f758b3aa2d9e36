#include "tv/move_plan.hpp"

#include <gtest/gtest.h>

using tv::Move;

TEST(MovePlan, MovesTheBlockerOutOfTheWayFirst) {
  // Kernel moves up onto where the initrd sits; the initrd goes high first.
  Move moves[] = {{0x600000, 0x1000000, 0x900000}, {0xF00000, 0x3F000000, 0x800000}};
  size_t order[2];
  ASSERT_TRUE(tv::plan_moves(moves, 2, order).ok());
  EXPECT_EQ(order[0], 1u);
  EXPECT_EQ(order[1], 0u);
}

TEST(MovePlan, KeepsOrderWhenNothingOverlaps) {
  Move moves[] = {{0x100000, 0x200000, 0x1000}, {0x300000, 0x400000, 0x1000}};
  size_t order[2];
  ASSERT_TRUE(tv::plan_moves(moves, 2, order).ok());
  EXPECT_EQ(order[0], 0u);
  EXPECT_EQ(order[1], 1u);
}

TEST(MovePlan, SelfOverlapIsAllowed) {
  Move moves[] = {{0x100000, 0x180000, 0x100000}};
  size_t order[1];
  EXPECT_TRUE(tv::plan_moves(moves, 1, order).ok());
}

TEST(MovePlan, DetectsCycles) {
  Move moves[] = {{0x100000, 0x200000, 0x1000}, {0x200000, 0x100000, 0x1000}};
  size_t order[2];
  EXPECT_EQ(tv::plan_moves(moves, 2, order).error(), tv::MovePlanError::Cycle);
}

TEST(MovePlan, RejectsWrapAndTooMany) {
  Move wrap[] = {{~0ull - 10, 0, 100}};
  size_t order[tv::kMaxMoves + 1];
  EXPECT_EQ(tv::plan_moves(wrap, 1, order).error(), tv::MovePlanError::Overflow);
  Move many[tv::kMaxMoves + 1] = {};
  EXPECT_EQ(tv::plan_moves(many, tv::kMaxMoves + 1, order).error(), tv::MovePlanError::TooMany);
}
