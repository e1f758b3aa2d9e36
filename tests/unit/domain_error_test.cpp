#include "tv/domain_error.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {
using tv::DomainError;

TEST(DomainError, EveryCodeHasItsOwnString) {
  std::set<std::string> seen;
  for (int c = 1; c < static_cast<int>(DomainError::Count); ++c) {
    const char* s = tv::to_string(static_cast<DomainError>(c));
    ASSERT_NE(s, nullptr) << c;
    EXPECT_STRNE(s, "") << c;
    EXPECT_STRNE(s, "unknown") << c;
    EXPECT_TRUE(seen.insert(s).second) << "duplicate string for code " << c << ": " << s;
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(DomainError::Count) - 1);
}

TEST(DomainError, OutOfRangeIsUnknown) {
  EXPECT_STREQ(tv::to_string(static_cast<DomainError>(0)), "unknown");
  EXPECT_STREQ(tv::to_string(DomainError::Count), "unknown");
  EXPECT_STREQ(tv::to_string(static_cast<DomainError>(200)), "unknown");
}

TEST(DomainError, CodesAreStable) {
  // The ABI returns these numbers in RAX; domains and docs depend on them.
  EXPECT_EQ(static_cast<int>(DomainError::BadDescriptor), 1);
  EXPECT_EQ(static_cast<int>(DomainError::NotOwner), 15);
}

}  // namespace
