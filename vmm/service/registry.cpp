// Finds the services TV_SERVICE placed in the .tv_services section, validates
// them once at start-up, and dispatches hypercalls to them (flow 2 of
// docs/ARCHITECTURE.md).
#include "kernel/log.hpp"
#include "kernel/percpu.hpp"
#include "kernel/platform.hpp"
#include "service/service.hpp"
#include "tv/str.hpp"
#include "virt/exit_dispatch.hpp"
#include "virt/instruction.hpp"

extern "C" const tv::ServiceDef __service_table_start[], __service_table_end[];

namespace tv {
namespace {
const char* g_names[abi::kMaxServices];
usize g_count = 0;
ServiceCounters g_counters[abi::kMaxServices];
HypercallTotals g_totals;
bool g_kernel_only = false;
}  // namespace

void init_services(bool kernel_only) {
  g_kernel_only = kernel_only;
  usize n = usize(__service_table_end - __service_table_start);
  usize bad = 0;
  const char* names[abi::kMaxServices + 1] = {};
  for (usize i = 0; i < n && i <= abi::kMaxServices; ++i) names[i] = __service_table_start[i].name;
  auto st = validate_service_names(names, n, bad);
  if (!st)
    panic("hypercall registry refused service %lu ('%s'): %s", u64(bad), bad < n ? names[bad] : "",
          to_string(st.error()));
  for (usize i = 0; i < n; ++i) g_names[i] = names[i];
  g_count = n;
  TV_LOG("hypercalls: %lu services registered%s", u64(n), kernel_only ? " (all kernel-only by command line)" : "");
  for (usize i = 0; i < n; ++i)
    TV_LOG("  %2lu %-20s %s", u64(i), g_names[i],
           __service_table_start[i].policy == CallerPolicy::KernelOnly ? "kernel-only" : "any mode");
}

usize service_count() {
  return g_count;
}
const ServiceDef* service_at(u64 number) {
  return number < g_count ? &__service_table_start[number] : nullptr;
}
i64 service_number(const char* name) {
  return find_service(g_names, g_count, name);
}
const ServiceCounters& service_counters(u64 number) {
  return g_counters[number < g_count ? number : 0];
}
const HypercallTotals& hypercall_totals() {
  return g_totals;
}
bool kernel_only_override() {
  return g_kernel_only;
}

Result<usize, NameError> HypercallContext::read_name(u64 gva, char (&out)[abi::kMaxNameBytes]) const {
  return read_guest_name(guest_physical(), vcpu_.paging_state(), gva, from_user_mode(), out);
}
Result<usize, NameError> HypercallContext::read_name(u64 gva, char* out, usize cap) const {
  return read_guest_name(guest_physical(), vcpu_.paging_state(), gva, from_user_mode(), out, cap);
}

void handle_hypercall(Vcpu& vcpu, InsnKind instruction) {
  const u64 number = hypercall_number(vcpu.gpr(Gpr::Rax), vcpu.cpu_mode() == CpuMode::Long64);
  // Shared by all CPUs: relaxed atomic adds (counts, not synchronisation).
  __atomic_fetch_add(&g_totals.calls, 1, __ATOMIC_RELAXED);
  ++this_cpu().hypercalls;
  // The instruction is 3 bytes (0F 01 D9 / 0F 01 C1); skip it before the service
  // runs so a service may set RIP itself if it ever needs to.
  skip_instruction(vcpu, instruction, 3);
  const ServiceDef* s = service_at(number);
  if (s == nullptr) {
    __atomic_fetch_add(&g_totals.unknown, 1, __ATOMIC_RELAXED);
    TV_LOG_GUEST("hypercall: unknown service number %lx from cpl %u", number, unsigned(vcpu.cpl()));
    vcpu.set_gpr(Gpr::Rax, abi::kErrUnknownService);
    return;
  }
  ServiceCounters& c = g_counters[number];
  __atomic_fetch_add(&c.calls, 1, __ATOMIC_RELAXED);
  // The command-line override spares the lookup (service 0): it only maps a
  // name to a number, and its contract is "0 on any failure", which a denial
  // value would break. Every call made with that number is still checked.
  bool kernel_only = s->policy == CallerPolicy::KernelOnly || (g_kernel_only && number != 0);
  if (kernel_only && vcpu.cpl() == 3) {
    __atomic_fetch_add(&c.denied, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&g_totals.denied, 1, __ATOMIC_RELAXED);
    TV_LOG_GUEST("hypercall: %s refused for a user-mode caller", s->name);
    vcpu.set_gpr(Gpr::Rax, abi::kErrDenied);
    return;
  }
  HypercallContext call(vcpu, instruction);
  vcpu.set_gpr(Gpr::Rax, s->fn(call));
}

}  // namespace tv
