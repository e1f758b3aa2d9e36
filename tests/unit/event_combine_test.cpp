#include "tv/event_combine.hpp"

#include <gtest/gtest.h>

using tv::combine_events;
using tv::Combined;

TEST(EventCombine, ContributoryOnContributoryIsADoubleFault) {
  EXPECT_EQ(combine_events(true, 13, 13), Combined::DoubleFault);  // #GP while delivering #GP
  EXPECT_EQ(combine_events(true, 0, 11), Combined::DoubleFault);
  EXPECT_EQ(combine_events(true, 10, 12), Combined::DoubleFault);
}

TEST(EventCombine, PageFaultRules) {
  EXPECT_EQ(combine_events(true, 14, 14), Combined::DoubleFault);
  EXPECT_EQ(combine_events(true, 14, 13), Combined::DoubleFault);
  EXPECT_EQ(combine_events(true, 13, 14), Combined::DeliverSecond);  // #PF on top of #GP is handled serially
  EXPECT_EQ(combine_events(true, 14, 6), Combined::DeliverSecond);
}

TEST(EventCombine, AnythingOnADoubleFaultShutsDown) {
  EXPECT_EQ(combine_events(true, 8, 13), Combined::TripleFault);
  EXPECT_EQ(combine_events(true, 8, 6), Combined::TripleFault);
}

TEST(EventCombine, BenignFirstEventsDeliverTheSecond) {
  EXPECT_EQ(combine_events(false, 0x20, 13), Combined::DeliverSecond);  // external interrupt
  EXPECT_EQ(combine_events(false, 2, 13), Combined::DeliverSecond);     // NMI
  EXPECT_EQ(combine_events(true, 1, 13), Combined::DeliverSecond);      // #DB
  EXPECT_EQ(combine_events(true, 6, 13), Combined::DeliverSecond);      // #UD
}
