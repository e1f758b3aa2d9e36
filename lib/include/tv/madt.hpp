// The machine's CPUs as the firmware lists them: the ACPI MADT (ACPI 6.5
// §5.2.12 "Multiple APIC Description Table"). The VMM reads the processor
// entries to find the CPUs it starts as vCPUs, and marks disabled, in place,
// every entry of a CPU that is not a vCPU (one that did not start, or all but
// the boot CPU with smp=1), so the guest never tries to start a CPU the VMM
// does not run (the interrupt-controller policy drops INIT/SIPI to those).
#pragma once
#include "tv/types.hpp"

namespace tv {

struct MadtEdit {
  usize cpus_seen;    // local APIC / x2APIC entries
  usize cpus_hidden;  // entries that were enabled or online-capable and are not `keep`
  bool keep_found;    // an entry for `keep` exists
};

// Clears the Enabled and Online Capable flags (§5.2.12.2, Table 5.23) of every
// Processor Local APIC (type 0) and Processor Local x2APIC (type 9) entry
// whose APIC ID is not keep_apic_id, and fixes the table checksum. Stops at a
// malformed entry (length < 2 or past the end); never writes outside [table, table+len).
MadtEdit keep_only_cpu(u8* table, usize len, u32 keep_apic_id);

// The same for a set of CPUs: every processor entry whose APIC ID is not in
// keep[0..keep_count) is disabled. keep_found: every ID in keep has an entry.
MadtEdit keep_only_cpus(u8* table, usize len, const u32* keep, usize keep_count);

// One processor entry (type 0 Processor Local APIC or type 9 Processor Local x2APIC).
struct MadtCpu {
  u32 apic_id;
  u32 uid;              // ACPI processor UID
  bool enabled;         // flags bit 0
  bool online_capable;  // flags bit 1 (only meaningful when not enabled)
  bool x2apic;          // from a type 9 entry
};
// Writes up to max processor entries, in table order, to out; returns how many
// the table has (which may exceed max). Stops at a malformed entry, as above.
usize list_madt_cpus(const u8* table, usize len, MadtCpu* out, usize max);

}  // namespace tv
