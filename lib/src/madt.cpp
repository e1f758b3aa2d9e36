#include "tv/madt.hpp"

#include "tv/str.hpp"

namespace tv {
namespace {

constexpr usize kHeaderLen = 36;     // the common ACPI table header
constexpr usize kEntriesStart = 44;  // + local APIC address (4) + flags (4)
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

}  // namespace

MadtEdit keep_only_cpu(u8* table, usize len, u32 keep_apic_id) {
  MadtEdit e{};
  if (table == nullptr || len < kEntriesStart || len < kHeaderLen) return e;
  for (usize at = kEntriesStart; at + 2 <= len;) {
    const u8 type = table[at];
    const u8 entry_len = table[at + 1];
    if (entry_len < 2 || at + entry_len > len) break;
    u8* flags = nullptr;
    u32 id = 0;
    if (type == kTypeLocalApic && entry_len >= 8) {
      id = table[at + 3];
      flags = table + at + 4;
    } else if (type == kTypeLocalX2apic && entry_len >= 16) {
      id = load_le32(table + at + 4);
      flags = table + at + 8;
    }
    if (flags != nullptr) {
      ++e.cpus_seen;
      const u32 f = load_le32(flags);
      if (id == keep_apic_id) {
        e.keep_found = true;
      } else if ((f & (kEnabled | kOnlineCapable)) != 0) {
        store_le32(flags, f & ~(kEnabled | kOnlineCapable));
        ++e.cpus_hidden;
      }
    }
    at += entry_len;
  }
  if (e.cpus_hidden != 0) fix_checksum(table, len);
  return e;
}

}  // namespace tv
