#include "tv/service_table.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {
using namespace tv;

// Sparse guest-physical memory with 4-level page tables built by the test.
class FakeGuest : public PhysMemory {
 public:
  FakeGuest() { root_ = alloc(); }
  bool read(u64 gpa, void* dst, usize len) const override {
    for (usize i = 0; i < len; ++i) {
      auto it = pages_.find((gpa + i) & ~0xFFFull);
      if (it == pages_.end()) return false;
      static_cast<u8*>(dst)[i] = it->second[(gpa + i) & 0xFFF];
    }
    return true;
  }
  // Maps one 4 KiB page at va; returns its guest-physical address.
  u64 map(u64 va, bool user = true) {
    u64 table = root_;
    for (int level = 4; level > 1; --level) {
      u64 idx = (va >> (12 + 9 * (level - 1))) & 0x1FF;
      u64 e = entry(table, idx);
      if (!(e & 1)) {
        e = alloc() | 0x7;
        set_entry(table, idx, e);
      }
      table = e & ~0xFFFull;
    }
    u64 page = alloc();
    set_entry(table, (va >> 12) & 0x1FF, page | 0x3 | (user ? 0x4 : 0));
    return page;
  }
  void poke(u64 va, const std::string& s) {
    for (size_t i = 0; i < s.size(); ++i) {
      PagingState st = state();
      auto t = walk(*this, st, va + i);
      ASSERT_TRUE(t.ok());
      pages_[t->gpa & ~0xFFFull][t->gpa & 0xFFF] = u8(s[i]);
    }
  }
  PagingState state() const { return {1ull << 31 | 1ull << 16 | 1, root_, 1ull << 5, 1ull << 8 | 1ull << 10}; }

 private:
  u64 alloc() {
    u64 a = next_;
    next_ += 0x1000;
    pages_[a] = std::vector<u8>(4096, 0);
    return a;
  }
  u64 entry(u64 table, u64 idx) const {
    u64 v;
    std::memcpy(&v, &pages_.at(table)[idx * 8], 8);
    return v;
  }
  void set_entry(u64 table, u64 idx, u64 v) { std::memcpy(&pages_[table][idx * 8], &v, 8); }
  std::map<u64, std::vector<u8>> pages_;
  u64 next_ = 0x100000;
  u64 root_;
};

Result<usize, NameError> read(FakeGuest& g, u64 va, char (&out)[tv::abi::kMaxNameBytes], bool user = true) {
  return read_guest_name(g, g.state(), va, user, out);
}
}  // namespace

TEST(ServiceTable, ValidatesNames) {
  const char* good[] = {"get_vmmcall_number", "hello", "status"};
  usize bad = 99;
  EXPECT_TRUE(validate_service_names(good, 3, bad).ok());
  const char* dup[] = {"get_vmmcall_number", "hello", "hello"};
  EXPECT_EQ(validate_service_names(dup, 3, bad).error(), RegistryError::DuplicateName);
  EXPECT_EQ(bad, 2u);
  const char* first[] = {"hello", "get_vmmcall_number"};
  EXPECT_EQ(validate_service_names(first, 2, bad).error(), RegistryError::NotFirst);
  const char* empty[] = {"get_vmmcall_number", ""};
  EXPECT_EQ(validate_service_names(empty, 2, bad).error(), RegistryError::EmptyName);
  std::string longname(256, 'x');
  const char* toolong[] = {"get_vmmcall_number", longname.c_str()};
  EXPECT_EQ(validate_service_names(toolong, 2, bad).error(), RegistryError::NameTooLong);
}

TEST(ServiceTable, RefusesMoreThanCapacity) {
  std::vector<std::string> names{"get_vmmcall_number"};
  for (usize i = 1; i <= tv::abi::kMaxServices; ++i) names.push_back("s" + std::to_string(i));
  std::vector<const char*> p;
  for (auto& n : names) p.push_back(n.c_str());
  usize bad = 0;
  EXPECT_TRUE(validate_service_names(p.data(), tv::abi::kMaxServices, bad).ok());
  EXPECT_EQ(validate_service_names(p.data(), tv::abi::kMaxServices + 1, bad).error(), RegistryError::TooMany);
}

TEST(ServiceTable, LooksUpByName) {
  const char* names[] = {"get_vmmcall_number", "hello", "status"};
  EXPECT_EQ(find_service(names, 3, "status"), 2);
  EXPECT_EQ(find_service(names, 3, "get_vmmcall_number"), 0);
  EXPECT_EQ(find_service(names, 3, "nope"), -1);
  EXPECT_EQ(find_service(names, 3, "hell"), -1);
}

TEST(GuestName, ReadsANameThatCrossesAPageBoundary) {
  FakeGuest g;
  g.map(0x400000);
  g.map(0x401000);
  g.poke(0x400ffd, std::string("hello") + '\0');
  char out[tv::abi::kMaxNameBytes];
  auto n = read(g, 0x400ffd, out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 5u);
  EXPECT_STREQ(out, "hello");
}

TEST(GuestName, FailsCleanlyWhenTheSecondPageIsUnmapped) {
  FakeGuest g;
  g.map(0x400000);
  g.poke(0x400ffd, "hel");  // continues into the unmapped page 0x401000
  char out[tv::abi::kMaxNameBytes];
  EXPECT_EQ(read(g, 0x400ffd, out).error(), NameError::Unreadable);
}

TEST(GuestName, AcceptsExactly256BytesWithTheNul) {
  FakeGuest g;
  g.map(0x400000);
  g.poke(0x400100, std::string(255, 'a') + '\0');
  char out[tv::abi::kMaxNameBytes];
  auto n = read(g, 0x400100, out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 255u);
}

TEST(GuestName, Rejects256BytesWithoutTheNul) {
  FakeGuest g;
  g.map(0x400000);
  g.poke(0x400100, std::string(300, 'a'));
  char out[tv::abi::kMaxNameBytes];
  EXPECT_EQ(read(g, 0x400100, out).error(), NameError::Unterminated);
  EXPECT_EQ(out[tv::abi::kMaxNameBytes - 1], '\0');  // never left unterminated
}

TEST(GuestName, NonCanonicalAndUnmappedPointersAreUnreadable) {
  FakeGuest g;
  char out[tv::abi::kMaxNameBytes];
  EXPECT_EQ(read(g, 0x8000000000000000ull, out).error(), NameError::Unreadable);
  EXPECT_EQ(read(g, 0x1000, out).error(), NameError::Unreadable);
}

TEST(GuestName, AShorterLimitStopsAtTheLimit) {
  // Module names (drvhook): 56 bytes with the NUL. 55 + NUL fits; 56 without
  // fails as Unterminated even though a NUL follows, and nothing past the limit
  // is read (the page after the 56 bytes is unmapped).
  FakeGuest g;
  g.map(0x400000);
  char out[56];
  g.poke(0x400000, std::string(55, 'm') + '\0');
  auto n = read_guest_name(g, g.state(), 0x400000, true, out, sizeof out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 55u);
  g.poke(0x400fc8, std::string(56, 'm'));  // ends exactly at the page end
  EXPECT_EQ(read_guest_name(g, g.state(), 0x400fc8, true, out, sizeof out).error(), NameError::Unterminated);
  EXPECT_EQ(out[55], '\0');
  EXPECT_EQ(read_guest_name(g, g.state(), 0x400fc9, true, out, sizeof out).error(), NameError::Unreadable);
  EXPECT_EQ(out[55], '\0');
}

TEST(GuestName, UserCallersCannotReadSupervisorPages) {
  FakeGuest g;
  g.map(0x400000, /*user=*/false);
  g.poke(0x400000, std::string("secret") + '\0');
  char out[tv::abi::kMaxNameBytes];
  EXPECT_EQ(read(g, 0x400000, out, /*user=*/true).error(), NameError::Unreadable);
  EXPECT_TRUE(read(g, 0x400000, out, /*user=*/false).ok());
}

TEST(HypercallArgs, PassesFullRegistersIn64BitMode) {
  const u64 regs[5] = {1ull << 40, 2, 3, 4, ~0ull};
  HypercallArgs a = hypercall_args(0x100000005ull, regs, true);
  EXPECT_EQ(a.number, 0x100000005ull);
  EXPECT_EQ(a.arg[0], 1ull << 40);
  EXPECT_EQ(a.arg[4], ~0ull);
}

TEST(HypercallArgs, KeepsOnlyLowHalvesOutside64BitMode) {
  const u64 regs[5] = {0xdeadbeef00000007ull, 0xffffffff00000000ull, 3, 4, 5};
  HypercallArgs a = hypercall_args(0xabcdef0100000001ull, regs, false);
  EXPECT_EQ(a.number, 1u);
  EXPECT_EQ(a.arg[0], 7u);
  EXPECT_EQ(a.arg[1], 0u);
  EXPECT_EQ(a.arg[2], 3u);
}

TEST(HypercallArgs, TheNumberAloneAgreesWithTheFullSet) {
  const u64 regs[5] = {};
  for (bool long_mode : {false, true})
    for (u64 rax : {0ull, 5ull, 0xabcdef0100000001ull, ~0ull})
      EXPECT_EQ(hypercall_number(rax, long_mode), hypercall_args(rax, regs, long_mode).number);
}
