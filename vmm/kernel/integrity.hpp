// The VMM's self-check: a fingerprint of its code and read-only data taken at
// start-up, plus a canary page in writable data, compared again on request.
// Used to prove that nothing the guest does (e.g. /dev/mem writes into the
// VMM's physical range) reaches the VMM.
#pragma once
#include "tv/types.hpp"

namespace tv::integrity {

void init();
struct Report {
  bool intact;
  u64 expected;
  u64 actual;
  u64 bytes_checked;
};
Report verify();

}  // namespace tv::integrity
