#include "tv/boot_memory.hpp"

namespace tv {

const char* to_string(ReservationError e) {
  switch (e) {
    case ReservationError::NotRam: return "is not usable RAM in the boot memory map";
    case ReservationError::ModuleInside: return "holds a boot module";
    case ReservationError::Misaligned: return "is not 2 MiB-aligned";
  }
  return "is unusable";
}

Status<ReservationError> check_vmm_reservation(const MemRegion* map, usize n, Range vmm, const Range* modules,
                                               usize module_count, usize& bad_module) {
  constexpr u64 k2M = 2 * MiB;
  if ((vmm.base & (k2M - 1)) != 0 || (vmm.size & (k2M - 1)) != 0) return Err{ReservationError::Misaligned};
  bool in_ram = false;
  for (usize i = 0; i < n; ++i) {
    const MemRegion& r = map[i];
    if (r.type == E820Type::Usable && vmm.base >= r.base && vmm.end() <= r.base + r.size) in_ram = true;
  }
  if (!in_ram) return Err{ReservationError::NotRam};
  for (usize i = 0; i < module_count; ++i) {
    if (vmm.overlaps(modules[i])) {
      bad_module = i;
      return Err{ReservationError::ModuleInside};
    }
  }
  return Ok{};
}

u64 usable_ram_top(const MemRegion* map, usize n, u64 cap) {
  u64 top = 0;
  for (usize i = 0; i < n; ++i) {
    const MemRegion& r = map[i];
    u64 end = r.base + r.size < r.base ? ~0ull : r.base + r.size;  // a wrapping entry reaches the top
    if (r.type == E820Type::Usable && end > top) top = end;
  }
  return top < cap ? top : cap;
}

}  // namespace tv
