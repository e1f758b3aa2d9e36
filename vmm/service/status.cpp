// VMM status as text: version, uptime, the VMM's memory and free pool pages, VM exits by reason, hypercall counters.
// RBX = guest buffer, RCX = its size. RAX = 0 on success, kErrBufferTooSmall
// (nothing written) or kErrBadAddress. RCX = length of the text (without NUL).
#include "arch/x86/cpu.hpp"
#include "kernel/memory.hpp"
#include "kernel/version.hpp"
#include "service/service.hpp"
#include "tv/format.hpp"
#include "virt/exit_stats.hpp"

namespace tv {
namespace {

struct Text {
  char buf[4096];
  usize len = 0;
  void add(const char* fmt, auto... args) {
    if (len < sizeof buf) len += format(buf + len, sizeof buf - len, fmt, args...);
    if (len > sizeof buf - 1) len = sizeof buf - 1;
  }
};

u64 status(HypercallContext& call) {
  const u64 buf = call.arg(0), size = call.arg(1);  // read before RCX is overwritten below
  static Text t;                                    // 4 KiB: keep it off the VMM stack
  t.len = 0;
  t.add("version %s\n", kVersion);
  t.add("uptime_tsc %lu\n", x86::rdtsc() - boot_tsc());
  t.add("vmm_base 0x%lx\n", mem::vmm_region().base);
  t.add("vmm_reserved_bytes %lu\n", mem::vmm_region().size);
  t.add("pool_total_pages %lu\npool_free_pages %lu\n", u64(mem::pool_total_pages()), u64(mem::pool_free_pages()));
  t.add("exits_total %lu\n", exit_stats().total());
  for (usize i = 0; i < usize(ExitReason::Count); ++i)
    t.add("exits.%s %lu\n", to_string(ExitReason(i)), exit_stats().of(ExitReason(i)));
  const HypercallTotals& h = hypercall_totals();
  t.add("hypercalls_total %lu\nhypercalls_unknown %lu\nhypercalls_denied %lu\n", h.calls, h.unknown, h.denied);
  for (usize i = 0; i < service_count(); ++i)
    t.add("hypercalls.%s %lu\n", service_at(i)->name, service_counters(i).calls);
  call.set_result(1, t.len);
  if (size < t.len + 1) return abi::kErrBufferTooSmall;
  if (!call.write(buf, t.buf, t.len + 1)) return abi::kErrBadAddress;
  return 0;
}

}  // namespace
TV_SERVICE(status, "status", CallerPolicy::AnyMode, "RBX=&buf RCX=size -> text report, RCX=length");
}  // namespace tv
