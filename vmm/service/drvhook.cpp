// Guest kernel-module reports (docs/module-watch.md).
//
//   drvhook       (kernel only; the seed's name) the in-guest agent's report,
//                 guest/kmod/thinvisor_modwatch.c:
//                 RBX = event (1 COMING, 2 LIVE, 3 GOING), RCX = guest-virtual
//                 address of the NUL-terminated name (at most 56 bytes with
//                 the NUL), RDX = text base, RSI = size -> RAX = 0, or a
//                 refusal -(63 + ModuleTableError), -64 .. -72 (abi::module_error), each
//                 logged with its reason. A refused report changes nothing.
//   list_modules  (any mode) RBX = index, RCX = buffer, RDX = its size -> the
//                 entry's name in the buffer, RAX = number of entries,
//                 RBX = base, RCX = size, RDX = state | detectors << 8 |
//                 mismatch << 16, RSI = first TSC, RDI = last TSC; errors
//                 kErrBadArgument (index), kErrBufferTooSmall (RCX = bytes
//                 needed), kErrBadAddress.
#include "kernel/log.hpp"
#include "service/service.hpp"
#include "tv/str.hpp"
#include "tv/x86/control_regs.hpp"
#include "virt/guest_modules.hpp"

namespace tv {
namespace {

u64 refuse(u64 event, u64 name, u64 base, u64 size, ModuleTableError e) {
  TV_LOG_GUEST("drvhook(%lu, %lx, %lx, %lx) refused: %s", event, name, base, size, to_string(e));
  return abi::module_error(u8(e));
}

u64 drvhook(HypercallContext& call) {
  const u64 event = call.arg(0), name_va = call.arg(1), base = call.arg(2), size = call.arg(3);
  if (event < u64(ModuleEvent::Coming) || event > u64(ModuleEvent::Going))
    return refuse(event, name_va, base, size, ModuleTableError::BadEvent);
  char name[kModuleNameBytes];
  if (auto n = call.read_name(name_va, name, sizeof name); !n)
    return refuse(
        event, name_va, base, size,
        n.error() == NameError::Unreadable ? ModuleTableError::NameUnreadable : ModuleTableError::NameUnterminated);
  // The kernel half as the guest's paging defines it (record() allows the wider 57-bit one).
  const u8 va_bits = (call.vcpu().cr4() & x86::cr4::kLa57) != 0 ? 57 : 48;
  if (auto st = check_module_name(name); !st) return refuse(event, name_va, base, size, st.error());
  if (auto st = check_module_range(base, size, va_bits); !st) return refuse(event, name_va, base, size, st.error());
  // report_module logs its own refusals (Full, NotLoaded).
  if (auto st = modules::report_module(Detector::Agent, ModuleEvent(event), name, base, size); !st)
    return abi::module_error(u8(st.error()));
  return 0;
}
TV_SERVICE(drvhook, "drvhook", CallerPolicy::KernelOnly,
           "RBX=event(1 coming,2 live,3 going) RCX=&name RDX=base RSI=size: a guest module report");

u64 list_modules(HypercallContext& call) {
  const u64 index = call.arg(0), buf = call.arg(1), size = call.arg(2);
  ModuleEntry m;
  usize count = 0;
  if (!modules::module_at(index, m, &count)) return abi::kErrBadArgument;
  const usize need = str_nlen(m.name, kModuleNameBytes - 1) + 1;
  if (size < need) {
    call.set_result(1, need);
    return abi::kErrBufferTooSmall;
  }
  if (!call.write(buf, m.name, need)) return abi::kErrBadAddress;
  call.set_result(0, m.base);
  call.set_result(1, m.size);
  call.set_result(2, u64(m.state) | u64(m.detectors) << 8 | u64(m.mismatch ? 1 : 0) << 16);
  call.set_result(3, m.first_tsc);
  call.set_result(4, m.last_tsc);
  return count;
}
TV_SERVICE(list_modules, "list_modules", CallerPolicy::AnyMode,
           "RBX=index RCX=&buf RDX=size -> RAX=count, name in buf, RBX=base RCX=size RDX=state");

}  // namespace
}  // namespace tv
