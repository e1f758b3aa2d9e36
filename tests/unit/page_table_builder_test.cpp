#include "tv/page_table_builder.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>

namespace {
using namespace tv;

class FakeTables : public TableMemory {
 public:
  explicit FakeTables(size_t limit = 1000) : limit_(limit) {}
  Result<u64, PtError> alloc_table() override {
    if (pages_.size() >= limit_) return Err{PtError::OutOfMemory};
    u64 phys = next_;
    next_ += 4096;
    pages_[phys] = std::make_unique<u64[]>(512);
    return phys;
  }
  u64* table_at(u64 phys) override { return pages_.at(phys).get(); }
  size_t count() const { return pages_.size(); }

 private:
  size_t limit_;
  u64 next_ = 0x100000;
  std::map<u64, std::unique_ptr<u64[]>> pages_;
};

constexpr u64 kTable = pte::kPresent | pte::kWritable | pte::kUser;

struct Fixture {
  FakeTables mem;
  u64 root = *mem.alloc_table();
  PageTableBuilder b{mem, root, kTable};
};
}  // namespace

TEST(PageTableBuilder, Maps2MiBIdentityAndLooksItUp) {
  Fixture f;
  ASSERT_TRUE(f.b.map(0x40000000, 0x40000000, PageSize::k2M, kTable).ok());
  u64 e = f.b.lookup(0x40123456);
  EXPECT_EQ(e & pte::kAddrMask, 0x40000000u);
  EXPECT_TRUE(e & pte::kLargePage);
  EXPECT_EQ(f.b.lookup(0x40200000), 0u);
  EXPECT_EQ(f.mem.count(), 3u);  // PML4, PDPT, PD and nothing else
}

TEST(PageTableBuilder, Maps4KiBPages) {
  Fixture f;
  ASSERT_TRUE(f.b.map(0x7000, 0x9000, PageSize::k4K, kTable).ok());
  EXPECT_EQ(f.b.lookup(0x7abc) & pte::kAddrMask, 0x9000u);
  EXPECT_FALSE(f.b.lookup(0x7abc) & pte::kLargePage);
}

TEST(PageTableBuilder, RejectsMisalignment) {
  Fixture f;
  EXPECT_EQ(f.b.map(0x1000, 0, PageSize::k2M, kTable).error(), PtError::Misaligned);
  EXPECT_EQ(f.b.map(0, 0x1001, PageSize::k4K, kTable).error(), PtError::Misaligned);
}

TEST(PageTableBuilder, RefusesToPunch4KiBIntoLargePage) {
  Fixture f;
  ASSERT_TRUE(f.b.map(0, 0, PageSize::k2M, kTable).ok());
  EXPECT_EQ(f.b.map(0x1000, 0x1000, PageSize::k4K, kTable).error(), PtError::AlreadyMapped);
}

TEST(PageTableBuilder, Remap4kReplacesALargePage) {
  Fixture f;
  ASSERT_TRUE(f.b.map(0x200000, 0x200000, PageSize::k2M, kTable).ok());
  ASSERT_TRUE(f.b.remap_4k(0x200000, [](u64) { return 0x5000 | kTable; }).ok());
  EXPECT_EQ(f.b.lookup(0x200000) & pte::kAddrMask, 0x5000u);
  EXPECT_EQ(f.b.lookup(0x3FF123) & pte::kAddrMask, 0x5000u);
  EXPECT_EQ(f.b.lookup(0x400000), 0u);
}

TEST(PageTableBuilder, ReportsOutOfMemoryAndAddressTooHigh) {
  FakeTables mem(2);
  u64 root = *mem.alloc_table();
  PageTableBuilder b(mem, root, kTable);
  EXPECT_EQ(b.map(0, 0, PageSize::k2M, kTable).error(), PtError::OutOfMemory);
  EXPECT_EQ(b.map(1ull << 48, 0, PageSize::k2M, kTable).error(), PtError::AddressTooHigh);
}
