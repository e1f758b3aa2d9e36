#include "tv/result.hpp"

#include <gtest/gtest.h>

namespace {
enum class DemoError { Bad = 1 };
tv::Status<DemoError> fails() {
  return tv::Err{DemoError::Bad};
}
tv::Status<DemoError> succeeds() {
  return tv::Ok{};
}
tv::Status<DemoError> chain(bool fail, int& reached) {
  TV_TRY(succeeds());
  reached = 1;
  if (fail) TV_TRY(fails());
  reached = 2;
  return tv::Ok{};
}
}  // namespace

TEST(Result, TryPropagatesTheFirstError) {
  int reached = 0;
  EXPECT_EQ(chain(true, reached).error(), DemoError::Bad);
  EXPECT_EQ(reached, 1);
  EXPECT_TRUE(chain(false, reached).ok());
  EXPECT_EQ(reached, 2);
}

TEST(Result, HoldsAValueOrAnError) {
  tv::Result<int, DemoError> v = 5;
  tv::Result<int, DemoError> e = tv::Err{DemoError::Bad};
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(*v, 5);
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.value_or(7), 7);
  tv::Result<int, DemoError> copy = v;
  copy = e;
  EXPECT_EQ(copy.error(), DemoError::Bad);
}
