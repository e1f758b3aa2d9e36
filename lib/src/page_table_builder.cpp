#include "tv/page_table_builder.hpp"

namespace tv {

const char* to_string(PtError e) {
  switch (e) {
    case PtError::OutOfMemory: return "out of memory for page tables";
    case PtError::Misaligned: return "address not aligned to the page size";
    case PtError::AlreadyMapped: return "a larger page already maps this address";
    case PtError::AddressTooHigh: return "address beyond 48-bit reach";
  }
  return "unknown page-table error";
}

namespace {
constexpr u64 index_at(u64 va, int level) {
  return (va >> (12 + 9 * (level - 1))) & 0x1FF;
}
}  // namespace

Result<u64*, PtError> PageTableBuilder::walk_to(u64 va, int level) {
  if (va >> 48 != 0) return Err{PtError::AddressTooHigh};
  u64* table = mem_.table_at(root_);
  for (int l = 4; l > level; --l) {
    u64& e = table[index_at(va, l)];
    if ((e & pte::kPresent) == 0) {
      auto t = mem_.alloc_table();
      if (!t) return Err{t.error()};
      e = *t | table_flags_;
    } else if ((e & pte::kLargePage) != 0) {
      return Err{PtError::AlreadyMapped};
    }
    table = mem_.table_at(e & pte::kAddrMask);
  }
  return &table[index_at(va, level)];
}

Status<PtError> PageTableBuilder::map(u64 va, u64 pa, PageSize size, u64 leaf_flags) {
  u64 sz = u64(size);
  if ((va & (sz - 1)) != 0 || (pa & (sz - 1)) != 0) return Err{PtError::Misaligned};
  int level = size == PageSize::k1G ? 3 : size == PageSize::k2M ? 2 : 1;
  // Do not silently punch a hole into an existing larger leaf.
  u64 existing = lookup(va);
  if (existing != 0 && (existing & pte::kLargePage) != 0 && (level == 1 || existing_level(va) > level))
    return Err{PtError::AlreadyMapped};
  auto e = walk_to(va, level);
  if (!e) return Err{e.error()};
  **e = (pa & pte::kAddrMask) | leaf_flags | (level >= 2 ? pte::kLargePage : 0);
  return Ok{};
}

Status<PtError> PageTableBuilder::map_gib_as_2m(u64 va1g, u64 leaf_flags) {
  if ((va1g & (u64(PageSize::k1G) - 1)) != 0) return Err{PtError::Misaligned};
  if (lookup(va1g) != 0 && existing_level(va1g) == 3) return Err{PtError::AlreadyMapped};
  auto e = walk_to(va1g, 2);
  if (!e) return Err{e.error()};
  u64* pd = *e;  // entry 0 of the page directory that covers this GiB
  for (u64 i = 0; i < 512; ++i) pd[i] = (va1g + (i << 21)) | leaf_flags | pte::kLargePage;
  return Ok{};
}


Status<PtError> PageTableBuilder::set_pde(u64 va, u64 value) {
  auto e = walk_to(va, 2);
  if (!e) return Err{e.error()};
  **e = value;
  return Ok{};
}

PageTableBuilder::Leaf PageTableBuilder::leaf(u64 va) const {
  if (va >> 48 != 0) return {0, 0};
  const u64* table = mem_.table_at(root_);
  for (int l = 4; l >= 1; --l) {
    u64 e = table[index_at(va, l)];
    if ((e & pte::kPresent) == 0) return {0, 0};
    if (l == 1 || (l <= 3 && (e & pte::kLargePage) != 0)) return {e, l};
    table = mem_.table_at(e & pte::kAddrMask);
  }
  return {0, 0};
}

u64 PageTableBuilder::lookup(u64 va) const {
  return leaf(va).entry;
}

int PageTableBuilder::existing_level(u64 va) const {
  return leaf(va).level;
}

}  // namespace tv
