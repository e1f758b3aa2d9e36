#include "tv/pci_config.hpp"

#include "tv/str.hpp"

namespace tv::pci {

ConfigTarget decode_config_address(u32 address, u16 data_port) {
  ConfigTarget t{};
  t.enabled = (address & 0x80000000u) != 0;
  t.device_id = u16((address >> 8) & 0xFFFF);
  t.offset = u16((address & 0xFC) + ((data_port - kConfigDataPort) & 3));
  return t;
}

u32 config_address_of(const ConfigTarget& t) {
  return (t.enabled ? 0x80000000u : 0) | u32(t.device_id) << 8 | (t.offset & 0xFC);
}

ConfigPortAccess classify_config_port_access(u16 port, u8 size) {
  const u32 first = port, last = u32(port) + size - 1;
  constexpr u32 kWindowFirst = kConfigDataPort, kWindowLast = kConfigDataPort + 3;
  if (port == kConfigAddressPort && size == 4) return ConfigPortAccess::Address;
  if (first >= kWindowFirst && last <= kWindowLast) return ConfigPortAccess::Data;
  if (first <= kWindowLast && last >= kWindowFirst) return ConfigPortAccess::Straddling;
  return ConfigPortAccess::Other;
}

const char* to_string(McfgError e) {
  switch (e) {
    case McfgError::Truncated: return "MCFG truncated";
    case McfgError::BadSignature: return "not an MCFG table";
    case McfgError::BadChecksum: return "MCFG checksum mismatch";
    case McfgError::BadEntry: return "MCFG entry with a bad base or bus range";
  }
  return "unknown MCFG error";
}

namespace {
constexpr usize kMcfgHeaderLen = 44;  // ACPI header (36) + 8 reserved bytes
constexpr usize kMcfgEntryLen = 16;
}  // namespace

Result<usize, McfgError> parse_mcfg(const u8* table, usize len, EcamWindow* out, usize max) {
  if (table == nullptr || len < kMcfgHeaderLen) return Err{McfgError::Truncated};
  if (mem_cmp(table, "MCFG", 4) != 0) return Err{McfgError::BadSignature};
  const u32 length = load_le32(table + 4);
  if (length < kMcfgHeaderLen || length > len) return Err{McfgError::Truncated};
  u8 sum = 0;
  for (u32 i = 0; i < length; ++i) sum = u8(sum + table[i]);
  if (sum != 0) return Err{McfgError::BadChecksum};
  usize n = 0;
  for (usize at = kMcfgHeaderLen; at + kMcfgEntryLen <= length; at += kMcfgEntryLen) {
    EcamWindow w{load_le64(table + at), load_le16(table + at + 8), table[at + 10], table[at + 11]};
    // 1 MiB per bus: the base must be 1 MiB-aligned, the buses in order.
    if (w.base == 0 || (w.base & 0xFFFFF) != 0 || w.end_bus < w.start_bus) return Err{McfgError::BadEntry};
    if (n < max) out[n] = w;
    ++n;
  }
  return n;
}

u64 ecam_page(const EcamWindow& w, u16 device_id) {
  const u8 bus = u8(device_id >> 8);
  if (bus < w.start_bus || bus > w.end_bus) return 0;
  // Bus, device and function select 1 MiB, 32 KiB and 4 KiB of the window (PCIe Base §7.2.2 Table 7-1).
  return w.base + (u64(bus - w.start_bus) << 20) + (u64(device_id & 0xFF) << 12);
}

bool ecam_register(const EcamWindow& w, u64 address, EcamRegister& out) {
  const u64 size = u64(w.end_bus - w.start_bus + 1) << 20;
  if (address < w.base || address - w.base >= size) return false;
  const u64 rel = address - w.base;
  out.device_id = u16((u64(w.start_bus) << 8) + (rel >> 12));
  out.offset = u16(rel & 0xFFF);
  return true;
}

bool ConfigGuard::hide(u16 id) {
  if (is_hidden(id)) return true;
  if (hidden_count_ == kMaxHidden) return false;
  hidden_[hidden_count_++] = id;
  return true;
}

bool ConfigGuard::protect(u16 id, u16 offset, u16 bytes) {
  if (protected_count_ == kMaxProtected || bytes == 0) return false;
  protected_[protected_count_++] = {id, offset, bytes};
  return true;
}

bool ConfigGuard::is_hidden(u16 id) const {
  for (usize i = 0; i < hidden_count_; ++i)
    if (hidden_[i] == id) return true;
  return false;
}

ConfigVerdict ConfigGuard::check(u16 id, u16 offset, u8 size, bool write) const {
  if (is_hidden(id)) return ConfigVerdict::Hidden;
  if (!write) return ConfigVerdict::Pass;
  const u32 end = u32(offset) + size;
  for (usize i = 0; i < protected_count_; ++i) {
    const Protected& p = protected_[i];
    // Any byte of the write inside the register keeps all of it from the hardware.
    if (p.device_id == id && offset < u32(p.offset) + p.bytes && p.offset < end) return ConfigVerdict::WriteProtected;
  }
  return ConfigVerdict::Pass;
}

}  // namespace tv::pci
