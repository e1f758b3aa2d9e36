#include "tv/amdvi_tables.hpp"

namespace tv {

const char* to_string(AmdViError e) {
  switch (e) {
    case AmdViError::OutOfMemory: return "out of memory for AMD-Vi tables";
    case AmdViError::Misaligned: return "AMD-Vi address not 4 KiB-aligned";
    case AmdViError::BadRange: return "AMD-Vi range above 2^48 or wrapping";
    case AmdViError::TooManyExcluded: return "too many ranges excluded from the I/O page table";
    case AmdViError::BadEntryCount: return "device table entry count not a multiple of 128 in 1..65536";
    case AmdViError::BadSetup: return "bad AMD-Vi device table or page table setup";
  }
  return "unknown AMD-Vi error";
}

using namespace amdvi;

Result<DeviceTableEntry, AmdViError> make_dte(const DteSetup& s) {
  DeviceTableEntry e{};
  u64 q0 = kDteValid | kDteTranslationValid | kDteReadAllowed | kDteWriteAllowed;
  if (s.mode == DteMode::Translate) {
    if (s.page_table_root == 0 || s.levels < 1 || s.levels > 6) return Err{AmdViError::BadSetup};
    if ((s.page_table_root & ~kDteRootMask) != 0) return Err{AmdViError::Misaligned};
    q0 |= (u64(s.levels) << kDteModeShift) | s.page_table_root;
  } else if (s.mode != DteMode::PassThrough) {
    return Err{AmdViError::BadSetup};
  }
  e.data[0] = q0;
  e.data[1] = s.domain_id & kDteDomainIdMask;
  return e;
}

Status<AmdViError> fill_device_table(DeviceTableEntry* table, usize count, const DteSetup& s) {
  if (table == nullptr || count == 0 || count > kDeviceTableMaxEntries || count % kDeviceTableEntriesPerPage != 0)
    return Err{AmdViError::BadEntryCount};
  auto e = make_dte(s);
  if (!e) return Err{e.error()};
  for (usize i = 0; i < count; ++i) table[i] = *e;
  return Ok{};
}

Result<u64, AmdViError> device_table_base_register(u64 phys, usize count) {
  if (count == 0 || count > kDeviceTableMaxEntries || count % kDeviceTableEntriesPerPage != 0)
    return Err{AmdViError::BadEntryCount};
  if ((phys & ~kDteRootMask) != 0) return Err{AmdViError::Misaligned};
  return phys | (count / kDeviceTableEntriesPerPage - 1);
}

namespace {

constexpr u64 entry_span(int level) {  // bytes one entry maps at level (1 = PT)
  return kPageSize << (9 * (level - 1));
}

struct Builder {
  TableMemory& mem;
  u64 top;
  u64 largest;
  Range ex[kMaxExcludedRanges];  // sorted, disjoint, non-touching
  usize ex_count;
  IoIdentityMap out;

  // 0: [b, e) is clear of every excluded range; 1: partly excluded; 2: fully excluded.
  int excluded(u64 b, u64 e) const {
    for (usize i = 0; i < ex_count; ++i) {
      const u64 xb = ex[i].base, xe = ex[i].base + ex[i].size;
      if (xb <= b && e <= xe) return 2;
      if (b < xe && xb < e) return 1;
    }
    return 0;
  }

  Status<AmdViError> fill(u64 table_phys, int level, u64 base) {
    const u64 span = entry_span(level);
    for (u64 i = 0; i < 512; ++i) {
      const u64 b = base + i * span, e = b + span;
      if (b >= top) {  // beyond top: faults (and is reported) like excluded memory
        mem.table_at(table_phys)[i] = kPteExcluded;
        continue;
      }
      // What this entry would map: [b, e) up to top, minus the excluded ranges.
      const int x = excluded(b, e < top ? e : top);
      u64* t = mem.table_at(table_phys);
      if (x == 2) {
        t[i] = kPteExcluded;
        continue;
      }
      if (x == 0 && e <= top && span <= largest && level <= 3) {
        t[i] = b | kPtePresent | kPteReadAllowed | kPteWriteAllowed;  // Next Level 0: a leaf
        if (level == 1) ++out.pages_4k;
        if (level == 2) ++out.pages_2m;
        if (level == 3) ++out.pages_1g;
        continue;
      }
      auto child = mem.alloc_table();
      if (!child) return Err{AmdViError::OutOfMemory};
      ++out.tables;
      // Permissions are ANDed over the walk: tables allow both.
      t = mem.table_at(table_phys);
      t[i] = *child | (u64(level - 1) << kPteNextLevelShift) | kPtePresent | kPteReadAllowed | kPteWriteAllowed;
      TV_TRY(fill(*child, level - 1, b));
    }
    return Ok{};
  }
};

}  // namespace

Result<IoIdentityMap, AmdViError> build_io_identity_map(TableMemory& mem, const IoMapRequest& req) {
  if ((req.top & (kPageSize - 1)) != 0) return Err{AmdViError::Misaligned};
  if (req.top > kAddressLimit) return Err{AmdViError::BadRange};
  const u64 largest = u64(req.largest);
  if (largest != u64(PageSize::k4K) && largest != u64(PageSize::k2M) && largest != u64(PageSize::k1G))
    return Err{AmdViError::BadSetup};
  if (req.excluded_count > kMaxExcludedRanges || (req.excluded_count != 0 && req.excluded == nullptr))
    return Err{AmdViError::TooManyExcluded};
  Builder bld{mem, req.top, largest, {}, 0, {}};
  // Sort (insertion; at most 16) and merge the excluded ranges.
  for (usize i = 0; i < req.excluded_count; ++i) {
    Range r = req.excluded[i];
    if (((r.base | r.size) & (kPageSize - 1)) != 0) return Err{AmdViError::Misaligned};
    if (r.base + r.size < r.base) return Err{AmdViError::BadRange};
    if (r.size == 0) continue;
    usize at = bld.ex_count;
    while (at > 0 && bld.ex[at - 1].base > r.base) {
      bld.ex[at] = bld.ex[at - 1];
      --at;
    }
    bld.ex[at] = r;
    ++bld.ex_count;
  }
  usize merged = 0;
  for (usize i = 0; i < bld.ex_count; ++i) {
    Range& last = bld.ex[merged == 0 ? 0 : merged - 1];
    if (merged != 0 && bld.ex[i].base <= last.base + last.size) {
      const u64 end = bld.ex[i].base + bld.ex[i].size;
      if (end > last.base + last.size) last.size = end - last.base;
    } else {
      bld.ex[merged++] = bld.ex[i];
    }
  }
  bld.ex_count = merged;

  auto root = mem.alloc_table();
  if (!root) return Err{AmdViError::OutOfMemory};
  bld.out.root = *root;
  bld.out.tables = 1;
  TV_TRY(bld.fill(*root, kLevels, 0));
  return bld.out;
}

IoTranslation io_translate(TableMemory& mem, u64 root, u8 levels, u64 dma_address) {
  IoTranslation t{false, 0, 0, true, true};
  if (levels < 1 || levels > 6) return t;
  const unsigned bits = 12 + 9 * unsigned(levels);
  if (bits < 64 && (dma_address >> bits) != 0) return t;
  u64 table = root;
  for (int level = levels; level >= 1; --level) {
    const u64 span = entry_span(level);
    const u64 e = mem.table_at(table)[(dma_address / span) & 511];
    if ((e & kPtePresent) == 0) return t;
    t.read = t.read && (e & kPteReadAllowed) != 0;
    t.write = t.write && (e & kPteWriteAllowed) != 0;
    const u64 next = (e & kPteNextLevelMask) >> kPteNextLevelShift;
    if (next == 0) {
      t.mapped = true;
      t.page_size = span;
      t.address = (e & kPteAddrMask & ~(span - 1)) | (dma_address & (span - 1));
      return t;
    }
    if (next != u64(level - 1)) return t;
    table = e & kPteAddrMask;
  }
  return t;
}

}  // namespace tv
