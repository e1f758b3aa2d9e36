#include "kernel/integrity.hpp"

#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "tv/checksum.hpp"

namespace tv::integrity {
namespace {
// Filled with a pattern at start-up; lives in .data so it is writable VMM memory.
alignas(4096) u8 g_canary[4096] = {1};

struct Region {
  const char* what;
  u64 base;
  u64 size;
  u64 expected;
  bool repeated;  // protect_repeated: `entry` over and over
  u64 entry[4];
};
Region g_regions[kMaxRegions];
usize g_count = 0;
bool g_sealed = false;

u64 fingerprint(const Region& r) {
  if (!r.repeated) return fingerprint64(mem::phys_to_ptr<const u8>(r.base), r.size);
  // The expected value stands for "every entry as given"; any other entry changes it.
  const u64 whole = fingerprint64(r.entry, sizeof r.entry) ^ r.size;
  const auto* q = mem::phys_to_ptr<const u64>(r.base);
  for (u64 i = 0; i < r.size / 8; i += 4)
    if (q[i] != r.entry[0] || q[i + 1] != r.entry[1] || q[i + 2] != r.entry[2] || q[i + 3] != r.entry[3]) return ~whole;
  return whole;
}
}  // namespace

void protect(const char* what, u64 base, u64 size) {
  if (g_sealed || g_count == kMaxRegions) {
    TV_LOG("warning: integrity: '%s' not covered (%s)", what, g_sealed ? "already sealed" : "too many regions");
    return;
  }
  g_regions[g_count++] = {what, base, size, 0, false, {}};
}

void protect_repeated(const char* what, u64 base, u64 size, const u64 (&entry)[4]) {
  if (g_sealed || g_count == kMaxRegions || size % 32 != 0) {
    TV_LOG("warning: integrity: '%s' not covered", what);
    return;
  }
  g_regions[g_count++] = {what, base, size, 0, true, {entry[0], entry[1], entry[2], entry[3]}};
}

void seal() {
  for (usize i = 0; i < sizeof g_canary; ++i) g_canary[i] = u8(i * 131 + 7);
  Range img = mem::image_region();
  protect("code and read-only data", img.base, img.size);
  protect("canary", reinterpret_cast<u64>(g_canary), sizeof g_canary);
  u64 bytes = 0;
  for (usize i = 0; i < g_count; ++i) {
    Region& reg = g_regions[i];
    if (reg.repeated) {
      reg.expected = fingerprint64(reg.entry, sizeof reg.entry) ^ reg.size;  // checked, not hashed, now
      continue;
    }
    reg.expected = fingerprint(reg);
    bytes += reg.size;
  }
  g_sealed = true;
  TV_LOG("integrity: %lu regions, %lu bytes fingerprinted", g_count, bytes);
}

Report verify() {
  Report r{g_sealed, g_sealed, 0, 0, 0, g_count, nullptr};
  u64 expected = kFnvOffset, actual = kFnvOffset;
  for (usize i = 0; i < g_count; ++i) {
    const Region& reg = g_regions[i];
    u64 now = fingerprint(reg);
    if (now != reg.expected && r.first_changed == nullptr) {
      r.intact = false;
      r.first_changed = reg.what;
    }
    expected = (expected ^ reg.expected) * kFnvPrime;
    actual = (actual ^ now) * kFnvPrime;
    r.bytes_checked += reg.size;
  }
  r.expected = expected;
  r.actual = actual;
  return r;
}

bool selftest() {
  bool all = true;
  for (usize i = 0; i < g_count; ++i) {
    // The last byte: never code the check itself runs (the image region ends with rodata).
    volatile u8* b = mem::phys_to_ptr<volatile u8>(g_regions[i].base + g_regions[i].size - 1);
    const u8 old = *b;
    *b = u8(old ^ 0x40);
    Report r = verify();
    *b = old;
    const bool caught = !r.intact && r.first_changed == g_regions[i].what;
    all = all && caught;
    TV_LOG("integrity selftest: a change to %s is %s", g_regions[i].what, caught ? "caught" : "MISSED");
  }
  const bool restored = verify().intact;
  TV_LOG("integrity selftest: %s; after restoring: %s", all ? "every region covered" : "some change was missed",
         restored ? "intact" : "CORRUPTED");
  return all && restored;
}

}  // namespace tv::integrity
