// Service 0: look a service up by name. RBX = guest-virtual address of a
// NUL-terminated name (at most 256 bytes with the NUL). RAX = its number, or 0
// if the name is unknown, unreadable or unterminated (BitVisor's contract).
#include "kernel/log.hpp"
#include "service/service.hpp"

namespace tv {
namespace {
u64 get_vmmcall_number(HypercallContext& call) {
  char name[abi::kMaxNameBytes];
  auto n = call.read_name(call.arg(0), name);
  if (!n) return 0;
  i64 number = service_number(name);
  return number > 0 ? u64(number) : 0;
}
}  // namespace
TV_SERVICE_FIRST(get_vmmcall_number, "get_vmmcall_number", CallerPolicy::AnyMode,
                 "RBX=&name -> RAX=service number, 0 if unknown or unreadable");
}  // namespace tv
