// VMM status as text: version, uptime, the VMM's memory and free pool pages, VM exits by reason, hypercall counters.
// RBX = guest buffer, RCX = its size. RAX = 0 on success, kErrBufferTooSmall
// (nothing written) or kErrBadAddress. RCX = length of the text (without NUL).
#include "service/status.hpp"

#include "arch/x86/cpu.hpp"
#include "kernel/dma_protection.hpp"
#include "kernel/memory.hpp"
#include "kernel/percpu.hpp"
#include "kernel/version.hpp"
#include "service/service.hpp"
#include "tv/cpu_start.hpp"
#include "tv/spinlock.hpp"
#include "virt/exit_stats.hpp"

namespace tv {

void exit_report(Report& r) {
  const ExitStats sum = machine_exit_stats();
  r.add("exits_total %lu\n", sum.total());
  for (usize i = 0; i < usize(ExitReason::Count); ++i)
    r.add("exits.%s %lu\n", to_string(ExitReason(i)), sum.of(ExitReason(i)));
}

// Per CPU: what each vCPU is doing and its own counters (kernel/percpu.hpp).
void cpu_report(Report& r) {
  r.add("cpus %u\n", cpu_count());
  for (u32 i = 0; i < cpu_count(); ++i) {
    const PerCpu& c = cpu_at(i);
    r.add("cpu.%u.apic_id %u\ncpu.%u.state %s\n", i, c.apic_id, i,
          smp::to_string(__atomic_load_n(&c.start_state, __ATOMIC_ACQUIRE)));
    r.add("cpu.%u.exits_total %lu\ncpu.%u.exits.cpuid %lu\ncpu.%u.hypercalls %lu\n", i, c.exits.total(), i,
          c.exits.of(ExitReason::Cpuid), i, c.hypercalls);
  }
}

void status_report(Report& r) {
  r.add("version %s\n", kVersion);
  r.add("uptime_tsc %lu\n", x86::rdtsc() - boot_tsc());
  r.add("vmm_base 0x%lx\n", mem::vmm_region().base);
  r.add("vmm_reserved_bytes %lu\n", mem::vmm_region().size);
  r.add("pool_total_pages %lu\npool_free_pages %lu\n", u64(mem::pool_total_pages()), u64(mem::pool_free_pages()));
  dma::report(r);
  exit_report(r);
  cpu_report(r);
  const HypercallTotals& h = hypercall_totals();
  r.add("hypercalls_total %lu\nhypercalls_unknown %lu\nhypercalls_denied %lu\n", h.calls, h.unknown, h.denied);
  for (usize i = 0; i < service_count(); ++i)
    r.add("hypercalls.%s %lu\n", service_at(i)->name, service_counters(i).calls);
}

namespace {

u64 status(HypercallContext& call) {
  const u64 buf = call.arg(0), size = call.arg(1);  // read before RCX is overwritten below
  static char text[8192];                           // keep it off the VMM stack; one CPU at a time
  static SpinLock lock;
  SpinGuard g(lock);
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
