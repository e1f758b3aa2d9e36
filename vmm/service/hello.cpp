// The seed's example service, unchanged in behaviour: log the first argument
// and return 10. docs/tutorial-add-a-vmmcall.md walks through this file.
#include "kernel/log.hpp"
#include "service/service.hpp"

namespace tv {
namespace {
u64 hello(HypercallContext& call) {
  // The seed's line, rate-limited like every line a guest can trigger at will.
  TV_LOG_GUEST("Hello thinvisor!, arg1 = %ld", i64(call.arg(0)));
  return 10;
}
}  // namespace
TV_SERVICE(hello, "hello", CallerPolicy::AnyMode, "logs 'arg1 = RBX', returns 10");
}  // namespace tv
