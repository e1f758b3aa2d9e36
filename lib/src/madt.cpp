#include "tv/madt.hpp"

#include "tv/str.hpp"

namespace tv {
namespace {

constexpr usize kEntriesStart = 44;  // the common ACPI table header (36) + local APIC address (4) + flags (4)
constexpr u8 kTypeLocalApic = 0;     // 8 bytes: type, len, ACPI UID, APIC ID, flags (4)
constexpr u8 kTypeLocalX2apic = 9;   // 16 bytes: type, len, reserved (2), x2APIC ID (4), flags (4), UID (4)
constexpr u32 kEnabled = 1u << 0;
constexpr u32 kOnlineCapable = 1u << 1;

void fix_checksum(u8* table, usize len) {
  constexpr usize kChecksumAt = 9;
  u8 sum = 0;
  for (usize i = 0; i < len; ++i)
    if (i != kChecksumAt) sum = u8(sum + table[i]);
  table[kChecksumAt] = u8(-sum);
}

// One processor entry as the scan finds it; flags_at is its flags field's offset in the table.
struct CpuEntry {
  u32 apic_id;
  u32 uid;
  usize flags_at;
  bool x2apic;
};

// Calls visit(const CpuEntry&) for every processor entry, in table order, up to the
// first malformed entry (length < 2 or past len). Entries too short for their type,
// and entries of other types, are skipped.
template <typename Visit>
void for_each_cpu(const u8* table, usize len, Visit&& visit) {
  if (table == nullptr || len < kEntriesStart) return;
  for (usize at = kEntriesStart; at + 2 <= len;) {
    const u8 type = table[at];
    const u8 entry_len = table[at + 1];
    if (entry_len < 2 || entry_len > len - at) return;
    if (type == kTypeLocalApic && entry_len >= 8) {
      visit(CpuEntry{table[at + 3], table[at + 2], at + 4, false});
    } else if (type == kTypeLocalX2apic && entry_len >= 16) {
      visit(CpuEntry{load_le32(table + at + 4), load_le32(table + at + 12), at + 8, true});
    }
    at += entry_len;
  }
}

bool contains(const u32* ids, usize count, u32 id) {
  for (usize i = 0; i < count; ++i)
    if (ids[i] == id) return true;
  return false;
}

}  // namespace

MadtEdit keep_only_cpu(u8* table, usize len, u32 keep_apic_id) {
  return keep_only_cpus(table, len, &keep_apic_id, 1);
}

MadtEdit keep_only_cpus(u8* table, usize len, const u32* keep, usize keep_count) {
  if (keep == nullptr) keep_count = 0;
  MadtEdit e{};
  for_each_cpu(table, len, [&](const CpuEntry& c) {
    ++e.cpus_seen;
    if (contains(keep, keep_count, c.apic_id)) return;
    u8* flags = table + c.flags_at;
    const u32 f = load_le32(flags);
    if ((f & (kEnabled | kOnlineCapable)) == 0) return;
    store_le32(flags, f & ~(kEnabled | kOnlineCapable));
    ++e.cpus_hidden;
  });
  // keep is a handful of IDs and the table a few dozen entries: one scan per ID.
  e.keep_found = true;
  for (usize i = 0; i < keep_count && e.keep_found; ++i) {
    bool found = false;
    for_each_cpu(table, len, [&](const CpuEntry& c) { found = found || c.apic_id == keep[i]; });
    e.keep_found = found;
  }
  if (e.cpus_hidden != 0) fix_checksum(table, len);
  return e;
}

usize list_madt_cpus(const u8* table, usize len, MadtCpu* out, usize max) {
  usize n = 0;
  for_each_cpu(table, len, [&](const CpuEntry& c) {
    if (out != nullptr && n < max) {
      const u32 f = load_le32(table + c.flags_at);
      out[n] = MadtCpu{c.apic_id, c.uid, (f & kEnabled) != 0, (f & kOnlineCapable) != 0, c.x2apic};
    }
    ++n;
  });
  return n;
}

}  // namespace tv
