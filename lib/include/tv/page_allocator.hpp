// A physical page allocator over one pool of 4 KiB pages: a bitmap, one bit
// per page (1 = in use), first fit for contiguous runs. Hardware-free: the
// pool is just an address range, and the bitmap lives in storage the caller
// supplies (bitmap_words(page_count) words), so the pool's pages all stay
// allocatable and the allocator needs no memory of its own.
//
// Not thread-safe: the VMM wraps it in a SpinLock (vmm/kernel/memory.cpp).
// A bitmap cannot tell which runs were handed out together, so freeing part
// of a run, or two runs at once, is accepted; what it does refuse is anything
// that is not wholly allocated pool pages, without changing any state.
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

enum class AllocError : u8 {
  ZeroCount = 1,    // alloc(0) or free(pa, 0)
  OutOfMemory,      // no free run of the requested length
  OutsidePool,      // the pages to free are not all inside the pool
  Misaligned,       // an address that is not page-aligned (free, or the pool's base)
  DoubleFree,       // a page to free is free already
  StorageTooSmall,  // init: the bitmap storage cannot hold one bit per page
  PoolWraps,        // init: the pool runs past the end of the address space
};
const char* to_string(AllocError e);

class PageAllocator {
 public:
  static constexpr usize kBitsPerWord = 64;
  static constexpr usize bitmap_words(usize pages) { return (pages + kBitsPerWord - 1) / kBitsPerWord; }

  // Every page of [base, base + page_count * 4 KiB) starts free. `bitmap` must
  // hold at least bitmap_words(page_count) words and outlive the allocator.
  Status<AllocError> init(u64 base, usize page_count, u64* bitmap, usize words);

  // The lowest run of `count` free pages, marked used; its physical address.
  Result<u64, AllocError> alloc(usize count);
  // Marks [pa, pa + count pages) free, or changes nothing and says why not.
  Status<AllocError> free(u64 pa, usize count);

  usize free_pages() const { return free_; }
  usize total_pages() const { return total_; }
  usize used_pages() const { return total_ - free_; }
  usize largest_free_run() const;
  u64 base() const { return base_; }

 private:
  bool used(usize i) const { return (bits_[i / kBitsPerWord] >> (i % kBitsPerWord)) & 1; }
  void mark(usize first, usize count, bool in_use);
  usize next_free(usize from) const;             // first free index >= from, or total_
  usize next_used(usize from, usize end) const;  // first used index in [from, end), or end
  bool all_used(usize first, usize count) const;

  u64 base_ = 0;
  usize total_ = 0;
  usize free_ = 0;
  usize hint_ = 0;  // every page below it is in use: first fit starts here
  u64* bits_ = nullptr;
};

}  // namespace tv
