#include "virt/guest_modules.hpp"

#include "arch/x86/cpu.hpp"
#include "kernel/log.hpp"
#include "tv/spinlock.hpp"

namespace tv::modules {
namespace {

ModuleTable g_table;
SpinLock g_lock;

void log_event(Detector d, ModuleEvent e, const char* name, u64 base, u64 size, const ModuleRecord& r) {
  const char* who = detectors_string(u8(d));
  const char* also = r.merged ? "also seen " : "";
  switch (r.state) {
    case ModuleState::Coming:
      TV_LOG_GUEST("guest module %s %scoming at 0x%lx size %lu (%s)", name, also, base, size, who);
      break;
    case ModuleState::Live:
      TV_LOG_GUEST("guest module %s %sloaded at 0x%lx size %lu (%s)", name, also, base, size, who);
      if (!r.merged) TV_LOG_GUEST("k2e: driver has loaded at 0x%lx", base);
      break;
    case ModuleState::Unloaded: TV_LOG_GUEST("guest module %s %sunloaded (%s)", name, also, who); break;
    case ModuleState::Failed: TV_LOG_GUEST("guest module %s %sfailed to load (%s)", name, also, who); break;
  }
  if (r.mismatch)
    TV_LOG_GUEST("guest module %s: %s report of %s gives 0x%lx size %lu, not what was recorded (kept)", name, who,
                 to_string(e), base, size);
}

}  // namespace

Status<ModuleTableError> report_module(Detector d, ModuleEvent e, const char* name, u64 base, u64 size) {
  ModuleRecord r{};
  Status<ModuleTableError> st = Ok{};
  {
    SpinGuard g(g_lock);
    st = g_table.record(d, e, name, base, size, x86::rdtsc(), &r);
  }
  // Logged outside the lock; the name was checked by record() when it succeeded.
  if (st) {
    log_event(d, e, name, base, size, r);
  } else {
    // A refused name may hold anything: log it only if it passes the name rules.
    const bool printable = check_module_name(name).ok();
    TV_LOG_GUEST("guest module report refused (%s, %s %s): %s", detectors_string(u8(d)),
                 u8(e) >= 1 && u8(e) <= 4 ? to_string(e) : "bad event", printable ? name : "<bad name>",
                 to_string(st.error()));
  }
  return st;
}

bool module_at(usize i, ModuleEntry& out, usize* count) {
  SpinGuard g(g_lock);
  const ModuleEntry* m = g_table.at(i);
  if (m == nullptr) return false;
  out = *m;
  if (count != nullptr) *count = g_table.count();
  return true;
}

TableSummary module_summary() {
  SpinGuard g(g_lock);
  return {g_table.count(), g_table.loaded(), g_table.stats()};
}

}  // namespace tv::modules
