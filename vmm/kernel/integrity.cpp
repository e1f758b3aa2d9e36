#include "kernel/integrity.hpp"

#include "kernel/memory.hpp"
#include "tv/checksum.hpp"

namespace tv::integrity {
namespace {
// Filled with a pattern at start-up; lives in .data so it is writable VMM memory.
alignas(4096) u8 g_canary[4096] = {1};
u64 g_expected = 0;

u64 compute() {
  Range img = mem::image_region();
  u64 h = fnv1a64(mem::phys_to_ptr<const u8>(img.base), img.size);
  return fnv1a64(g_canary, sizeof g_canary, h);
}
}  // namespace

void init() {
  for (usize i = 0; i < sizeof g_canary; ++i) g_canary[i] = u8(i * 131 + 7);
  g_expected = compute();
}

Report verify() {
  u64 actual = compute();
  return {actual == g_expected, g_expected, actual, mem::image_region().size + sizeof g_canary};
}

}  // namespace tv::integrity
