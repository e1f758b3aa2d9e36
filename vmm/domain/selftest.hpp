// The protection-domain self-test (selftest.cpp, docs/domains.md).
#pragma once
#include "tv/types.hpp"

namespace tv::dom {
// domains/echo's special values: exit after this message / read the buffer
// without writing it (for the msgsendbuf figures).
inline constexpr i64 kEchoExit = -1000;
inline constexpr i64 kEchoTouchOnly = 1;
struct SelftestResult {
  u32 passed, failed;
};
SelftestResult run_selftest();
}  // namespace tv::dom

namespace tv::dom {
// The VMM option `selftest.domains` allows the domain_selftest hypercall.
void allow_selftest(bool on);
bool selftest_allowed();
}  // namespace tv::dom
