// The null hypercall: does nothing and returns 0. Its round trip is the
// hypercall path's fixed cost (measured by guest/tools/hcbench.c).
#include "service/service.hpp"

namespace tv {
namespace {
u64 nop(HypercallContext&) {
  return 0;
}
}  // namespace
TV_SERVICE(nop, "nop", CallerPolicy::AnyMode, "does nothing, returns 0");
}  // namespace tv
