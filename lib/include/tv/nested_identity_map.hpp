// The nested page tables thinvisor runs its guest on (AMD APM vol.2 §15.25):
// guest-physical = host-physical for the whole guest-physical address space,
// built once at start-up with the largest pages the CPU offers, so that no
// guest access can ever make the VMM allocate (the VMM's memory use is fixed
// and independent of guest behaviour). Exceptions, 4 KiB at a time:
//  - hidden ranges (the VMM's own memory) show one zeroed scratch page;
//  - read-only ranges (the local APIC/MSI and I/O APIC windows) trap writes,
//    which the VMM emulates after checking them.
#pragma once
#include "tv/page_table_builder.hpp"

namespace tv {

struct NestedMapSpec {
  // Hidden: the VMM's region plus, per IOMMU (at most 8), its MMIO window and
  // its ECAM page; read-only: the interrupt controllers and guarded ECAM pages.
  static constexpr usize kMaxRanges = 20;
  u8 phys_bits;    // the space mapped is [0, 2^phys_bits), at most 2^48 (4-level tables)
  bool gib_pages;  // 1 GiB leaves allowed
  u64 leaf_flags;  // e.g. P|W|U (nested accesses are user accesses, APM vol.2 §15.25.5)
  Range hidden[kMaxRanges];
  usize hidden_count;
  u64 scratch_pa;
  Range read_only[kMaxRanges];
  usize read_only_count;
};

struct NestedMapStats {
  u64 gib_leaves, mib2_leaves, kib4_leaves;
};

// Maps everything described into the (empty) tables behind `b`.
Result<NestedMapStats, PtError> build_nested_identity_map(PageTableBuilder& b, TableMemory& mem,
                                                          const NestedMapSpec& spec);

}  // namespace tv
