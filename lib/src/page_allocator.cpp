#include "tv/page_allocator.hpp"

namespace tv {

const char* to_string(AllocError e) {
  switch (e) {
    case AllocError::ZeroCount: return "a run of zero pages";
    case AllocError::OutOfMemory: return "no free run of pages that long in the pool";
    case AllocError::OutsidePool: return "pages outside the pool";
    case AllocError::Misaligned: return "address not page-aligned";
    case AllocError::DoubleFree: return "page is free already (double free)";
    case AllocError::StorageTooSmall: return "bitmap storage too small for the pool";
    case AllocError::PoolWraps: return "pool runs past the end of the address space";
  }
  return "unknown allocation error";
}

Status<AllocError> PageAllocator::init(u64 base, usize page_count, u64* bitmap, usize words) {
  if (base % kPageSize != 0) return Err{AllocError::Misaligned};
  if (page_count > (~0ull - base) / kPageSize) return Err{AllocError::PoolWraps};
  if (words < bitmap_words(page_count) || (page_count != 0 && bitmap == nullptr))
    return Err{AllocError::StorageTooSmall};
  base_ = base;
  total_ = free_ = page_count;
  hint_ = 0;
  bits_ = bitmap;
  for (usize w = 0; w < bitmap_words(page_count); ++w) bits_[w] = 0;
  // The last word's bits past the pool read as used, so word-at-a-time scans never stop there.
  if (usize tail = page_count % kBitsPerWord; tail != 0) bits_[page_count / kBitsPerWord] = ~0ull << tail;
  return Ok{};
}

void PageAllocator::mark(usize first, usize count, bool in_use) {
  for (usize i = first; i < first + count; ++i) {
    u64 bit = 1ull << (i % kBitsPerWord);
    if (in_use)
      bits_[i / kBitsPerWord] |= bit;
    else
      bits_[i / kBitsPerWord] &= ~bit;
  }
}

usize PageAllocator::next_free(usize from) const {
  usize i = from;
  while (i < total_) {
    if (i % kBitsPerWord == 0 && bits_[i / kBitsPerWord] == ~0ull) {
      i += kBitsPerWord;  // a whole word in use: skip it
      continue;
    }
    if (!used(i)) return i;
    ++i;
  }
  return total_;
}

usize PageAllocator::next_used(usize from, usize end) const {
  usize i = from;
  while (i < end) {
    if (i % kBitsPerWord == 0 && bits_[i / kBitsPerWord] == 0) {
      i += kBitsPerWord;  // a whole word free: skip it
      continue;
    }
    if (used(i)) return i;
    ++i;
  }
  return end;
}

bool PageAllocator::all_used(usize first, usize count) const {
  for (usize i = first; i < first + count; ++i)
    if (!used(i)) return false;
  return true;
}

Result<u64, AllocError> PageAllocator::alloc(usize count) {
  if (count == 0) return Err{AllocError::ZeroCount};
  if (count > free_) return Err{AllocError::OutOfMemory};
  usize i = next_free(hint_);
  hint_ = i;
  while (i < total_ && count <= total_ - i) {
    usize stop = next_used(i, i + count);
    if (stop == i + count) {
      mark(i, count, true);
      free_ -= count;
      if (i == hint_) hint_ = i + count;
      return base_ + u64(i) * kPageSize;
    }
    i = next_free(stop);
  }
  return Err{AllocError::OutOfMemory};
}

Status<AllocError> PageAllocator::free(u64 pa, usize count) {
  if (count == 0) return Err{AllocError::ZeroCount};
  if (pa % kPageSize != 0) return Err{AllocError::Misaligned};
  if (pa < base_ || (pa - base_) / kPageSize >= total_) return Err{AllocError::OutsidePool};
  usize first = usize((pa - base_) / kPageSize);
  if (count > total_ - first) return Err{AllocError::OutsidePool};
  if (!all_used(first, count)) return Err{AllocError::DoubleFree};
  mark(first, count, false);
  free_ += count;
  if (first < hint_) hint_ = first;
  return Ok{};
}

usize PageAllocator::largest_free_run() const {
  usize best = 0;
  for (usize i = next_free(0); i < total_;) {
    usize end = next_used(i, total_);
    if (end - i > best) best = end - i;
    i = next_free(end);
  }
  return best;
}

}  // namespace tv
