#pragma once
#include "tv/types.hpp"

namespace tv {
inline constexpr const char* kVersion = "0.1.0";
// TSC when the VMM started; uptime is reported in TSC ticks (under QEMU
// -icount shift=0 these are guest instructions).
u64 boot_tsc();
}  // namespace tv
