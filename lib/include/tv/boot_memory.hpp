// Checks and figures the VMM derives from the boot loader's memory map before
// it touches anything: is its own region RAM that nothing else was put in, and
// how far does RAM reach.
#pragma once
#include "tv/e820.hpp"
#include "tv/result.hpp"

namespace tv {

enum class ReservationError : u8 { NotRam = 1, ModuleInside, Misaligned };
const char* to_string(ReservationError e);

// The VMM's region must lie inside one Usable region, overlap no boot module
// (index of the first offender in bad_module), and be 2 MiB-aligned at both
// ends (nested paging hides it in whole 2 MiB pages).
Status<ReservationError> check_vmm_reservation(const MemRegion* map, usize n, Range vmm, const Range* modules,
                                               usize module_count, usize& bad_module);

// End of the highest Usable region, capped at `cap`.
u64 usable_ram_top(const MemRegion* map, usize n, u64 cap);

}  // namespace tv
