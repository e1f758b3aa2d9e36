// Fixed-width integer aliases shared by the VMM, lib/ and host tools.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tv {
using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;
using i32 = std::int32_t;
using i64 = std::int64_t;
using usize = std::size_t;

constexpr u64 KiB = 1024;
constexpr u64 MiB = 1024 * KiB;
constexpr u64 GiB = 1024 * MiB;
constexpr u64 kPageSize = 4096;

constexpr u64 align_down(u64 v, u64 a) {
  return v & ~(a - 1);
}
constexpr u64 align_up(u64 v, u64 a) {
  return (v + a - 1) & ~(a - 1);
}

// Half-open physical or virtual range [base, base + size).
struct Range {
  u64 base = 0;
  u64 size = 0;
  constexpr u64 end() const { return base + size; }
  constexpr bool contains(u64 a) const { return a >= base && a - base < size; }
  constexpr bool overlaps(Range o) const { return base < o.end() && o.base < end(); }
};
}  // namespace tv
