#include "tv/nested_identity_map.hpp"

namespace tv {
namespace {

bool overlaps_any(Range r, const Range* ranges, usize n) {
  for (usize i = 0; i < n; ++i)
    if (ranges[i].size != 0 && r.overlaps(ranges[i])) return true;
  return false;
}

bool special(const NestedMapSpec& s, Range r) {
  return overlaps_any(r, s.hidden, s.hidden_count) || overlaps_any(r, s.read_only, s.read_only_count);
}

// The special ranges that touch one 2 MiB chunk (usually one): the 512
// entries of its page table are then judged against those alone.
struct ChunkRanges {
  Range hidden[NestedMapSpec::kMaxRanges];
  usize hidden_count = 0;
  Range read_only[NestedMapSpec::kMaxRanges];
  usize read_only_count = 0;
};

ChunkRanges ranges_in(const NestedMapSpec& s, Range chunk) {
  ChunkRanges c;
  for (usize i = 0; i < s.hidden_count; ++i)
    if (s.hidden[i].size != 0 && chunk.overlaps(s.hidden[i])) c.hidden[c.hidden_count++] = s.hidden[i];
  for (usize i = 0; i < s.read_only_count; ++i)
    if (s.read_only[i].size != 0 && chunk.overlaps(s.read_only[i])) c.read_only[c.read_only_count++] = s.read_only[i];
  return c;
}

u64 entry_4k(const NestedMapSpec& s, const ChunkRanges& c, u64 pa) {
  Range page{pa, kPageSize};
  if (overlaps_any(page, c.hidden, c.hidden_count)) return s.scratch_pa | s.leaf_flags;
  if (overlaps_any(page, c.read_only, c.read_only_count)) return pa | (s.leaf_flags & ~pte::kWritable);
  return pa | s.leaf_flags;
}

// One GiB that holds a special range: 2 MiB leaves (one tight loop), then a
// page table for each 2 MiB that holds a special range.
Status<PtError> map_split_gib(PageTableBuilder& b, const NestedMapSpec& s, u64 gib, NestedMapStats& st) {
  TV_TRY(b.map_gib_as_2m(gib, s.leaf_flags));
  st.mib2_leaves += 512;
  for (u64 m = gib; m < gib + GiB; m += 2 * MiB) {
    if (!special(s, {m, 2 * MiB})) continue;
    const ChunkRanges c = ranges_in(s, {m, 2 * MiB});
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
  for (u64 gib = 0; gib < top; gib += GiB) {
    if (special(spec, {gib, GiB})) {
      TV_TRY(map_split_gib(b, spec, gib, st));
    } else if (spec.gib_pages) {
      TV_TRY(b.map(gib, gib, PageSize::k1G, spec.leaf_flags));
      ++st.gib_leaves;
    } else {
      TV_TRY(b.map_gib_as_2m(gib, spec.leaf_flags));
      st.mib2_leaves += 512;
    }
  }
  return st;
}

}  // namespace tv
