#include "tv/range_set.hpp"

namespace tv {

void RangeSet::add(Range r) {
  if (r.size == 0 || r.end() < r.base) return;
  usize i = 0;
  while (i < count_ && r_[i].end() < r.base) ++i;  // first range that touches or follows r
  usize j = i;
  u64 lo = r.base, hi = r.end();
  while (j < count_ && r_[j].base <= hi) {  // absorb every range r touches
    lo = r_[j].base < lo ? r_[j].base : lo;
    hi = r_[j].end() > hi ? r_[j].end() : hi;
    ++j;
  }
  if (i == j && count_ == kMax) return;  // full: drop (never grants access)
  usize removed = j - i;
  if (removed == 0) {
    for (usize k = count_; k > i; --k) r_[k] = r_[k - 1];
    ++count_;
  } else {
    for (usize k = j; k < count_; ++k) r_[k - removed + 1] = r_[k];
    count_ -= removed - 1;
  }
  r_[i] = {lo, hi - lo};
  last_ = 0;
}

void RangeSet::remove(Range cut) {
  if (cut.size == 0) return;
  Range keep[kMax];
  usize n = 0;
  for (usize i = 0; i < count_; ++i) {
    Range r = r_[i];
    if (!r.overlaps(cut)) {
      keep[n++] = r;
      continue;
    }
    if (r.base < cut.base && n < kMax) keep[n++] = {r.base, cut.base - r.base};
    if (r.end() > cut.end() && n < kMax) keep[n++] = {cut.end(), r.end() - cut.end()};
  }
  for (usize i = 0; i < n; ++i) r_[i] = keep[i];
  count_ = n;
  last_ = 0;
}

bool RangeSet::search(u64 base, u64 len) const {
  u64 end = base + len;
  if (end < base) return false;
  for (usize i = 0; i < count_; ++i) {
    if (base >= r_[i].base && end <= r_[i].end()) {
      last_ = i;
      return true;
    }
  }
  return false;
}

}  // namespace tv
