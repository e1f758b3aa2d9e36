#include "tv/rsdp.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(RsdpError e) {
  switch (e) {
    case RsdpError::Unreadable: return "not in readable memory";
    case RsdpError::BadSignature: return "no \"RSD PTR \" signature";
    case RsdpError::BadChecksum: return "bad checksum";
    case RsdpError::BadLength: return "bad length field";
    case RsdpError::NotEfiSystemTable: return "no EFI system table signature";
    case RsdpError::TooManyTables: return "implausibly many EFI configuration tables";
    case RsdpError::NoAcpiTable: return "no ACPI entry in the EFI configuration table";
  }
  return "unknown RSDP error";
}

const char* to_string(RsdpSource s) {
  switch (s) {
    case RsdpSource::None: return "none";
    case RsdpSource::CommandLine: return "acpi.rsdp= on the command line";
    case RsdpSource::EfiSystemTable: return "the EFI system table";
    case RsdpSource::Multiboot2NewTag: return "the multiboot2 ACPI new RSDP tag";
    case RsdpSource::Multiboot2OldTag: return "the multiboot2 ACPI old RSDP tag";
    case RsdpSource::AcpiMemorySearch: return "a search of the firmware's ACPI memory";
    case RsdpSource::BiosSearch: return "the BIOS area search";
  }
  return "unknown";
}

namespace {

bool sums_to_zero(const u8* p, usize n) {
  u8 sum = 0;
  for (usize i = 0; i < n; ++i) sum = u8(sum + p[i]);
  return sum == 0;
}

}  // namespace

Result<usize, RsdpError> check_rsdp(const u8* p, usize len) {
  if (len < kRsdpV1Len) return Err{RsdpError::Unreadable};
  if (load_le64(p) != kRsdpSignature) return Err{RsdpError::BadSignature};
  if (!sums_to_zero(p, kRsdpV1Len)) return Err{RsdpError::BadChecksum};
  if (p[kRsdpRevision] < 2) return kRsdpV1Len;
  if (len < kRsdpV2MinLen) return Err{RsdpError::Unreadable};
  const u32 length = load_le32(p + kRsdpLength);
  if (length < kRsdpV2MinLen || length > kRsdpMaxLen) return Err{RsdpError::BadLength};
  if (length > len) return Err{RsdpError::Unreadable};
  if (!sums_to_zero(p, length)) return Err{RsdpError::BadChecksum};
  return usize(length);
}

Result<usize, RsdpError> check_rsdp_at(const PhysMemory& mem, u64 address) {
  u8 buf[kRsdpMaxLen];
  if (!mem.read(address, buf, kRsdpV1Len)) return Err{RsdpError::Unreadable};
  usize have = kRsdpV1Len;
  if (buf[kRsdpRevision] >= 2 && load_le64(buf) == kRsdpSignature) {
    if (!mem.read(address, buf, kRsdpLength + 4)) return Err{RsdpError::Unreadable};  // the Length field
    const u32 length = load_le32(buf + kRsdpLength);
    if (length >= kRsdpV2MinLen && length <= kRsdpMaxLen) {
      if (!mem.read(address, buf, length)) return Err{RsdpError::Unreadable};
      have = length;
    }
  }
  return check_rsdp(buf, have);
}

Result<u64, RsdpError> rsdp_from_efi_system_table(const PhysMemory& mem, u64 system_table, bool is64) {
  u8 st[kEfiSt64Size];
  if (!mem.read(system_table, st, is64 ? kEfiSt64Size : kEfiSt32Size)) return Err{RsdpError::Unreadable};
  if (load_le64(st) != kEfiSystemTableSignature) return Err{RsdpError::NotEfiSystemTable};
  const u64 count = is64 ? load_le64(st + kEfiSt64NumberOfTableEntries) : load_le32(st + kEfiSt32NumberOfTableEntries);
  const u64 table = is64 ? load_le64(st + kEfiSt64ConfigurationTable) : load_le32(st + kEfiSt32ConfigurationTable);
  if (count > kEfiMaxConfigTables) return Err{RsdpError::TooManyTables};
  const usize entry = kEfiGuidLen + (is64 ? 8 : 4);  // EFI_GUID, then VOID* VendorTable
  u64 acpi20 = 0, acpi10 = 0;
  for (u64 i = 0; i < count; ++i) {
    u8 e[kEfiGuidLen + 8];
    if (!mem.read(table + i * entry, e, entry)) return Err{RsdpError::Unreadable};
    const u64 vendor = is64 ? load_le64(e + kEfiGuidLen) : load_le32(e + kEfiGuidLen);
    if (acpi20 == 0 && mem_cmp(e, kEfiAcpi20Guid, kEfiGuidLen) == 0) acpi20 = vendor;
    if (acpi10 == 0 && mem_cmp(e, kEfiAcpi10Guid, kEfiGuidLen) == 0) acpi10 = vendor;
  }
  if (acpi20 == 0 && acpi10 == 0) return Err{RsdpError::NoAcpiTable};
  RsdpError why = RsdpError::NoAcpiTable;
  const u64 candidates[2] = {acpi20, acpi10};
  for (u64 candidate : candidates) {
    if (candidate == 0) continue;
    auto ok = check_rsdp_at(mem, candidate);
    if (ok) return candidate;
    why = ok.error();
  }
  return Err{why};
}

RsdpChoice choose_rsdp(const PhysMemory& mem, const RsdpOffer& offer) {
  RsdpChoice c;
  if (offer.cmdline_given) {
    if (auto ok = check_rsdp_at(mem, offer.cmdline_address); ok) {
      c.address = offer.cmdline_address;
      c.source = RsdpSource::CommandLine;
      return c;
    } else {
      c.cmdline_refused = true;
      c.cmdline_error = ok.error();
    }
  }
  if (offer.efi_system_table != 0) {
    if (auto a = rsdp_from_efi_system_table(mem, offer.efi_system_table, offer.efi_system_table_64); a) {
      c.address = *a;
      c.source = RsdpSource::EfiSystemTable;
      return c;
    } else {
      c.efi_refused = true;
      c.efi_error = a.error();
    }
  }
  if (offer.tag_copy_address != 0) {
    if (auto ok = check_rsdp_at(mem, offer.tag_copy_address); ok) {
      c.address = offer.tag_copy_address;
      c.source = offer.tag_source;
      return c;
    } else {
      c.tag_refused = true;
      c.tag_error = ok.error();
    }
  }
  if (offer.bios_search) {
    if (auto a = find_rsdp(mem); a) {
      c.address = *a;
      c.source = RsdpSource::BiosSearch;
      return c;
    }
  }
  if (u64 a = search_rsdp_in(mem, offer.acpi_memory, offer.acpi_memory_count); a != 0) {
    c.address = a;
    c.source = RsdpSource::AcpiMemorySearch;
  }
  return c;
}

namespace {
// The RSDP's root table has the signature its revision promises.
bool root_table_ok(const PhysMemory& mem, const u8* rsdp) {
  const bool xsdt = rsdp[kRsdpRevision] >= 2 && load_le64(rsdp + 24) != 0;
  const u64 root = xsdt ? load_le64(rsdp + 24) : load_le32(rsdp + 16);
  u8 sig[4];
  return root != 0 && mem.read(root, sig, sizeof sig) && mem_cmp(sig, xsdt ? "XSDT" : "RSDT", 4) == 0;
}
}  // namespace

u64 search_rsdp_in(const PhysMemory& mem, const Range* ranges, usize count) {
  constexpr u64 kChunk = 1024;
  alignas(8) u8 chunk[kChunk + kRsdpMaxLen];
  u64 budget = kMaxAcpiSearchBytes;
  u64 first_v1 = 0;  // an ACPI 1.0 RSDP, kept in case no 2.0 one follows (firmware often has both)
  for (usize r = 0; r < count && ranges != nullptr; ++r) {
    const u64 end = ranges[r].base + ranges[r].size;
    if (end < ranges[r].base) continue;  // wraps: not a range
    for (u64 base = ranges[r].base & ~3ull; base + kRsdpV1Len <= end && budget != 0; base += kChunk) {
      budget = budget > kChunk ? budget - kChunk : 0;  // every step counts, readable or not
      // Each chunk is read with the most an RSDP can be beyond it, so one
      // that starts near the chunk's end is checked whole.
      const u64 want = end - base < kChunk + kRsdpMaxLen ? end - base : kChunk + kRsdpMaxLen;
      if (!mem.read(base, chunk, want)) continue;
      for (u64 off = 0; off < kChunk && off + kRsdpV1Len <= want; off += 4) {
        if (load_le64(chunk + off) != kRsdpSignature) continue;
        if (!check_rsdp(chunk + off, want - off) || !root_table_ok(mem, chunk + off)) continue;
        if (chunk[off + kRsdpRevision] >= 2) return base + off;  // the XSDT's: what the EFI table would give
        if (first_v1 == 0) first_v1 = base + off;
      }
    }
  }
  return first_v1;
}

}  // namespace tv
