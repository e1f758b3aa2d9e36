#include "tv/page_allocator.hpp"

#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

#include "tv/spinlock.hpp"

using namespace tv;

namespace {

constexpr u64 kBase = 0x3fc00000;

// An allocator over `pages` pages with its own bitmap storage.
struct Pool {
  explicit Pool(usize pages) : words(PageAllocator::bitmap_words(pages)) {
    EXPECT_TRUE(a.init(kBase, pages, words.data(), words.size()).ok());
  }
  u64 page(usize i) const { return kBase + i * kPageSize; }
  std::vector<u64> words;
  PageAllocator a;
};

}  // namespace

TEST(PageAllocator, ErrorsHaveDistinctStrings) {
  const AllocError all[] = {AllocError::ZeroCount,  AllocError::OutOfMemory, AllocError::OutsidePool,
                            AllocError::Misaligned, AllocError::DoubleFree,  AllocError::StorageTooSmall,
                            AllocError::PoolWraps};
  for (AllocError x : all)
    for (AllocError y : all) {
      if (x != y) {
        EXPECT_STRNE(to_string(x), to_string(y));
      }
    }
  EXPECT_STREQ(to_string(AllocError(0)), "unknown allocation error");
}

TEST(PageAllocator, InitChecksItsArguments) {
  std::vector<u64> words(2);
  PageAllocator a;
  EXPECT_EQ(a.init(kBase + 8, 64, words.data(), 2).error(), AllocError::Misaligned);
  EXPECT_EQ(a.init(kBase, 129, words.data(), 2).error(), AllocError::StorageTooSmall);
  EXPECT_EQ(a.init(kBase, 1, nullptr, 1).error(), AllocError::StorageTooSmall);
  EXPECT_EQ(a.init(~0ull & ~(kPageSize - 1), 2, words.data(), 2).error(), AllocError::PoolWraps);
  ASSERT_TRUE(a.init(kBase, 128, words.data(), 2).ok());
  EXPECT_EQ(a.total_pages(), 128u);
  EXPECT_EQ(a.free_pages(), 128u);
  EXPECT_EQ(a.largest_free_run(), 128u);
}

TEST(PageAllocator, AnEmptyPoolHasNothingToGive) {
  PageAllocator a;  // never initialised: zero pages
  EXPECT_EQ(a.alloc(1).error(), AllocError::OutOfMemory);
  EXPECT_EQ(a.free(kBase, 1).error(), AllocError::OutsidePool);
  EXPECT_EQ(a.largest_free_run(), 0u);
}

TEST(PageAllocator, AllocatesInOrderUntilSomethingIsFreed) {
  Pool p(100);
  for (usize i = 0; i < 10; ++i) EXPECT_EQ(*p.a.alloc(1), p.page(i));
  EXPECT_EQ(*p.a.alloc(3), p.page(10));
  EXPECT_EQ(p.a.free_pages(), 87u);
  EXPECT_EQ(p.a.used_pages(), 13u);
  ASSERT_TRUE(p.a.free(p.page(4), 1).ok());
  EXPECT_EQ(*p.a.alloc(1), p.page(4));  // first fit reuses the hole
  EXPECT_EQ(*p.a.alloc(2), p.page(13));
}

TEST(PageAllocator, ZeroCountIsAnError) {
  Pool p(8);
  EXPECT_EQ(p.a.alloc(0).error(), AllocError::ZeroCount);
  auto pa = p.a.alloc(1);
  EXPECT_EQ(p.a.free(*pa, 0).error(), AllocError::ZeroCount);
  EXPECT_EQ(p.a.free_pages(), 7u);
}

TEST(PageAllocator, FreeingAdjacentRunsCoalesces) {
  Pool p(16);
  u64 a = *p.a.alloc(4), b = *p.a.alloc(4), c = *p.a.alloc(4), d = *p.a.alloc(4);
  EXPECT_EQ(p.a.alloc(1).error(), AllocError::OutOfMemory);
  ASSERT_TRUE(p.a.free(b, 4).ok());
  ASSERT_TRUE(p.a.free(d, 4).ok());
  EXPECT_EQ(p.a.largest_free_run(), 4u);
  EXPECT_EQ(p.a.alloc(8).error(), AllocError::OutOfMemory);  // 8 pages free, but not together
  ASSERT_TRUE(p.a.free(c, 4).ok());                          // joins b and d: 12 pages in one run
  EXPECT_EQ(p.a.largest_free_run(), 12u);
  EXPECT_EQ(*p.a.alloc(12), b);
  ASSERT_TRUE(p.a.free(b, 12).ok());
  ASSERT_TRUE(p.a.free(a, 4).ok());
  EXPECT_EQ(*p.a.alloc(16), a);
}

TEST(PageAllocator, ExhaustionIsAnErrorAndRecovers) {
  Pool p(70);  // more than one bitmap word, and a partial last word
  std::vector<u64> got;
  while (auto pa = p.a.alloc(1)) got.push_back(*pa);
  EXPECT_EQ(got.size(), 70u);
  EXPECT_EQ(got.back(), p.page(69));
  EXPECT_EQ(p.a.free_pages(), 0u);
  EXPECT_EQ(p.a.alloc(1).error(), AllocError::OutOfMemory);
  EXPECT_EQ(p.a.largest_free_run(), 0u);
  ASSERT_TRUE(p.a.free(got[69], 1).ok());
  EXPECT_EQ(*p.a.alloc(1), p.page(69));
  EXPECT_EQ(Pool(70).a.alloc(71).error(), AllocError::OutOfMemory);
}

TEST(PageAllocator, DoubleFreeIsRefusedAndChangesNothing) {
  Pool p(16);
  u64 a = *p.a.alloc(4);
  ASSERT_TRUE(p.a.free(a + kPageSize, 1).ok());
  EXPECT_EQ(p.a.free(a + kPageSize, 1).error(), AllocError::DoubleFree);
  // A run whose middle is free: refused as a whole, the other pages stay in use.
  EXPECT_EQ(p.a.free(a, 4).error(), AllocError::DoubleFree);
  EXPECT_EQ(p.a.free_pages(), 13u);
  EXPECT_EQ(p.a.free(p.page(8), 1).error(), AllocError::DoubleFree);  // never allocated
  ASSERT_TRUE(p.a.free(a, 1).ok());
  ASSERT_TRUE(p.a.free(a + 2 * kPageSize, 2).ok());
  EXPECT_EQ(p.a.free_pages(), 16u);
}

TEST(PageAllocator, BadPointersAreRefusedAndChangeNothing) {
  Pool p(16);
  u64 a = *p.a.alloc(16);
  EXPECT_EQ(p.a.free(a + 8, 1).error(), AllocError::Misaligned);
  EXPECT_EQ(p.a.free(kBase - kPageSize, 1).error(), AllocError::OutsidePool);
  EXPECT_EQ(p.a.free(p.page(16), 1).error(), AllocError::OutsidePool);
  EXPECT_EQ(p.a.free(p.page(15), 2).error(), AllocError::OutsidePool);  // runs off the end
  EXPECT_EQ(p.a.free(p.page(1), ~usize(0)).error(), AllocError::OutsidePool);
  EXPECT_EQ(p.a.free(0, 1).error(), AllocError::OutsidePool);
  EXPECT_EQ(p.a.free(~0ull & ~(kPageSize - 1), 1).error(), AllocError::OutsidePool);
  EXPECT_EQ(p.a.free_pages(), 0u);
}

TEST(PageAllocator, FragmentationLimitsTheLargestRun) {
  Pool p(64);
  std::vector<u64> pages;
  for (usize i = 0; i < 64; ++i) pages.push_back(*p.a.alloc(1));
  for (usize i = 0; i < 64; i += 2) ASSERT_TRUE(p.a.free(pages[i], 1).ok());
  EXPECT_EQ(p.a.free_pages(), 32u);
  EXPECT_EQ(p.a.largest_free_run(), 1u);
  EXPECT_EQ(p.a.alloc(2).error(), AllocError::OutOfMemory);
  ASSERT_TRUE(p.a.free(pages[41], 1).ok());  // 40, 41, 42 now free together
  EXPECT_EQ(p.a.largest_free_run(), 3u);
  EXPECT_EQ(*p.a.alloc(3), pages[40]);
  EXPECT_EQ(*p.a.alloc(1), pages[0]);  // single pages still come from the lowest hole
}

TEST(PageAllocator, RandomSoakReturnsExactlyToTheStart) {
  Pool p(300);
  const u64 boot = *p.a.alloc(37);  // pages that are never freed, as the VMM's start-up tables
  const usize start = p.a.free_pages();
  std::mt19937 rng(8);
  struct Run {
    u64 pa;
    usize n;
  };
  std::vector<Run> live;
  std::vector<bool> owned(300, false);
  for (usize i = 0; i < 37; ++i) owned[i] = true;
  for (int step = 0; step < 20000; ++step) {
    if (live.empty() || rng() % 2 == 0) {
      usize n = 1 + rng() % 12;
      auto pa = p.a.alloc(n);
      if (!pa) {
        EXPECT_EQ(pa.error(), AllocError::OutOfMemory);
        EXPECT_LT(p.a.largest_free_run(), n);
        continue;
      }
      usize first = (*pa - kBase) / kPageSize;
      for (usize k = first; k < first + n; ++k) ASSERT_FALSE(owned[k]) << "page handed out twice";
      for (usize k = first; k < first + n; ++k) owned[k] = true;
      live.push_back({*pa, n});
    } else {
      usize at = rng() % live.size();
      Run r = live[at];
      live[at] = live.back();
      live.pop_back();
      ASSERT_TRUE(p.a.free(r.pa, r.n).ok());
      EXPECT_EQ(p.a.free(r.pa, r.n).error(), AllocError::DoubleFree);
      usize first = (r.pa - kBase) / kPageSize;
      for (usize k = first; k < first + r.n; ++k) owned[k] = false;
    }
    usize in_use = 0;
    for (bool o : owned) in_use += o;
    ASSERT_EQ(p.a.free_pages(), 300 - in_use);
  }
  for (const Run& r : live) ASSERT_TRUE(p.a.free(r.pa, r.n).ok());
  EXPECT_EQ(p.a.free_pages(), start);
  EXPECT_EQ(p.a.largest_free_run(), start);
  EXPECT_EQ(*p.a.alloc(start), boot + 37 * kPageSize);
}

TEST(SpinLock, LocksAndUnlocks) {
  SpinLock l;
  EXPECT_FALSE(l.is_locked());
  EXPECT_TRUE(l.try_lock());
  EXPECT_TRUE(l.is_locked());
  EXPECT_FALSE(l.try_lock());  // not recursive
  l.unlock();
  EXPECT_FALSE(l.is_locked());
  {
    SpinGuard g(l);
    EXPECT_TRUE(l.is_locked());
    EXPECT_FALSE(l.try_lock());
  }
  EXPECT_FALSE(l.is_locked());
  l.lock();
  EXPECT_TRUE(l.is_locked());
  l.unlock();
}

TEST(SpinLock, ExcludesOtherThreads) {
  SpinLock l;
  u64 counter = 0;  // plain: only the lock keeps the increments from racing
  auto work = [&] {
    for (int i = 0; i < 100000; ++i) {
      SpinGuard g(l);
      ++counter;
    }
  };
  std::thread t1(work), t2(work);
  t1.join();
  t2.join();
  EXPECT_EQ(counter, 200000u);
  EXPECT_FALSE(l.is_locked());
}
