// The `vmminfo` message service: read-only VMM reports as text, for the
// debug shell's tool programs (docs/domains.md, "VMM services"; docs/dbgsh.md).
//   buffer message, value = a report (tv::dom::InfoReport): the text and a NUL
//     go into rw buffer 0; returns the text's length (without the NUL).
//     A buffer too small for text + NUL gets -(bytes needed), nothing written;
//     an unknown report or no rw buffer gets kInfoBadRequest (-1).
//   int message, value = a report: the bytes its buffer needs now (NUL
//     included), or kInfoBadRequest. Reports change between calls (counters
//     move), so leave some slack.
#include "domain/info_services.hpp"

#include "domain/domain.hpp"
#include "domain/program_table.hpp"
#include "kernel/memory.hpp"
#include "kernel/percpu.hpp"
#include "kernel/report.hpp"
#include "service/service.hpp"
#include "service/status.hpp"
#include "tv/spinlock.hpp"
#include "virt/guest_modules.hpp"
#include "virt/svm/svm.hpp"

namespace tv::dom {
namespace {

// 16 KiB covers the biggest report (the status report is under 4 KiB; 31
// domains or ~40 services are ~3 KiB). Static, and guarded because CPUs share it.
char g_text[16 * KiB];
SpinLock g_text_lock;

void add_domain(const DomainInfo& d, void* ctx) {
  Report& r = *static_cast<Report*>(ctx);
  r.add("%-4u %-16s %-6u %-7s", d.id, d.program, d.active, d.dead ? "dead" : d.exiting ? "exiting" : "live");
  r.add(" descs");
  for (u32 k = 0; k < kMaxDescriptors; ++k)
    if ((d.open_descs & (1u << k)) != 0) r.add(" %u", k);
  r.add("\n");
}

void domains_report(Report& r) {
  const Stats s = stats();
  r.add("live %lu created %lu destroyed %lu killed %lu messages %lu\n", u64(s.live_domains), s.created, s.destroyed,
        s.killed, s.messages);
  r.add("id   program          active state\n");
  for_each_domain(add_domain, &r);
}

void mem_report(Report& r) {
  const usize total = mem::pool_total_pages(), free = mem::pool_free_pages();
  r.add("vmm_base 0x%lx\nvmm_reserved_bytes %lu\n", mem::vmm_region().base, mem::vmm_region().size);
  r.add("image_bytes %lu\npool_bytes %lu\n", mem::image_region().size, mem::pool_region().size);
  r.add("pool_total_pages %lu\npool_free_pages %lu\npool_used_pages %lu\n", u64(total), u64(free), u64(total - free));
}

void regs_report(Report& r) {
  static constexpr const char* kNames[kGprCount] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                                    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  const Vcpu& v = current_vcpu();
  for (usize i = 0; i < kGprCount; ++i) r.add("%-6s 0x%016lx%s", kNames[i], v.gpr(Gpr(i)), i % 2 == 1 ? "\n" : "  ");
  r.add("rip    0x%016lx  rflags 0x%016lx\n", v.rip(), v.rflags());
  r.add("cr0    0x%016lx  cr3    0x%016lx\n", v.cr0(), v.cr3());
  r.add("cr4    0x%016lx  efer   0x%016lx\n", v.cr4(), v.guest_efer());
}

void services_report(Report& r) {
  r.add("nr  name                     policy       calls  summary\n");
  for (usize i = 0; i < service_count(); ++i) {
    const ServiceDef& s = *service_at(i);
    const bool kernel_only = s.policy == CallerPolicy::KernelOnly || (kernel_only_override() && i != 0);
    r.add("%-3lu %-24s %-12s %-6lu %s\n", u64(i), s.name, kernel_only ? "kernel-only" : "any-mode",
          service_counters(i).calls, s.summary);
  }
}

void programs_report(Report& r) {
  for (usize i = 0; i < domain_program_count(); ++i) r.add("%s\n", domain_program_at(i)->name);
}

// The guest's debug-register file and the VMM's watchpoints (docs/debug-registers.md).
void watches_report(Report& r) {
  const GuestDebugRegs& f = current_vcpu().debug_regs();
  static constexpr const char* kOwner[2] = {"guest", "VMM"};
  r.add("slot owner  address            kind len  hits\n");
  for (u8 s = 0; s < kBreakpointSlots; ++s) {
    const bool vmm = (f.vmm_slots() & (1u << s)) != 0;
    if (vmm) {
      const Watchpoint& w = f.watchpoint(s);
      r.add("%-4u %-6s 0x%016lx %-4s %-4u %lu\n", unsigned(s), kOwner[1], w.addr, to_string(w.type), unsigned(w.len),
            w.hits);
      continue;
    }
    const BpSlot b = decode_dr7_slot(f.dr7(), s);
    if (!b.enabled) {
      r.add("%-4u free\n", unsigned(s));
      continue;
    }
    r.add("%-4u %-6s 0x%016lx %-4s %-4u %s\n", unsigned(s), kOwner[0], f.dr(s), to_string(b.type), unsigned(b.len),
          (f.refused_guest_slots() & (1u << s)) != 0 ? "not armed (VMM memory)" : "-");
  }
  r.add("guest dr7 0x%lx, armed dr7 0x%lx\n", f.dr7(), f.hardware_dr7());
}

// The guest's kernel modules as the detectors reported them (docs/module-watch.md).
void modules_report(Report& r) {
  const modules::TableSummary t = modules::module_summary();
  r.add("modules %lu (loaded %lu) of %lu; events %lu loads %lu reused %lu full %lu refused %lu\n", u64(t.count),
        u64(t.loaded), u64(ModuleTable::kCapacity), t.stats.events, t.stats.loads, t.stats.reused, t.stats.full,
        t.stats.rejected);
  r.add("%-24s %-18s %-8s %-8s %-15s %-6s %-14s %s\n", "name", "base", "size", "state", "seen by", "loads", "first_tsc",
        "last_tsc");
  ModuleEntry m;
  for (usize i = 0; modules::module_at(i, m); ++i)
    r.add("%-24s 0x%016lx %-8lu %-8s %-15s %-6u %-14lu %lu%s\n", m.name, m.base, m.size, to_string(m.state),
          detectors_string(m.detectors), m.loads, m.first_tsc, m.last_tsc, m.mismatch ? " (reports disagree)" : "");
}

bool build(i64 report, Report& r) {
  switch (InfoReport(report)) {
    case InfoReport::Exits: exit_report(r); return true;
    case InfoReport::Domains: domains_report(r); return true;
    case InfoReport::Status: status_report(r); return true;
    case InfoReport::Mem: mem_report(r); return true;
    case InfoReport::Regs: regs_report(r); return true;
    case InfoReport::Services: services_report(r); return true;
    case InfoReport::Programs: programs_report(r); return true;
    case InfoReport::Watches: watches_report(r); return true;
    case InfoReport::Modules: modules_report(r); return true;
    case InfoReport::Count: break;
  }
  return false;
}

i64 vmminfo(int type, i64 value, const BufView* bufs, usize n) {
  SpinGuard g(g_text_lock);
  Report r(g_text, sizeof g_text);
  if (value < 0 || !build(value, r)) return kInfoBadRequest;
  const u64 need = r.len() + 1;
  if (type == kMsgInt) return i64(need);
  if (n == 0 || !bufs[0].rw) return kInfoBadRequest;
  if (bufs[0].len < need) return -i64(need);
  if (!bufs[0].write(0, r.text(), need)) return kInfoBadRequest;
  return i64(r.len());
}

}  // namespace

Status<DomainError> register_info_services() {
  if (auto d = msgregister_vmm("vmminfo", vmminfo); !d) return Err{d.error()};
  return Ok{};
}

}  // namespace tv::dom
