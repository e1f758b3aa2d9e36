// The machine's CPUs as the VMM numbers them: index 0 is the boot CPU, then
// the APs in MADT order. Each index owns one PerCpu (vmm/kernel/percpu.hpp)
// and one vCPU; the guest names CPUs by APIC ID, the VMM by index.
// Hardware-free (tests/unit/cpu_table_test.cpp).
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv::smp {

// The most CPUs the VMM runs (a compile-time bound: per-CPU arrays are sized by it).
inline constexpr u32 kMaxCpus = 16;

// The VMM's per-CPU stacks (vmm/arch/x86/descriptors.cpp, vmm/kernel/smp.cpp).
inline constexpr usize kHostStackBytes = 32 * 1024;  // exit handling, services, domain kernel side
inline constexpr usize kIstStackBytes = 16 * 1024;   // NMI, #DF, #MC
inline constexpr usize kEntryStackBytes = 8 * 1024;  // ring-3 entries of protection domains (TSS.RSP0)

enum class CpuTableError : u8 { Full = 1, Duplicate, BadApicId };
const char* to_string(CpuTableError e);

class CpuTable {
 public:
  // Adds a CPU; returns its index. The first CPU added is the boot CPU (index 0).
  // APIC ID 0xFFFFFFFF (x2APIC broadcast) and, for 8-bit IDs, 0xFF (xAPIC broadcast) are refused.
  Result<u32, CpuTableError> add(u32 apic_id);
  // The index of the CPU with this APIC ID, or kMaxCpus if there is none.
  u32 index_of(u32 apic_id) const;
  u32 apic_id(u32 index) const { return index < count_ ? apic_ids_[index] : 0xFFFFFFFFu; }
  u32 count() const { return count_; }

 private:
  u32 apic_ids_[kMaxCpus] = {};
  u32 count_ = 0;
};

// Memory the VMM spends on each CPU beyond the first: its stacks, plus the SVM
// pages allocated at start-up (VMCB, host save area, host VMCB: 3 pages; the
// I/O and MSR permission maps, 3 + 2 pages, are shared by all vCPUs).
constexpr usize per_cpu_stack_bytes() {
  return kHostStackBytes + kIstStackBytes + kEntryStackBytes;
}

}  // namespace tv::smp
