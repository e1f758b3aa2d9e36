// The dbgsh service's start-up (dbgsh.cpp): registers the shell's tty endpoints.
#pragma once
#include "tv/domain_error.hpp"
#include "tv/result.hpp"

namespace tv {
// off: the VMM option dbgsh=off (every call answers kRecvOff).
Status<DomainError> init_dbgsh(bool off);
}  // namespace tv
