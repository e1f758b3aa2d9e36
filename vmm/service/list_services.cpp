// Discovery (BitVisor has none): RBX = index, RCX = guest buffer, RDX = its size.
// Copies the NUL-terminated name of service `index` into the buffer.
// RAX = number of services on success; RBX = that service's policy (0 any mode,
// 1 kernel only). Errors: kErrBadArgument (index out of range),
// kErrBufferTooSmall (RDX too small; RCX = bytes needed), kErrBadAddress.
#include "service/service.hpp"
#include "tv/str.hpp"

namespace tv {
namespace {
u64 list_services(HypercallContext& call) {
  const u64 index = call.arg(0), buf = call.arg(1), size = call.arg(2);
  const ServiceDef* s = service_at(index);
  if (s == nullptr) return abi::kErrBadArgument;
  usize need = str_len(s->name) + 1;
  if (size < need) {
    call.set_result(1, need);
    return abi::kErrBufferTooSmall;
  }
  if (!call.write(buf, s->name, need)) return abi::kErrBadAddress;
  bool kernel_only = s->policy == CallerPolicy::KernelOnly || (kernel_only_override() && index != 0);
  call.set_result(0, kernel_only ? 1 : 0);
  return service_count();
}
}  // namespace
TV_SERVICE(list_services, "list_services", CallerPolicy::AnyMode,
           "RBX=index RCX=&buf RDX=size -> RAX=count, name in buf");
}  // namespace tv
