// The guest's view of the machine's CPUs: the ACPI MADT (ACPI 6.5 §5.2.12
// "Multiple APIC Description Table"). Until the VMM runs every CPU as a vCPU
// (the SMP issue), the guest must see only the CPU it runs on: the VMM marks
// every other local APIC entry disabled in the firmware's table, in place,
// before the guest runs, and the interrupt-controller policy drops the
// guest's INIT and SIPI to them (apic_policy.hpp), so they stay in
// wait-for-SIPI and never run guest code.
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

}  // namespace tv
