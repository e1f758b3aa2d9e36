// The VMM's self-check: fingerprints, taken once everything is built and
// before the guest first runs, of every part of the VMM that must never
// change afterwards -- code and read-only data, the nested page tables (which
// hide the VMM), the VMCB's intercept and isolation fields, the I/O and MSR
// permission maps, the GDT/IDT/TSS, the VMM's own page tables -- and a canary
// in writable data. Compared again on request (the `integrity` service) and
// in every run report. Used to prove that nothing the guest does reaches the
// VMM. What it cannot see is listed in docs/ARCHITECTURE.md ("Integrity").
#pragma once
#include "tv/types.hpp"

namespace tv::integrity {

// Adds a region to the fingerprint (before seal(); at most kMaxRegions).
inline constexpr usize kMaxRegions = 96;  // 4 per vCPU (its VMCB) for up to 16 CPUs, and the rest
void protect(const char* what, u64 base, u64 size);
// A region made of one 32-byte entry repeated (the IOMMU's 2 MiB device
// table): compared entry by entry at each check, nothing hashed at seal(),
// which would cost ~2 M instructions at every start-up. size: a multiple of 32.
void protect_repeated(const char* what, u64 base, u64 size, const u64 (&entry)[4]);
// Takes the fingerprints. Regions protected later are refused (logged).
void seal();

struct Report {
  bool sealed;
  bool intact;
  u64 expected;
  u64 actual;
  u64 bytes_checked;
  usize regions;
  const char* first_changed;  // the first region that differs, or nullptr
};
Report verify();

// Proves the coverage (VMM option selftest.integrity): changes one byte of
// each region in turn, checks verify() names that region, and restores it.
// Logs one line per region; returns true if every change was caught.
bool selftest();

}  // namespace tv::integrity
