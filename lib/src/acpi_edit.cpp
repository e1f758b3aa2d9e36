#include "tv/acpi_edit.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(AcpiEditError e) {
  switch (e) {
    case AcpiEditError::Truncated: return "ACPI table truncated";
    case AcpiEditError::BadSignature: return "not an RSDP, RSDT or XSDT";
    case AcpiEditError::BadChecksum: return "ACPI checksum mismatch";
    case AcpiEditError::BadLength: return "RSDT/XSDT length not a whole number of entries";
  }
  return "unknown ACPI edit error";
}

namespace {

constexpr usize kHeaderLen = 36;     // §5.2.6 system description table header
constexpr usize kChecksumAt = 9;     // §5.2.6: checksum byte
constexpr usize kRsdpV1Len = 20;     // §5.2.5.3: the ACPI 1.0 part
constexpr usize kRsdpV2Len = 36;     // with Length, XsdtAddress, Extended Checksum
constexpr usize kRsdpRevision = 15;  // §5.2.5.3 Table 5.3 field offsets
constexpr usize kRsdpRsdt = 16;
constexpr usize kRsdpLength = 20;
constexpr usize kRsdpXsdt = 24;

u8 sum(const u8* p, usize n) {
  u8 s = 0;
  for (usize i = 0; i < n; ++i) s = u8(s + p[i]);
  return s;
}

bool is(const u8* p, const char* sig, usize n) {
  for (usize i = 0; i < n; ++i)
    if (p[i] != u8(sig[i])) return false;
  return true;
}

}  // namespace

Result<AcpiRootPointers, AcpiEditError> read_rsdp(const u8* rsdp, usize len) {
  if (rsdp == nullptr || len < kRsdpV1Len) return Err{AcpiEditError::Truncated};
  if (!is(rsdp, "RSD PTR ", 8)) return Err{AcpiEditError::BadSignature};
  if (sum(rsdp, kRsdpV1Len) != 0) return Err{AcpiEditError::BadChecksum};
  AcpiRootPointers p{load_le32(rsdp + kRsdpRsdt), 0};
  if (rsdp[kRsdpRevision] >= 2) {
    if (len < kRsdpV2Len) return Err{AcpiEditError::Truncated};
    const u32 full = load_le32(rsdp + kRsdpLength);
    if (full < kRsdpV2Len || full > len) return Err{AcpiEditError::Truncated};
    if (sum(rsdp, full) != 0) return Err{AcpiEditError::BadChecksum};
    p.xsdt = load_le64(rsdp + kRsdpXsdt);
  }
  return p;
}

Result<usize, AcpiEditError> remove_sdt_entries(u8* sdt, usize capacity, const PhysMemory& mem,
                                                const char (&signature)[5]) {
  if (sdt == nullptr || capacity < kHeaderLen) return Err{AcpiEditError::Truncated};
  usize width;
  if (is(sdt, "RSDT", 4)) {
    width = 4;
  } else if (is(sdt, "XSDT", 4)) {
    width = 8;
  } else {
    return Err{AcpiEditError::BadSignature};
  }
  const u32 len = load_le32(sdt + 4);
  if (len < kHeaderLen || len > capacity) return Err{AcpiEditError::Truncated};
  if ((len - kHeaderLen) % width != 0) return Err{AcpiEditError::BadLength};
  if (sum(sdt, len) != 0) return Err{AcpiEditError::BadChecksum};

  const usize count = (len - kHeaderLen) / width;
  usize kept = 0;
  for (usize i = 0; i < count; ++i) {
    const u8* e = sdt + kHeaderLen + i * width;
    const u64 addr = width == 4 ? load_le32(e) : load_le64(e);
    u8 sig[4];
    if (mem.read(addr, sig, 4) && is(sig, signature, 4)) continue;
    u8* to = sdt + kHeaderLen + kept * width;
    if (to != e)
      for (usize b = 0; b < width; ++b) to[b] = e[b];
    ++kept;
  }
  const usize removed = count - kept;
  if (removed == 0) return usize(0);
  const usize new_len = kHeaderLen + kept * width;
  for (usize i = new_len; i < len; ++i) sdt[i] = 0;
  store_le32(sdt + 4, u32(new_len));
  sdt[kChecksumAt] = 0;
  sdt[kChecksumAt] = u8(-sum(sdt, new_len));
  return removed;
}

}  // namespace tv
