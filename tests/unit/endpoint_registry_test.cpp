#include "tv/endpoint_registry.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {
using namespace tv;

// The VMM keeps a registry as a global: it must need no run-time constructor.
constinit EndpointRegistry<4> g_constant_initialised;

TEST(EndpointRegistry, AddFindResolve) {
  EndpointRegistry<4> reg;
  auto a = reg.add(3, 0x1000, "ttyout");
  ASSERT_TRUE(a.ok()) << to_string(a.error());
  auto found = reg.find("ttyout");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->index, a->index);
  EXPECT_EQ(found->generation, a->generation);
  auto e = reg.resolve(*a);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->owner, 3u);
  EXPECT_EQ((*e)->entry, 0x1000u);
  EXPECT_STREQ((*e)->name, "ttyout");
  EXPECT_TRUE((*e)->live);
  EXPECT_EQ(reg.live_count(), 1u);
}

TEST(EndpointRegistry, ZeroRefIsNeverLive) {
  // A zeroed descriptor must not reach slot 0's endpoint.
  EndpointRegistry<4> reg;
  ASSERT_TRUE(reg.add(0, 1, "a").ok());
  EXPECT_EQ(reg.resolve(EndpointRef{}).error(), DomainError::StaleDescriptor);
}

TEST(EndpointRegistry, DuplicateNames) {
  EndpointRegistry<4> reg;
  ASSERT_TRUE(reg.add(1, 1, "log").ok());
  EXPECT_EQ(reg.add(2, 2, "log").error(), DomainError::NameTaken);
  EXPECT_EQ(reg.add(1, 3, "log").error(), DomainError::NameTaken);
  EXPECT_TRUE(reg.add(2, 2, "log2").ok());
  EXPECT_EQ(reg.live_count(), 2u);
}

TEST(EndpointRegistry, AnonymousEndpoints) {
  EndpointRegistry<4> reg;
  auto a = reg.add(1, 1, nullptr);
  auto b = reg.add(2, 2, "");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());  // many anonymous endpoints: "" is not a name that can be taken
  EXPECT_NE(a->index, b->index);
  EXPECT_STREQ((*reg.resolve(*a))->name, "");
  EXPECT_EQ(reg.find("").error(), DomainError::NoSuchName);
  EXPECT_EQ(reg.find(nullptr).error(), DomainError::NoSuchName);
}

TEST(EndpointRegistry, NameLengths) {
  EndpointRegistry<4> reg;
  const std::string longest(dom::kMaxNameBytes - 1, 'n');
  const std::string too_long(dom::kMaxNameBytes, 'n');
  auto a = reg.add(1, 1, longest.c_str());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(std::string((*reg.resolve(*a))->name), longest);
  EXPECT_TRUE(reg.find(longest.c_str()).ok());
  EXPECT_EQ(reg.add(1, 1, too_long.c_str()).error(), DomainError::BadArgument);
  EXPECT_EQ(reg.find(too_long.c_str()).error(), DomainError::NoSuchName);
}

TEST(EndpointRegistry, UnterminatedNameIsNeverReadPastTheLimit) {
  // Exactly kMaxNameBytes readable bytes, none of them NUL: reading one more would overflow.
  char raw[dom::kMaxNameBytes];
  for (char& c : raw) c = 'x';
  EndpointRegistry<4> reg;
  EXPECT_EQ(reg.add(1, 1, raw).error(), DomainError::BadArgument);
  EXPECT_EQ(reg.find(raw).error(), DomainError::NoSuchName);
  EXPECT_EQ(reg.live_count(), 0u);
}

TEST(EndpointRegistry, TableFull) {
  EndpointRegistry<2> reg;
  ASSERT_TRUE(reg.add(1, 1, "a").ok());
  ASSERT_TRUE(reg.add(1, 1, nullptr).ok());
  EXPECT_EQ(reg.add(1, 1, "b").error(), DomainError::TableFull);
  EXPECT_EQ(reg.add(1, 1, nullptr).error(), DomainError::TableFull);
  EXPECT_EQ(reg.add(1, 1, "a").error(), DomainError::NameTaken);  // a taken name says so even when full
}

TEST(EndpointRegistry, RemoveMakesRefsStaleAndFreesTheName) {
  EndpointRegistry<4> reg;
  auto a = reg.add(5, 1, "svc");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(reg.remove(*a, 6).error(), DomainError::NotOwner);
  EXPECT_TRUE(reg.resolve(*a).ok());
  EXPECT_TRUE(reg.remove(*a, 5).ok());
  EXPECT_EQ(reg.resolve(*a).error(), DomainError::StaleDescriptor);
  EXPECT_EQ(reg.remove(*a, 5).error(), DomainError::StaleDescriptor);
  EXPECT_EQ(reg.find("svc").error(), DomainError::NoSuchName);
  EXPECT_EQ(reg.live_count(), 0u);
  EXPECT_TRUE(reg.add(7, 2, "svc").ok());
}

TEST(EndpointRegistry, ReusedSlotGetsANewGeneration) {
  EndpointRegistry<1> reg;
  auto old_ref = reg.add(1, 1, "first");
  ASSERT_TRUE(old_ref.ok());
  ASSERT_TRUE(reg.remove(*old_ref, 1).ok());
  auto new_ref = reg.add(2, 2, "second");
  ASSERT_TRUE(new_ref.ok());
  EXPECT_EQ(new_ref->index, old_ref->index);
  EXPECT_EQ(new_ref->generation, old_ref->generation + 1);
  EXPECT_EQ(reg.resolve(*old_ref).error(), DomainError::StaleDescriptor);
  EXPECT_EQ(reg.remove(*old_ref, 2).error(), DomainError::StaleDescriptor);  // cannot remove the newcomer
  EXPECT_EQ((*reg.resolve(*new_ref))->owner, 2u);
}

TEST(EndpointRegistry, OutOfRangeRefIsStale) {
  EndpointRegistry<4> reg;
  auto a = reg.add(1, 1, "a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(reg.resolve(EndpointRef{4, a->generation}).error(), DomainError::StaleDescriptor);
  EXPECT_EQ(reg.resolve(EndpointRef{0xFFFF, a->generation}).error(), DomainError::StaleDescriptor);
  EXPECT_EQ(reg.remove(EndpointRef{0xFFFF, a->generation}, 1).error(), DomainError::StaleDescriptor);
  EXPECT_EQ(reg.resolve(EndpointRef{a->index, a->generation + 1}).error(), DomainError::StaleDescriptor);
}

TEST(EndpointRegistry, RemoveOwner) {
  EndpointRegistry<8> reg;
  auto mine1 = reg.add(9, 1, "a");
  auto other = reg.add(4, 2, "b");
  auto mine2 = reg.add(9, 3, nullptr);
  ASSERT_TRUE(mine1.ok() && other.ok() && mine2.ok());
  EXPECT_EQ(reg.remove_owner(9), 2u);
  EXPECT_EQ(reg.resolve(*mine1).error(), DomainError::StaleDescriptor);
  EXPECT_EQ(reg.resolve(*mine2).error(), DomainError::StaleDescriptor);
  EXPECT_TRUE(reg.resolve(*other).ok());
  EXPECT_EQ(reg.live_count(), 1u);
  EXPECT_EQ(reg.remove_owner(9), 0u);
  EXPECT_TRUE(reg.add(1, 1, "a").ok());  // the dead domain's name is free again
}

TEST(EndpointRegistry, ConstantInitialisedGlobalWorks) {
  auto a = g_constant_initialised.add(1, 1, "g");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(g_constant_initialised.remove(*a, 1).ok());
}

}  // namespace
