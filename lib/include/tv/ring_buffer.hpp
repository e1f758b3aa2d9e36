// A fixed-size byte ring that overwrites its oldest bytes when full: the VMM's
// log keeps the most recent output without ever allocating or blocking.
#pragma once
#include "tv/types.hpp"

namespace tv {

template <usize N>
class ByteRing {
  static_assert(N > 0 && (N & (N - 1)) == 0, "capacity must be a power of two");

 public:
  void write(const char* data, usize n) {
    for (usize i = 0; i < n; ++i) buf_[(head_ + i) & (N - 1)] = data[i];
    head_ += n;
  }
  // Bytes currently held (at most N).
  usize size() const { return head_ < N ? usize(head_) : N; }
  // Total bytes ever written; (total - size) bytes were overwritten.
  u64 total_written() const { return head_; }
  // Copies the held bytes, oldest first, skipping the first `skip` of them.
  usize copy_out(char* out, usize cap, usize skip = 0) const {
    usize held = size();
    if (skip >= held) return 0;
    usize n = held - skip < cap ? held - skip : cap;
    u64 first = head_ - held + skip;
    for (usize i = 0; i < n; ++i) out[i] = buf_[(first + i) & (N - 1)];
    return n;
  }

 private:
  char buf_[N] = {};
  u64 head_ = 0;
};

}  // namespace tv
