#include "virt/run_report.hpp"

#include "arch/x86/cpu.hpp"
#include "kernel/dma_protection.hpp"
#include "kernel/integrity.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/percpu.hpp"
#include "tv/cpu_start.hpp"
#include "virt/exit_stats.hpp"

namespace tv {

void print_run_report(const char* why) {
  TV_LOG("run report (%s)", why);
  machine_exit_stats().print("run report");
  for (u32 i = 0; i < cpu_count(); ++i) {
    const PerCpu& c = cpu_at(i);
    TV_LOG("run report: CPU %u (APIC ID %u, %s): %lu VM exits, %lu cpuid, %lu hypercalls, %lu NMIs", i, c.apic_id,
           smp::to_string(c.start_state), c.exits.total(), c.exits.of(ExitReason::Cpuid), c.hypercalls, c.nmis);
  }
  Range r = mem::vmm_region();
  TV_LOG("run report: VMM memory reserved %lu KiB (pool used %lu KiB, %lu of %lu pages free)", r.size / KiB,
         u64(mem::pool_used_bytes()) / KiB, u64(mem::pool_free_pages()), u64(mem::pool_total_pages()));
  const dma::Counts d = dma::counts();
  TV_LOG("run report: DMA protection %s: %lu blocked DMA event(s), %lu target abort(s), %lu other IOMMU event(s)",
         d.on ? "on" : "off", d.faults, d.target_aborts, d.other_events);
  integrity::Report ir = integrity::verify();
  if (!ir.sealed)
    TV_LOG("run report: integrity not checked (the VMM had not finished starting)");
  else
    TV_LOG("run report: integrity %s (fingerprint %016lx over %lu bytes in %lu regions%s%s)",
           ir.intact ? "intact" : "CORRUPTED", ir.actual, ir.bytes_checked, ir.regions,
           ir.intact ? "" : "; first changed: ", ir.intact ? "" : ir.first_changed);
  TV_LOG("run report: tsc %lu", x86::rdtsc());
}

}  // namespace tv
