#include "tv/vmm_placement.hpp"

#include "tv/cpu_table.hpp"

namespace tv {

const char* to_string(PlacementError e) {
  switch (e) {
    case PlacementError::NoRoom: return "no usable RAM below 4 GiB is free for the VMM";
    case PlacementError::TooLarge: return "the VMM would need more memory than its 16 MiB bound";
  }
  return "unknown placement error";
}

namespace {
// The highest aligned base in [lo, hi) for `size` bytes that avoids every range, or 0.
u64 highest_fit(u64 lo, u64 hi, u64 size, const Range* avoid, usize n_avoid, u64 align) {
  while (hi >= lo + size && hi - size >= lo) {
    u64 base = align_down(hi - size, align);
    if (base < lo) return 0;
    Range r{base, size};
    u64 next_hi = 0;
    bool clash = false;
    for (usize i = 0; i < n_avoid; ++i) {
      if (avoid[i].size != 0 && r.overlaps(avoid[i])) {
        clash = true;
        // Retry below the lowest clashing range.
        if (next_hi == 0 || avoid[i].base < next_hi) next_hi = avoid[i].base;
      }
    }
    if (!clash) return base == 0 ? 0 : base;
    hi = next_hi;
  }
  return 0;
}
}  // namespace

Result<u64, PlacementError> choose_vmm_base(const MemRegion* map, usize n, u64 size, const Range* avoid, usize n_avoid,
                                            u64 limit, u64 align) {
  u64 best = 0;
  for (usize i = 0; i < n; ++i) {
    const MemRegion& m = map[i];
    if (m.type != E820Type::Usable || m.size == 0) continue;
    u64 lo = align_up(m.base, align);
    u64 end = m.base + m.size < m.base ? ~0ull : m.base + m.size;
    u64 hi = end < limit ? end : limit;
    if (lo >= hi) continue;
    u64 base = highest_fit(lo, hi, size, avoid, n_avoid, align);
    if (base > best) best = base;
  }
  if (best == 0) return Err{PlacementError::NoRoom};
  return best;
}

Result<PoolPlan, PlacementError> plan_pool(const PoolNeeds& needs) {
  PoolPlan p{};
  u8 bits = needs.maxphyaddr == 0 ? 36 : needs.maxphyaddr;  // CPUs that do not say have 36 (APM vol.3 CPUID)
  if (bits > kMaxNestedPhysBits) bits = kMaxNestedPhysBits;
  u64 space = 1ull << bits;
  u64 gibs = space / GiB == 0 ? 1 : space / GiB;
  u64 pdpts = (space + 512 * GiB - 1) / (512 * GiB);
  // Split regions: the VMM's own 2 MiB pages (shown to the guest as a scratch
  // page, 4 KiB at a time), and the interrupt windows the VMM write-protects
  // (local APIC/MSI at 0xFEE00000 and the I/O APIC at 0xFEC00000): one page
  // table each, plus a page directory for each GiB they sit in when the rest
  // of the space uses 1 GiB pages.
  u64 hidden_2m = (needs.image_bytes + 2 * MiB - 1) / (2 * MiB) + 8;  // + up to 16 MiB of pool
  u64 split_pts = hidden_2m + 2;
  u64 pds = needs.gib_pages ? 2 + 2 : gibs;  // VMM's GiB(s) and the 3-4 GiB one; or every GiB
  p.npt_table_bytes = (1 + pdpts + pds + split_pts) * kPageSize;
  u64 top = needs.ram_top > 64 * GiB ? 64 * GiB : needs.ram_top;
  p.direct_map_bytes = top > 4 * GiB ? ((top - 4 * GiB + GiB - 1) / GiB) * kPageSize : 0;
  p.fixed_bytes = 1 * MiB;
  p.cpu_bytes = u64(smp::kMaxCpus) * (smp::kHostStackBytes + 3 * kPageSize);
  p.domain_bytes = kDomainPoolBytes;
  p.log_bytes = needs.log_bytes;
  p.iommu_bytes = kIommuPoolBytes;
  p.pool_bytes = p.npt_table_bytes + p.direct_map_bytes + p.fixed_bytes + p.cpu_bytes + p.domain_bytes + p.log_bytes +
                 p.iommu_bytes;
  p.reservation_bytes = align_up(needs.image_bytes + p.pool_bytes, 2 * MiB);
  if (p.reservation_bytes > kMaxVmmReservation) return Err{PlacementError::TooLarge};
  return p;
}

}  // namespace tv
