#include "tv/descriptor_table.hpp"

#include <gtest/gtest.h>

namespace {
using namespace tv;

constexpr i64 kSize = static_cast<i64>(dom::kMaxDescriptors);

EndpointRef some_ref(u16 i) {
  return EndpointRef{i, 1};
}

TEST(DescriptorTable, AddGetClose) {
  DescriptorTable t;
  EXPECT_EQ(t.open_count(), 0u);
  auto d = t.add(some_ref(7), true);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, 0);
  auto e = t.get(*d);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->endpoint.index, 7u);
  EXPECT_EQ(e->endpoint.generation, 1u);
  EXPECT_TRUE(e->registered_here);
  EXPECT_FALSE(t.get(*t.add(some_ref(8)))->registered_here);
  EXPECT_EQ(t.open_count(), 2u);
  EXPECT_TRUE(t.close(*d).ok());
  EXPECT_EQ(t.open_count(), 1u);
}

TEST(DescriptorTable, ClosedDescriptors) {
  DescriptorTable t;
  EXPECT_EQ(t.get(0).error(), DomainError::ClosedDescriptor);  // never opened
  EXPECT_EQ(t.get(kSize - 1).error(), DomainError::ClosedDescriptor);
  EXPECT_EQ(t.close(0).error(), DomainError::ClosedDescriptor);
  ASSERT_TRUE(t.add(some_ref(1)).ok());
  ASSERT_TRUE(t.close(0).ok());
  EXPECT_EQ(t.get(0).error(), DomainError::ClosedDescriptor);  // already closed
  EXPECT_EQ(t.close(0).error(), DomainError::ClosedDescriptor);
}

TEST(DescriptorTable, OutOfRange) {
  DescriptorTable t;
  for (int i = 0; i < kSize; ++i) ASSERT_TRUE(t.add(some_ref(1)).ok());
  for (i64 bad : {i64{-1}, kSize, i64{1} << 32, INT64_MAX, INT64_MIN}) {
    EXPECT_EQ(t.get(bad).error(), DomainError::BadDescriptor) << bad;
    EXPECT_EQ(t.close(bad).error(), DomainError::BadDescriptor) << bad;
  }
  EXPECT_EQ(kSize, 32);
}

TEST(DescriptorTable, FullTable) {
  DescriptorTable t;
  for (int i = 0; i < kSize; ++i) {
    auto d = t.add(some_ref(static_cast<u16>(i)));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, i);
  }
  EXPECT_EQ(t.add(some_ref(99)).error(), DomainError::TableFull);
  EXPECT_EQ(t.open_count(), dom::kMaxDescriptors);
  ASSERT_TRUE(t.close(17).ok());
  EXPECT_EQ(*t.add(some_ref(99)), 17);
  EXPECT_EQ(t.get(17)->endpoint.index, 99u);
}

TEST(DescriptorTable, LowestFreeSlotIsReused) {
  DescriptorTable t;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(t.add(some_ref(1)).ok());
  ASSERT_TRUE(t.close(3).ok());
  ASSERT_TRUE(t.close(1).ok());
  EXPECT_EQ(*t.add(some_ref(2)), 1);
  EXPECT_EQ(*t.add(some_ref(2)), 3);
  EXPECT_EQ(*t.add(some_ref(2)), 5);
}

TEST(DescriptorTable, ClearClosesEverything) {
  DescriptorTable t;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(t.add(some_ref(1)).ok());
  t.clear();
  EXPECT_EQ(t.open_count(), 0u);
  EXPECT_EQ(t.get(2).error(), DomainError::ClosedDescriptor);
  EXPECT_EQ(*t.add(some_ref(1)), 0);
}

// The registry is what tells a live descriptor from a stale one.
TEST(DescriptorTable, StaleWhenEndpointRemoved) {
  EndpointRegistry<4> reg;
  DescriptorTable t;
  auto ep = reg.add(2, 0x1000, "svc");
  ASSERT_TRUE(ep.ok());
  auto d = t.add(*reg.find("svc"));
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(reg.resolve(t.get(*d)->endpoint).ok());
  ASSERT_TRUE(reg.remove(*ep, 2).ok());
  auto e = t.get(*d);
  ASSERT_TRUE(e.ok());                                                        // the descriptor is still open ...
  EXPECT_EQ(reg.resolve(e->endpoint).error(), DomainError::StaleDescriptor);  // ... but names nothing
  EXPECT_TRUE(t.close(*d).ok());                                              // and can still be closed
}

TEST(DescriptorTable, StaleWhenSlotReusedByNewEndpoint) {
  EndpointRegistry<1> reg;
  DescriptorTable t;
  auto old_ep = reg.add(2, 0x1000, "svc");
  ASSERT_TRUE(old_ep.ok());
  const int d = *t.add(*old_ep);
  ASSERT_EQ(reg.remove_owner(2), 1u);  // the serving domain exits
  auto new_ep = reg.add(3, 0x2000, "svc");
  ASSERT_TRUE(new_ep.ok());
  ASSERT_EQ(new_ep->index, old_ep->index);
  EXPECT_EQ(reg.resolve(t.get(d)->endpoint).error(), DomainError::StaleDescriptor);
}

TEST(DescriptorTable, SendingDescriptorsBetweenTables) {
  // msgsenddesc: the receiver gets a copy of the sender's reference in its lowest free
  // slot, never the sender's registered_here right (only the registrar may unregister).
  EndpointRegistry<8> reg;
  DescriptorTable sender, receiver;
  const int in = *sender.add(*reg.add(0, 0x10, "ttyin"));
  const int out = *sender.add(*reg.add(0, 0x20, "ttyout"));
  const int own = *sender.add(*reg.add(4, 0x30, "mine"), true);
  for (int d : {in, out, own}) {
    auto e = sender.get(d);
    ASSERT_TRUE(e.ok());
    ASSERT_TRUE(receiver.add(e->endpoint).ok());
  }
  EXPECT_EQ((*reg.resolve(receiver.get(0)->endpoint))->entry, 0x10u);  // stdin
  EXPECT_EQ((*reg.resolve(receiver.get(1)->endpoint))->entry, 0x20u);  // stdout
  EXPECT_EQ((*reg.resolve(receiver.get(2)->endpoint))->entry, 0x30u);
  EXPECT_FALSE(receiver.get(2)->registered_here);
  EXPECT_TRUE(sender.get(own)->registered_here);
  // Closing the sender's copy leaves the receiver's intact.
  ASSERT_TRUE(sender.close(out).ok());
  EXPECT_TRUE(reg.resolve(receiver.get(1)->endpoint).ok());
}

}  // namespace
