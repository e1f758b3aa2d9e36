#include "tv/cpu_table.hpp"

namespace tv::smp {

const char* to_string(CpuTableError e) {
  switch (e) {
    case CpuTableError::Full: return "too many CPUs";
    case CpuTableError::Duplicate: return "duplicate APIC ID";
    case CpuTableError::BadApicId: return "broadcast APIC ID";
  }
  return "unknown";
}

// Both broadcast IDs are refused whatever the CPU's APIC mode: the table does not know
// it, and a physical IPI to 0xFF means "all CPUs" in xAPIC mode. Kept simple on purpose:
// an x2APIC machine with a CPU whose APIC ID is 255 cannot add that CPU.
Result<u32, CpuTableError> CpuTable::add(u32 apic_id) {
  if (apic_id == 0xFFFFFFFFu || apic_id == 0xFFu) return Err{CpuTableError::BadApicId};
  if (index_of(apic_id) != kMaxCpus) return Err{CpuTableError::Duplicate};
  if (count_ == kMaxCpus) return Err{CpuTableError::Full};
  apic_ids_[count_] = apic_id;
  return count_++;
}

u32 CpuTable::index_of(u32 apic_id) const {
  for (u32 i = 0; i < count_; ++i)
    if (apic_ids_[i] == apic_id) return i;
  return kMaxCpus;
}

}  // namespace tv::smp
