#include "tv/acpi.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(AcpiError e) {
  switch (e) {
    case AcpiError::NoRsdp: return "no ACPI RSDP found";
    case AcpiError::BadChecksum: return "ACPI table checksum mismatch";
    case AcpiError::Unreadable: return "ACPI table not readable";
    case AcpiError::NoFadt: return "no FADT in the RSDT/XSDT";
    case AcpiError::NoPm1aControl: return "FADT has no PM1a control block";
    case AcpiError::NoSuchTable: return "no such table in the RSDT/XSDT";
  }
  return "unknown ACPI error";
}

namespace {

constexpr usize kHeaderLen = 36;  // ACPI 6.5 §5.2.6 system description table header
// FADT field offsets, ACPI 6.5 §5.2.9 Table 5.9.
constexpr usize kFadtDsdt = 40;       // DSDT (32-bit physical address)
constexpr usize kFadtPm1aCnt = 64;    // PM1a_CNT_BLK (32-bit I/O port)
constexpr usize kFadtPm1bCnt = 68;    // PM1b_CNT_BLK
constexpr usize kFadtFlags = 112;     // bit 10 RESET_REG_SUP
constexpr usize kFadtResetReg = 116;  // RESET_REG (12-byte GAS, §5.2.3.2)
constexpr usize kFadtResetValue = 128;
constexpr usize kFadtXDsdt = 140;     // X_DSDT (64-bit)
constexpr usize kFadtXPm1aCnt = 172;  // X_PM1a_CNT_BLK (12-byte GAS)
constexpr usize kFadtXPm1bCnt = 184;  // X_PM1b_CNT_BLK
constexpr u8 kGasSystemIo = 1;
constexpr u32 kFlagResetRegSup = 1u << 10;
constexpr usize kMaxTableLen = 1 << 20;

bool checksum_ok(const u8* p, usize n) {
  u8 sum = 0;
  for (usize i = 0; i < n; ++i) sum = u8(sum + p[i]);
  return sum == 0;
}

// Reads a whole table into buf (bounded) after checking its length and checksum.
Result<u32, AcpiError> read_table(const PhysMemory& mem, u64 addr, u8* buf, usize cap) {
  u8 hdr[kHeaderLen];
  if (!mem.read(addr, hdr, kHeaderLen)) return Err{AcpiError::Unreadable};
  u32 len = load_le32(hdr + 4);
  if (len < kHeaderLen || len > kMaxTableLen) return Err{AcpiError::Unreadable};
  usize n = len < cap ? len : cap;
  if (!mem.read(addr, buf, n)) return Err{AcpiError::Unreadable};
  if (n == len && !checksum_ok(buf, n)) return Err{AcpiError::BadChecksum};
  return u32(n);
}

// A PM1 control port: the 32-bit block field, overridden by the extended GAS
// when that is in I/O space and set. 0 if absent or not a 16-bit port.
u32 pm1_port(const u8* fadt, usize len, usize legacy, usize extended) {
  u32 port = len >= legacy + 4 ? load_le32(fadt + legacy) : 0;
  if (len >= extended + 12 && fadt[extended] == kGasSystemIo) {
    u64 x = load_le64(fadt + extended + 4);
    if (x != 0 && x <= 0xFFFF) port = u32(x);
  }
  return port <= 0xFFFF ? port : 0;
}

AcpiPowerInfo parse_fadt(u64 addr, const u8* fadt, usize len) {
  AcpiPowerInfo info{};
  info.fadt_address = addr;
  info.pm1a_control_port = u16(pm1_port(fadt, len, kFadtPm1aCnt, kFadtXPm1aCnt));
  info.pm1b_control_port = u16(pm1_port(fadt, len, kFadtPm1bCnt, kFadtXPm1bCnt));
  if (len > kFadtResetValue && (load_le32(fadt + kFadtFlags) & kFlagResetRegSup) != 0 &&
      fadt[kFadtResetReg] == kGasSystemIo) {
    u64 port = load_le64(fadt + kFadtResetReg + 4);
    if (port != 0 && port <= 0xFFFF) {
      info.reset_io = true;
      info.reset_port = u16(port);
      info.reset_value = fadt[kFadtResetValue];
    }
  }
  if (len >= kFadtDsdt + 4) info.dsdt_address = load_le32(fadt + kFadtDsdt);
  if (len >= kFadtXDsdt + 8 && load_le64(fadt + kFadtXDsdt) != 0) info.dsdt_address = load_le64(fadt + kFadtXDsdt);
  return info;
}

}  // namespace

Result<u64, AcpiError> find_rsdp(const PhysMemory& mem) {
  u8 buf[20];
  // The area is read 1 KiB at a time and searched for the signature at every
  // 16-byte step in that copy; only a match reads the whole structure. (One
  // read per step cost 265,000 instructions per search at every start-up.)
  constexpr u64 kSignature = 0x2052545020445352ull;  // "RSD PTR " little-endian
  constexpr u64 kChunk = 1024;
  auto scan = [&](u64 from, u64 to) -> u64 {
    alignas(8) u8 chunk[kChunk];
    for (u64 base = from; base + 20 <= to; base += kChunk) {
      const u64 len = to - base < kChunk ? to - base : kChunk;
      if (!mem.read(base, chunk, len)) {
        // Partly unreadable: fall back to one read per step for this chunk.
        for (u64 a = base; a + 20 <= base + len; a += 16) {
          u64 sig = 0;
          if (!mem.read_u64(a, sig) || sig != kSignature) continue;
          if (mem.read(a, buf, 20) && checksum_ok(buf, 20)) return a;
        }
        continue;
      }
      for (u64 off = 0; off + 8 <= len; off += 16) {
        if (load_le64(chunk + off) != kSignature) continue;
        const u64 a = base + off;
        if (a + 20 <= to && mem.read(a, buf, 20) && checksum_ok(buf, 20)) return a;
      }
    }
    return 0;
  };
  u8 ebda_seg[2];
  if (mem.read(0x40E, ebda_seg, 2)) {
    u64 ebda = u64(load_le16(ebda_seg)) << 4;
    if (ebda >= 0x80000 && ebda < 0xA0000) {
      if (u64 a = scan(ebda, ebda + 1024)) return a;
    }
  }
  if (u64 a = scan(0xE0000, 0x100000)) return a;
  return Err{AcpiError::NoRsdp};
}

Result<AcpiTable, AcpiError> find_acpi_table(const PhysMemory& mem, const char (&signature)[5]) {
  auto rsdp_addr = find_rsdp(mem);
  if (!rsdp_addr) return Err{rsdp_addr.error()};
  return find_acpi_table(mem, *rsdp_addr, signature);
}

Result<AcpiTable, AcpiError> find_acpi_table(const PhysMemory& mem, u64 rsdp_addr, const char (&signature)[5]) {
  u8 rsdp[36] = {};
  if (!mem.read(rsdp_addr, rsdp, 36)) return Err{AcpiError::Unreadable};
  bool use_xsdt = rsdp[15] >= 2 && load_le64(rsdp + 24) != 0;
  u64 sdt_addr = use_xsdt ? load_le64(rsdp + 24) : load_le32(rsdp + 16);
  usize entry_size = use_xsdt ? 8 : 4;

  u8 sdt[4096];
  auto sdt_len = read_table(mem, sdt_addr, sdt, sizeof sdt);
  if (!sdt_len) return Err{sdt_len.error()};
  for (usize off = kHeaderLen; off + entry_size <= *sdt_len; off += entry_size) {
    u64 addr = use_xsdt ? load_le64(sdt + off) : load_le32(sdt + off);
    u8 hdr[kHeaderLen];
    if (!mem.read(addr, hdr, sizeof hdr) || mem_cmp(hdr, signature, 4) != 0) continue;
    u32 len = load_le32(hdr + 4);
    if (len < kHeaderLen || len > kMaxTableLen) return Err{AcpiError::Unreadable};
    u8 sum = 0;
    u8 chunk[256];
    for (u32 done = 0; done < len;) {
      u32 n = len - done < sizeof chunk ? len - done : u32(sizeof chunk);
      if (!mem.read(addr + done, chunk, n)) return Err{AcpiError::Unreadable};
      for (u32 i = 0; i < n; ++i) sum = u8(sum + chunk[i]);
      done += n;
    }
    if (sum != 0) return Err{AcpiError::BadChecksum};
    return AcpiTable{addr, len};
  }
  return Err{AcpiError::NoSuchTable};
}

Result<AcpiPowerInfo, AcpiError> find_acpi_power_info(const PhysMemory& mem) {
  auto rsdp_addr = find_rsdp(mem);
  if (!rsdp_addr) return Err{rsdp_addr.error()};
  return find_acpi_power_info(mem, *rsdp_addr);
}

Result<AcpiPowerInfo, AcpiError> find_acpi_power_info(const PhysMemory& mem, u64 rsdp_addr) {
  auto fadt_ref = find_acpi_table(mem, rsdp_addr, "FACP");
  if (!fadt_ref) return Err{fadt_ref.error() == AcpiError::NoSuchTable ? AcpiError::NoFadt : fadt_ref.error()};
  u8 fadt[512];
  auto fadt_len = read_table(mem, fadt_ref->address, fadt, sizeof fadt);
  if (!fadt_len) return Err{fadt_len.error()};
  AcpiPowerInfo info = parse_fadt(fadt_ref->address, fadt, *fadt_len);
  if (info.pm1a_control_port == 0) return Err{AcpiError::NoPm1aControl};
  return info;
}

}  // namespace tv
