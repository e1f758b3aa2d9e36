// VMM status as text: version, uptime, the VMM's memory and free pool pages, VM exits by reason, hypercall counters.
// RBX = guest buffer, RCX = its size. RAX = 0 on success, kErrBufferTooSmall
// (nothing written) or kErrBadAddress. RCX = length of the text (without NUL).
#include "service/status.hpp"

#include "arch/x86/cpu.hpp"
#include "kernel/memory.hpp"
#include "kernel/version.hpp"
#include "service/service.hpp"
#include "virt/exit_stats.hpp"

namespace tv {

void exit_report(Report& r) {
  r.add("exits_total %lu\n", exit_stats().total());
  for (usize i = 0; i < usize(ExitReason::Count); ++i)
    r.add("exits.%s %lu\n", to_string(ExitReason(i)), exit_stats().of(ExitReason(i)));
}

void status_report(Report& r) {
  r.add("version %s\n", kVersion);
  r.add("uptime_tsc %lu\n", x86::rdtsc() - boot_tsc());
  r.add("vmm_base 0x%lx\n", mem::vmm_region().base);
  r.add("vmm_reserved_bytes %lu\n", mem::vmm_region().size);
  r.add("pool_total_pages %lu\npool_free_pages %lu\n", u64(mem::pool_total_pages()), u64(mem::pool_free_pages()));
  exit_report(r);
  const HypercallTotals& h = hypercall_totals();
  r.add("hypercalls_total %lu\nhypercalls_unknown %lu\nhypercalls_denied %lu\n", h.calls, h.unknown, h.denied);
  for (usize i = 0; i < service_count(); ++i)
    r.add("hypercalls.%s %lu\n", service_at(i)->name, service_counters(i).calls);
}

namespace {

u64 status(HypercallContext& call) {
  const u64 buf = call.arg(0), size = call.arg(1);  // read before RCX is overwritten below
  static char text[4096];                           // keep it off the VMM stack
  Report r(text, sizeof text);
  status_report(r);
  call.set_result(1, r.len());
  if (size < r.len() + 1) return abi::kErrBufferTooSmall;
  if (!call.write(buf, r.text(), r.len() + 1)) return abi::kErrBadAddress;
  return 0;
}

}  // namespace
TV_SERVICE(status, "status", CallerPolicy::AnyMode, "RBX=&buf RCX=size -> text report, RCX=length");
}  // namespace tv
