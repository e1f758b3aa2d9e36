#include "tv/nested_identity_map.hpp"

namespace tv {
namespace {

bool overlaps_any(Range r, const Range* ranges, usize n) {
  for (usize i = 0; i < n; ++i)
    if (ranges[i].size != 0 && r.overlaps(ranges[i])) return true;
  return false;
}

// Special ranges (hidden, read-only), narrowed to what touches one GiB or one
// 2 MiB chunk (usually one or two): the split GiBs' 512 chunks and each page
// table's 512 entries are judged against those alone, not against all of them
// (this loop runs at every start-up: ~250,000 instructions saved).
struct Specials {
  Range hidden[NestedMapSpec::kMaxRanges];
  usize hidden_count = 0;
  Range read_only[NestedMapSpec::kMaxRanges];
  usize read_only_count = 0;

  bool touch(Range r) const {
    return overlaps_any(r, hidden, hidden_count) || overlaps_any(r, read_only, read_only_count);
  }
  Specials within(Range r) const {
    Specials c;
    for (usize i = 0; i < hidden_count; ++i)
      if (hidden[i].size != 0 && r.overlaps(hidden[i])) c.hidden[c.hidden_count++] = hidden[i];
    for (usize i = 0; i < read_only_count; ++i)
      if (read_only[i].size != 0 && r.overlaps(read_only[i])) c.read_only[c.read_only_count++] = read_only[i];
    return c;
  }
};

Specials specials_of(const NestedMapSpec& s) {
  Specials all;
  for (usize i = 0; i < s.hidden_count && i < NestedMapSpec::kMaxRanges; ++i)
    all.hidden[all.hidden_count++] = s.hidden[i];
  for (usize i = 0; i < s.read_only_count && i < NestedMapSpec::kMaxRanges; ++i)
    all.read_only[all.read_only_count++] = s.read_only[i];
  return all;
}

u64 entry_4k(const NestedMapSpec& s, const Specials& c, u64 pa) {
  Range page{pa, kPageSize};
  if (overlaps_any(page, c.hidden, c.hidden_count)) return s.scratch_pa | s.leaf_flags;
  if (overlaps_any(page, c.read_only, c.read_only_count)) return pa | (s.leaf_flags & ~pte::kWritable);
  return pa | s.leaf_flags;
}

// One GiB that holds a special range: 2 MiB leaves (one tight loop), then a
// page table for each 2 MiB that holds a special range.
Status<PtError> map_split_gib(PageTableBuilder& b, const NestedMapSpec& s, const Specials& in_gib, u64 gib,
                              NestedMapStats& st) {
  TV_TRY(b.map_gib_as_2m(gib, s.leaf_flags));
  st.mib2_leaves += 512;
  for (u64 m = gib; m < gib + GiB; m += 2 * MiB) {
    if (!in_gib.touch({m, 2 * MiB})) continue;
    const Specials c = in_gib.within({m, 2 * MiB});
    TV_TRY(b.remap_4k(m, [&](u64 i) { return entry_4k(s, c, m + i * kPageSize); }));
    --st.mib2_leaves;
    st.kib4_leaves += 512;
  }
  return Ok{};
}

}  // namespace

Result<NestedMapStats, PtError> build_nested_identity_map(PageTableBuilder& b, TableMemory&,
                                                          const NestedMapSpec& spec) {
  NestedMapStats st{};
  u8 bits = spec.phys_bits > 48 ? 48 : spec.phys_bits;
  u64 top = 1ull << bits;
  const Specials all = specials_of(spec);
  constexpr u64 kPdptSpan = 512 * GiB;
  for (u64 block = 0; block < top && spec.gib_pages; block += kPdptSpan) {
    // With 1 GiB pages, each 512 GiB is one page directory pointer table:
    // its plain GiBs are written straight into it (one walk per table, not
    // per GiB), the few special ones split below.
    const Specials in_block = all.within({block, kPdptSpan});
    auto first = b.entry_at(block, 3);
    if (!first) return Err{first.error()};
    u64* pdpt = *first;
    for (u64 i = 0; i < 512 && block + i * GiB < top; ++i) {
      const u64 gib = block + i * GiB;
      if (in_block.touch({gib, GiB})) {
        TV_TRY(map_split_gib(b, spec, in_block.within({gib, GiB}), gib, st));
      } else {
        pdpt[i] = gib | spec.leaf_flags | pte::kLargePage;
        ++st.gib_leaves;
      }
    }
  }
  for (u64 gib = 0; gib < top && !spec.gib_pages; gib += GiB) {
    if (all.touch({gib, GiB})) {
      TV_TRY(map_split_gib(b, spec, all.within({gib, GiB}), gib, st));
    } else {
      TV_TRY(b.map_gib_as_2m(gib, spec.leaf_flags));
      st.mib2_leaves += 512;
    }
  }
  return st;
}

}  // namespace tv
