// A kernel-only service: returns RBX. It exists so the caller policy has a
// living example and a test: from user mode (CPL 3) it answers kErrDenied.
#include "service/service.hpp"

namespace tv {
namespace {
u64 kernel_echo(HypercallContext& call) {
  return call.arg(0);
}
}  // namespace
TV_SERVICE(kernel_echo, "kernel_echo", CallerPolicy::KernelOnly, "kernel mode only: returns RBX");
}  // namespace tv
