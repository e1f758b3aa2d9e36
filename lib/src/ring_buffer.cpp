#include "tv/ring_buffer.hpp"

namespace tv {
namespace {

void reverse(char* a, usize n) {
  for (usize i = 0, j = n; i + 1 < j; ++i, --j) {
    char t = a[i];
    a[i] = a[j - 1];
    a[j - 1] = t;
  }
}

// Rotates a[0, n) left by k in place (three reversals: no scratch memory).
void rotate_left(char* a, usize n, usize k) {
  if (n == 0 || k % n == 0) return;
  k %= n;
  reverse(a, k);
  reverse(a + k, n - k);
  reverse(a, n);
}

}  // namespace

bool ByteRing::move_to(char* storage, usize capacity) {
  if (capacity == 0 || (capacity & (capacity - 1)) != 0) return false;
  if (storage == buf_ && capacity > cap_) return false;
  usize held = size();
  usize keep = held < capacity ? held : capacity;
  u64 first = head_ - keep;
  if (storage != buf_) {
    for (u64 o = first; o < head_; ++o) storage[o & (capacity - 1)] = buf_[o & (cap_ - 1)];
  } else {
    // In place (capacity <= cap_): make the held bytes linear, oldest first,
    // slide the kept ones to the front, then rotate them to the slots their
    // offsets map to under the new mask.
    rotate_left(buf_, cap_, usize(oldest() & (cap_ - 1)));
    for (usize i = 0; i < keep; ++i) buf_[i] = buf_[held - keep + i];
    rotate_left(buf_, capacity, capacity - usize(first & (capacity - 1)));
  }
  floor_ = first;
  buf_ = storage;
  cap_ = capacity;
  return true;
}

}  // namespace tv
