// A sorted set of disjoint address ranges with a one-entry cache of the last
// hit: which guest-physical memory the VMM may read or write for the guest.
// Fixed capacity, no allocation; adding merges touching ranges.
#pragma once
#include "tv/types.hpp"

namespace tv {

class RangeSet {
 public:
  static constexpr usize kMax = 130;  // an E820 map's 128 entries, the first MiB, one spare
  void clear() {
    count_ = 0;
    last_ = 0;
  }
  // Adds r, merging it with every range it overlaps or touches. When the set is
  // full and r would need a new slot, r is dropped: that never grants access.
  void add(Range r);
  // Cuts r out of every range (splitting where needed).
  void remove(Range r);
  // True if [base, base + len) lies inside one range. len 0 is true only inside a range.
  bool contains(u64 base, u64 len) const {
    // The last hit first, inline: the VMM's accesses on one exit cluster.
    const Range& r = r_[last_];
    if (last_ < count_ && base >= r.base && base + len >= base && base + len <= r.end()) return true;
    return search(base, len);
  }
  usize size() const { return count_; }
  Range at(usize i) const { return r_[i]; }

 private:
  bool search(u64 base, u64 len) const;
  Range r_[kMax] = {};
  usize count_ = 0;
  mutable usize last_ = 0;
};

}  // namespace tv
