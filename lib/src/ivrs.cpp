#include "tv/ivrs.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(IvrsError e) {
  switch (e) {
    case IvrsError::Truncated: return "IVRS truncated (shorter than its header or length field)";
    case IvrsError::BadSignature: return "IVRS signature is not \"IVRS\"";
    case IvrsError::BadChecksum: return "IVRS checksum mismatch";
    case IvrsError::BadBlockLength: return "IVRS block length below its type's minimum or past the table";
    case IvrsError::EntryPastBlock: return "IVHD device entry runs past its block";
    case IvrsError::UnknownEntryType: return "IVHD device entry of unknown variable-length type";
    case IvrsError::BadRange: return "IVHD device range without start or end, or end below start";
    case IvrsError::BadMmioBase: return "IVHD IOMMU MMIO base is 0 or not 4 KiB-aligned";
    case IvrsError::TooManyIommus: return "IVRS describes more IOMMUs than supported";
    case IvrsError::TooManyDeviceRanges: return "IVHD has more device entries than supported";
    case IvrsError::DuplicateIommu: return "two IVHD blocks of one type for the same IOMMU";
    case IvrsError::InconsistentIommu: return "IVHD blocks for the same IOMMU disagree on the MMIO base";
    case IvrsError::TooManyMemoryRanges: return "IVRS has more IVMD blocks than supported";
    case IvrsError::BadMemoryRange: return "IVMD range is empty or wraps past 2^64";
    case IvrsError::OverlappingMemoryRanges: return "IVMD memory ranges overlap";
  }
  return "unknown IVRS error";
}

namespace {

constexpr usize kLengthAt = 4;      // ACPI 6.5 §5.2.6: table length
constexpr usize kIvinfoAt = 36;     // §5.2.1 Table 92: IVinfo
constexpr usize kBlockHeader = 4;   // §5.2.2/§5.2.3: type, flags, length (u16) common to all blocks
constexpr usize kHidEntryMin = 22;  // §5.2.2.2 Table 97: ACPI HID entry up to and including UID length
constexpr u8 kVarietyIoapic = 1;    // §5.2.2.2 Table 96: special entry variety
constexpr u8 kVarietyHpet = 2;

// §5.2.2.2: entry length by type: 00h-3Fh 4 bytes, 40h-7Fh 8 bytes,
// 80h-FFh variable (only F0h is defined). 0: not knowable.
usize entry_length(const u8* e, usize avail) {
  const u8 type = e[0];
  if (type < 0x80) return usize(4) << (type >> 6);
  if (type == ivhd_entry::kAcpiHid) return avail < kHidEntryMin ? kHidEntryMin : kHidEntryMin + e[21];
  return 0;
}

bool is_range_start(u8 type) {
  return type == ivhd_entry::kRangeStart || type == ivhd_entry::kAliasRange || type == ivhd_entry::kExtRange;
}

// Walks the device entries of one IVHD block; stores ranges into `into` when
// it is not null (an alternative description is only validated).
Status<IvrsError> parse_entries(const u8* p, usize len, IvrsIommu* into, usize& unknown) {
  if (into != nullptr) into->range_count = 0;
  bool open = false;  // a range start is waiting for its end
  IvrsDeviceRange pending{};
  auto add = [&](const IvrsDeviceRange& r) -> Status<IvrsError> {
    if (into == nullptr) return Ok{};
    if (into->range_count == IvrsIommu::kMaxDeviceRanges) return Err{IvrsError::TooManyDeviceRanges};
    into->ranges[into->range_count++] = r;
    return Ok{};
  };
  for (usize at = 0; at < len;) {
    const u8* e = p + at;
    const usize n = entry_length(e, len - at);
    if (n == 0) return Err{IvrsError::UnknownEntryType};
    if (n > len - at) return Err{IvrsError::EntryPastBlock};
    const u8 type = e[0];
    const u16 id = load_le16(e + 1);
    const u8 setting = e[3];
    if (open && type != ivhd_entry::kRangeEnd) return Err{IvrsError::BadRange};
    IvrsDeviceRange r{id, id, IvrsDeviceKind::Device, setting, 0, 0, 0, 0};
    switch (type) {
      case ivhd_entry::kAll:
        r.first = 0;
        r.last = 0xFFFF;
        TV_TRY(add(r));
        break;
      case ivhd_entry::kSelect: TV_TRY(add(r)); break;
      case ivhd_entry::kAliasSelect:
      case ivhd_entry::kAliasRange:
        r.kind = IvrsDeviceKind::Alias;
        r.alias_id = load_le16(e + 5);
        break;
      case ivhd_entry::kExtSelect:
      case ivhd_entry::kExtRange:
        r.kind = IvrsDeviceKind::Extended;
        r.extended = load_le32(e + 4);
        break;
      case ivhd_entry::kSpecial: {
        const u8 variety = e[7];
        r.kind = variety == kVarietyIoapic ? IvrsDeviceKind::Ioapic
                 : variety == kVarietyHpet ? IvrsDeviceKind::Hpet
                                           : IvrsDeviceKind::OtherSpecial;
        r.handle = e[4];
        r.first = r.last = load_le16(e + 5);
        TV_TRY(add(r));
        break;
      }
      case ivhd_entry::kAcpiHid:
        r.kind = IvrsDeviceKind::AcpiHid;
        r.hid = load_le64(e + 4);
        TV_TRY(add(r));
        break;
      case ivhd_entry::kRangeStart: break;
      case ivhd_entry::kRangeEnd:
        if (!open || id < pending.first) return Err{IvrsError::BadRange};
        pending.last = id;
        open = false;
        TV_TRY(add(pending));
        break;
      default: ++unknown; break;
    }
    if (is_range_start(type)) {
      open = true;
      pending = r;
    } else if (type == ivhd_entry::kAliasSelect || type == ivhd_entry::kExtSelect) {
      TV_TRY(add(r));
    }
    at += n;
  }
  if (open) return Err{IvrsError::BadRange};
  return Ok{};
}

Status<IvrsError> parse_ivhd(const u8* b, usize len, Ivrs& out) {
  const u8 type = b[0];
  const usize header = type == kIvhdType10 ? kIvhd10HeaderLen : kIvhd11HeaderLen;
  if (len < header) return Err{IvrsError::BadBlockLength};
  // The header fields, read before deciding where (or whether) they are kept.
  struct {
    u8 type, flags;
    u16 device_id, capability_offset;
    u64 mmio_base;
    u16 pci_segment, iommu_info;
    u32 feature_info;
    u64 efr_image, efr2_image;
    u16 alternates;
  } h;
  h.type = type;
  h.flags = b[1];
  h.device_id = load_le16(b + 4);
  h.capability_offset = load_le16(b + 6);
  h.mmio_base = load_le64(b + 8);
  h.pci_segment = load_le16(b + 16);
  h.iommu_info = load_le16(b + 18);
  h.feature_info = load_le32(b + 20);
  h.efr_image = 0;
  h.efr2_image = 0;
  h.alternates = 0;
  if (type != kIvhdType10) {
    h.efr_image = load_le64(b + 24);
    h.efr2_image = load_le64(b + 32);
  }
  if (h.mmio_base == 0 || (h.mmio_base & (kPageSize - 1)) != 0) return Err{IvrsError::BadMmioBase};

  IvrsIommu* slot = nullptr;
  for (usize i = 0; i < out.iommu_count; ++i) {
    IvrsIommu& o = out.iommus[i];
    if (o.pci_segment != h.pci_segment || o.device_id != h.device_id) continue;
    if (o.type == type) return Err{IvrsError::DuplicateIommu};
    if (o.mmio_base != h.mmio_base) return Err{IvrsError::InconsistentIommu};
    slot = &o;
  }
  if (slot != nullptr) {
    const u16 alternates = u16(slot->alternates + 1);
    if (slot->type > type) {  // keep the newer description; only validate this one
      slot->alternates = alternates;
      return parse_entries(b + header, len - header, nullptr, out.unknown_entries);
    }
    h.alternates = alternates;
  } else {
    if (out.iommu_count == Ivrs::kMaxIommus) return Err{IvrsError::TooManyIommus};
    slot = &out.iommus[out.iommu_count++];
  }
  // Copy the header fields; the ranges are written in place by parse_entries.
  slot->type = h.type;
  slot->flags = h.flags;
  slot->device_id = h.device_id;
  slot->capability_offset = h.capability_offset;
  slot->mmio_base = h.mmio_base;
  slot->pci_segment = h.pci_segment;
  slot->iommu_info = h.iommu_info;
  slot->feature_info = h.feature_info;
  slot->efr_image = h.efr_image;
  slot->efr2_image = h.efr2_image;
  slot->alternates = h.alternates;
  return parse_entries(b + header, len - header, slot, out.unknown_entries);
}

Status<IvrsError> parse_ivmd(const u8* b, usize len, Ivrs& out) {
  if (len < kIvmdLen) return Err{IvrsError::BadBlockLength};
  IvrsMemoryRange m{};
  m.type = b[0];
  m.flags = b[1];
  m.first = m.type == kIvmdAll ? 0 : load_le16(b + 4);
  m.last = m.type == kIvmdAll ? 0xFFFF : m.type == kIvmdRange ? load_le16(b + 6) : m.first;
  m.base = load_le64(b + 16);
  m.length = load_le64(b + 24);
  if (m.last < m.first) return Err{IvrsError::BadRange};
  if (m.length == 0 || m.base + m.length < m.base) return Err{IvrsError::BadMemoryRange};
  for (usize i = 0; i < out.memory_range_count; ++i) {
    const IvrsMemoryRange& o = out.memory_ranges[i];
    if (m.base < o.base + o.length && o.base < m.base + m.length) return Err{IvrsError::OverlappingMemoryRanges};
  }
  if (out.memory_range_count == Ivrs::kMaxMemoryRanges) return Err{IvrsError::TooManyMemoryRanges};
  out.memory_ranges[out.memory_range_count++] = m;
  return Ok{};
}

}  // namespace

Status<IvrsError> parse_ivrs(const u8* table, usize len, Ivrs& out) {
  out.revision = 0;
  out.info = {};
  out.iommu_count = 0;
  out.memory_range_count = 0;
  out.unknown_blocks = 0;
  out.unknown_entries = 0;
  if (table == nullptr || len < kIvrsHeaderLen) return Err{IvrsError::Truncated};
  if (!(table[0] == 'I' && table[1] == 'V' && table[2] == 'R' && table[3] == 'S')) return Err{IvrsError::BadSignature};
  const u32 length = load_le32(table + kLengthAt);
  if (length < kIvrsHeaderLen || length > len) return Err{IvrsError::Truncated};
  u8 sum = 0;
  for (usize i = 0; i < length; ++i) sum = u8(sum + table[i]);
  if (sum != 0) return Err{IvrsError::BadChecksum};

  out.revision = table[8];
  const u32 iv = load_le32(table + kIvinfoAt);
  out.info = IvrsInfo{iv,
                      (iv & 1u) != 0,
                      (iv & 2u) != 0,
                      u8((iv >> 5) & 0x7),
                      u8((iv >> 8) & 0x7F),
                      u8((iv >> 15) & 0x7F),
                      (iv & (1u << 22)) != 0};

  for (usize at = kIvrsHeaderLen; at < length;) {
    if (length - at < kBlockHeader) return Err{IvrsError::BadBlockLength};
    const u8* b = table + at;
    const usize blen = load_le16(b + 2);
    if (blen < kBlockHeader || blen > length - at) return Err{IvrsError::BadBlockLength};
    switch (b[0]) {
      case kIvhdType10:
      case kIvhdType11:
      case kIvhdType40: TV_TRY(parse_ivhd(b, blen, out)); break;
      case kIvmdAll:
      case kIvmdDevice:
      case kIvmdRange: TV_TRY(parse_ivmd(b, blen, out)); break;
      default: ++out.unknown_blocks; break;
    }
    at += blen;
  }
  return Ok{};
}

}  // namespace tv
