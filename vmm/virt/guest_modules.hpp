// The guest's kernel modules as the VMM knows them (docs/module-watch.md): the
// one ModuleTable (tv/module_table.hpp) behind a lock, fed by the agent's
// `drvhook` hypercall and by the agentless detector. Both report through
// report_module(), which records the event and writes the log lines, so the
// log reads the same whoever saw the event.
#pragma once
#include "tv/module_table.hpp"

namespace tv::modules {

// Records one event at the VMM's TSC and logs it (rate-limited: the guest can
// load modules at will):
//   Live    "guest module NAME loaded at 0xBASE size SIZE (DETECTOR)"
//           and, for the first report of a load, the seed's
//           "k2e: driver has loaded at 0xBASE"
//   Coming  "guest module NAME coming at 0xBASE size SIZE (DETECTOR)"
//   Going   "guest module NAME unloaded (DETECTOR)" or
//           "guest module NAME failed to load (DETECTOR)"
// and, for a refusal, "guest module report refused (DETECTOR, EVENT NAME):
// REASON". A merged report (the other detector saw it first) says "also seen".
Status<ModuleTableError> report_module(Detector d, ModuleEvent e, const char* name, u64 base, u64 size);

// A copy of entry i taken under the lock, and the number of entries then;
// false past the end.
bool module_at(usize i, ModuleEntry& out, usize* count = nullptr);
// The table's counters and size, under the lock.
struct TableSummary {
  usize count;
  usize loaded;
  ModuleTableStats stats;
};
TableSummary module_summary();

}  // namespace tv::modules
