// A byte ring over caller-supplied storage that overwrites its oldest bytes
// when full: the VMM's log keeps the most recent output without ever blocking.
// Bytes are addressed by their stream offset (bytes written before them since
// the ring began), so a reader can page through the ring and tell exactly how
// many bytes it missed; the byte at offset o lives at storage[o mod capacity].
#pragma once
#include "tv/types.hpp"

namespace tv {

class ByteRing {
 public:
  // capacity must be a power of two (offsets map to slots with a mask).
  constexpr ByteRing(char* storage, usize capacity) : buf_(storage), cap_(capacity) {}

  void write(const char* data, usize n) {
    for (usize i = 0; i < n; ++i) buf_[(head_ + i) & (cap_ - 1)] = data[i];
    head_ += n;
  }
  usize capacity() const { return cap_; }
  const char* storage() const { return buf_; }
  // Bytes currently held (at most the capacity).
  usize size() const { return head_ - floor_ < cap_ ? usize(head_ - floor_) : cap_; }
  // Stream offset of the next byte: total bytes ever written.
  u64 total_written() const { return head_; }
  // Stream offset of the oldest byte held: the bytes lost to wrap-around.
  u64 oldest() const { return head_ - size(); }
  // Copies held bytes from stream offset `from` on (oldest() <= from <= total_written()).
  usize copy_from(u64 from, char* out, usize cap) const {
    if (from < oldest() || from >= head_) return 0;
    usize n = head_ - from < cap ? usize(head_ - from) : cap;
    for (usize i = 0; i < n; ++i) out[i] = buf_[(from + i) & (cap_ - 1)];
    return n;
  }
  // Copies the held bytes, oldest first, skipping the first `skip` of them.
  usize copy_out(char* out, usize cap, usize skip = 0) const { return copy_from(oldest() + skip, out, cap); }
  // Moves the newest bytes (as many as fit) into `storage` of `capacity` bytes
  // (a power of two); storage may be the current storage if capacity is not
  // larger. Offsets are kept, so a reader's position stays valid. False (and
  // nothing changed) for a capacity that is not a power of two or an in-place growth.
  bool move_to(char* storage, usize capacity);

 private:
  char* buf_;
  usize cap_;
  u64 head_ = 0;
  u64 floor_ = 0;  // nothing below this offset is held (a move to larger storage lost it)
};

}  // namespace tv
