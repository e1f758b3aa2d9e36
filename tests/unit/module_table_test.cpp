// The guest module table both module-load detectors feed (docs/module-watch.md).
#include "tv/module_table.hpp"

#include <gtest/gtest.h>

#include <string>

#include "thinvisor/modwatch.h"
#include "tv/hypercall_abi.hpp"

namespace {
using namespace tv;

constexpr u64 kBase = 0xFFFFFFFFC0359000ull;
constexpr u64 kSize = 0x3000;
constexpr Detector kAgent = Detector::Agent;
constexpr Detector kAgentless = Detector::Agentless;

TEST(ModuleTable, LoadThenUnload) {
  ModuleTable t;
  ModuleRecord r{};
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Coming, "thinvisor_testmod", kBase, kSize, 100, &r).ok());
  EXPECT_TRUE(r.new_load);
  EXPECT_EQ(r.state, ModuleState::Coming);
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Live, "thinvisor_testmod", kBase, kSize, 200, &r).ok());
  EXPECT_FALSE(r.new_load);
  EXPECT_EQ(r.state, ModuleState::Live);
  ASSERT_EQ(t.count(), 1u);
  const ModuleEntry* m = t.at(0);
  EXPECT_STREQ(m->name, "thinvisor_testmod");
  EXPECT_EQ(m->base, kBase);
  EXPECT_EQ(m->size, kSize);
  EXPECT_EQ(m->first_tsc, 100u);
  EXPECT_EQ(m->last_tsc, 200u);
  EXPECT_EQ(m->detectors, 1);
  EXPECT_EQ(t.loaded(), 1u);
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Going, "thinvisor_testmod", kBase, kSize, 300, &r).ok());
  EXPECT_EQ(r.state, ModuleState::Unloaded);
  EXPECT_EQ(t.loaded(), 0u);
  EXPECT_EQ(t.at(1), nullptr);
  EXPECT_EQ(t.stats().events, 3u);
  EXPECT_EQ(t.stats().loads, 1u);
}

TEST(ModuleTable, GoingWhileComingIsAFailedLoad) {
  ModuleTable t;
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Coming, "thinvisor_failmod", kBase, kSize, 1).ok());
  ModuleRecord r{};
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Going, "thinvisor_failmod", kBase, kSize, 2, &r).ok());
  EXPECT_EQ(r.state, ModuleState::Failed);
  EXPECT_EQ(t.find("thinvisor_failmod")->state, ModuleState::Failed);
  // An explicit Failed does the same; after it, neither a second Failed nor a Going fits.
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Coming, "other", kBase, kSize, 3).ok());
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Failed, "other", kBase, kSize, 4, &r).ok());
  EXPECT_EQ(r.state, ModuleState::Failed);
  EXPECT_EQ(t.record(kAgent, ModuleEvent::Failed, "other", kBase, kSize, 5).error(), ModuleTableError::NotLoaded);
  EXPECT_EQ(t.record(kAgent, ModuleEvent::Going, "other", kBase, kSize, 5).error(), ModuleTableError::NotLoaded);
  // Failed for a Live module is no transition.
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Live, "live", kBase, kSize, 6).ok());
  EXPECT_EQ(t.record(kAgent, ModuleEvent::Failed, "live", kBase, kSize, 7).error(), ModuleTableError::NotLoaded);
  EXPECT_EQ(t.find("live")->state, ModuleState::Live);
}

TEST(ModuleTable, GoingForAnUnknownOrUnloadedModuleIsRefused) {
  ModuleTable t;
  EXPECT_EQ(t.record(kAgent, ModuleEvent::Going, "nosuch", kBase, kSize, 1).error(), ModuleTableError::NotLoaded);
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Live, "m", kBase, kSize, 2).ok());
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Going, "m", kBase, kSize, 3).ok());
  EXPECT_EQ(t.record(kAgent, ModuleEvent::Going, "m", kBase, kSize, 4).error(), ModuleTableError::NotLoaded);
  EXPECT_EQ(t.count(), 1u);
  EXPECT_EQ(t.stats().rejected, 2u);
}

TEST(ModuleTable, LoadingAgainRefreshesTheEntry) {
  ModuleTable t;
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Coming, "m", kBase, kSize, 1).ok());
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Live, "m", kBase, kSize, 2).ok());
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Going, "m", kBase, kSize, 3).ok());
  ModuleRecord r{};
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Coming, "m", kBase + 0x10000, kSize * 2, 10, &r).ok());
  EXPECT_TRUE(r.new_load);
  EXPECT_FALSE(r.reused);
  ASSERT_EQ(t.count(), 1u);
  const ModuleEntry* m = t.at(0);
  EXPECT_EQ(m->state, ModuleState::Coming);
  EXPECT_EQ(m->base, kBase + 0x10000);
  EXPECT_EQ(m->size, kSize * 2);
  EXPECT_EQ(m->first_tsc, 10u);
  EXPECT_EQ(m->loads, 2u);
  EXPECT_EQ(m->seen[2], 0);  // the old unload is forgotten
  // A second Coming from the same detector means the previous load ended unseen: a new load.
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Coming, "m", kBase, kSize, 11, &r).ok());
  EXPECT_TRUE(r.new_load);
  EXPECT_EQ(t.at(0)->loads, 3u);
  // So does a second Live.
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Live, "m", kBase, kSize, 12, &r).ok());
  EXPECT_FALSE(r.new_load);
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Live, "m", kBase, kSize, 13, &r).ok());
  EXPECT_TRUE(r.new_load);
  EXPECT_EQ(t.at(0)->state, ModuleState::Live);
  EXPECT_EQ(t.count(), 1u);
}

TEST(ModuleTable, BothDetectorsMergeIntoOneEntry) {
  ModuleTable t;
  ModuleRecord r{};
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Coming, "m", kBase, kSize, 1).ok());
  ASSERT_TRUE(t.record(kAgentless, ModuleEvent::Coming, "m", kBase, kSize, 2, &r).ok());
  EXPECT_TRUE(r.merged);
  EXPECT_FALSE(r.new_load);
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Live, "m", kBase, kSize, 3).ok());
  // The agentless detector's Live after the agent's: merged, not a new load.
  ASSERT_TRUE(t.record(kAgentless, ModuleEvent::Live, "m", kBase, kSize, 4, &r).ok());
  EXPECT_TRUE(r.merged);
  const ModuleEntry* m = t.at(0);
  EXPECT_EQ(m->detectors, 3);
  EXPECT_EQ(m->seen[0], 3);
  EXPECT_EQ(m->seen[1], 3);
  EXPECT_STREQ(detectors_string(m->detectors), "agent+agentless");
  ASSERT_TRUE(t.record(kAgentless, ModuleEvent::Going, "m", kBase, kSize, 5, &r).ok());
  EXPECT_EQ(r.state, ModuleState::Unloaded);
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Going, "m", kBase, kSize, 6, &r).ok());
  EXPECT_TRUE(r.merged);
  EXPECT_EQ(t.at(0)->seen[2], 3);
  EXPECT_EQ(t.at(0)->loads, 1u);
  EXPECT_EQ(t.at(0)->first_tsc, 1u);
  EXPECT_EQ(t.at(0)->last_tsc, 6u);
}

TEST(ModuleTable, ADisagreeingReportIsFlaggedAndTheFirstValuesKept) {
  ModuleTable t;
  ASSERT_TRUE(t.record(kAgentless, ModuleEvent::Coming, "m", kBase, kSize, 1).ok());
  ModuleRecord r{};
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Coming, "m", kBase + 0x1000, kSize, 2, &r).ok());
  EXPECT_TRUE(r.mismatch);
  EXPECT_TRUE(t.at(0)->mismatch);
  EXPECT_EQ(t.at(0)->base, kBase);
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Live, "m", kBase, kSize + 1, 3, &r).ok());
  EXPECT_TRUE(r.mismatch);
  EXPECT_EQ(t.at(0)->size, kSize);
}

TEST(ModuleTable, ChecksEveryArgument) {
  ModuleTable t;
  auto rec = [&](ModuleEvent e, const char* name, u64 base, u64 size) {
    return t.record(kAgent, e, name, base, size, 1);
  };
  EXPECT_EQ(rec(ModuleEvent(0), "m", kBase, kSize).error(), ModuleTableError::BadEvent);
  EXPECT_EQ(rec(ModuleEvent(5), "m", kBase, kSize).error(), ModuleTableError::BadEvent);
  EXPECT_EQ(t.record(Detector(0), ModuleEvent::Live, "m", kBase, kSize, 1).error(), ModuleTableError::BadEvent);
  EXPECT_EQ(t.record(Detector(3), ModuleEvent::Live, "m", kBase, kSize, 1).error(), ModuleTableError::BadEvent);
  EXPECT_EQ(rec(ModuleEvent::Live, nullptr, kBase, kSize).error(), ModuleTableError::BadName);
  EXPECT_EQ(rec(ModuleEvent::Live, "", kBase, kSize).error(), ModuleTableError::BadName);
  EXPECT_EQ(rec(ModuleEvent::Live, "a\nthinvisor: forged", kBase, kSize).error(), ModuleTableError::BadName);
  EXPECT_EQ(rec(ModuleEvent::Live, "a b", kBase, kSize).error(), ModuleTableError::BadName);
  EXPECT_EQ(rec(ModuleEvent::Live, "\xff", kBase, kSize).error(), ModuleTableError::BadName);
  const std::string longest(kModuleNameBytes - 1, 'x'), too_long(kModuleNameBytes, 'x');
  EXPECT_TRUE(rec(ModuleEvent::Live, longest.c_str(), kBase, kSize).ok());
  EXPECT_EQ(rec(ModuleEvent::Live, too_long.c_str(), kBase, kSize).error(), ModuleTableError::BadName);
  EXPECT_TRUE(rec(ModuleEvent::Live, "Ab-9_z", kBase, kSize).ok());
  EXPECT_EQ(rec(ModuleEvent::Live, "m", 0x400000, kSize).error(), ModuleTableError::BadBase);  // user half
  EXPECT_EQ(rec(ModuleEvent::Live, "m", 0x0000800000000000ull, kSize).error(), ModuleTableError::BadBase);
  EXPECT_EQ(rec(ModuleEvent::Live, "m", 0x8000000000000000ull, kSize).error(), ModuleTableError::BadBase);
  EXPECT_EQ(rec(ModuleEvent::Live, "m", kBase, 0).error(), ModuleTableError::BadSize);
  EXPECT_EQ(rec(ModuleEvent::Live, "m", kBase, kMaxModuleBytes).error(), ModuleTableError::BadSize);
  EXPECT_TRUE(rec(ModuleEvent::Live, "big", 0xFFFFFFFF80000000ull, kMaxModuleBytes - 1).ok());
  EXPECT_EQ(rec(ModuleEvent::Live, "m", ~0ull - 0xFFF, 0x2000).error(), ModuleTableError::RangeWraps);
  EXPECT_EQ(rec(ModuleEvent::Live, "m", kBase, kMaxModuleBytes - 1).error(), ModuleTableError::RangeWraps);
  EXPECT_TRUE(rec(ModuleEvent::Live, "top", ~0ull - 0xFFF, 0x1000).ok());  // ends exactly at 2^64
  EXPECT_EQ(t.count(), 4u);
  EXPECT_EQ(t.stats().rejected, 17u);
}

TEST(ModuleTable, RangeRulesFollowThePagingDepth) {
  EXPECT_TRUE(check_module_range(0xFFFF800000000000ull, 1, 48).ok());
  EXPECT_EQ(check_module_range(0xFFFF7FFFFFFFF000ull, 1, 48).error(), ModuleTableError::BadBase);
  EXPECT_TRUE(check_module_range(0xFF00000000000000ull, 1, 57).ok());
  EXPECT_EQ(check_module_range(0xFF00000000000000ull, 1, 48).error(), ModuleTableError::BadBase);
  EXPECT_EQ(check_module_range(0xFE00000000000000ull, 1, 57).error(), ModuleTableError::BadBase);
}

TEST(ModuleTable, WhenFullTheOldestUnloadedEntryIsReused) {
  ModuleTable t;
  for (usize i = 0; i < ModuleTable::kCapacity; ++i) {
    const std::string name = "mod" + std::to_string(i);
    ASSERT_TRUE(t.record(kAgent, ModuleEvent::Live, name.c_str(), kBase, kSize, i).ok()) << i;
  }
  EXPECT_EQ(t.count(), ModuleTable::kCapacity);
  EXPECT_EQ(t.record(kAgent, ModuleEvent::Coming, "new", kBase, kSize, 100).error(), ModuleTableError::Full);
  EXPECT_EQ(t.stats().full, 1u);
  // Events for modules already in the table still go in.
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Going, "mod7", kBase, kSize, 101).ok());
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Going, "mod3", kBase, kSize, 102).ok());
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Coming, "mod9", kBase, kSize, 103).ok());
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Going, "mod9", kBase, kSize, 104).ok());  // failed
  ModuleRecord r{};
  // mod7 was unloaded first: its entry goes first, then mod3's, then the failed mod9's.
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Coming, "new", kBase, kSize, 105, &r).ok());
  EXPECT_TRUE(r.reused);
  EXPECT_EQ(r.index, 7u);
  EXPECT_EQ(t.find("mod7"), nullptr);
  EXPECT_EQ(t.at(7)->loads, 1u);
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Live, "new2", kBase, kSize, 106, &r).ok());
  EXPECT_EQ(r.index, 3u);
  ASSERT_TRUE(t.record(kAgent, ModuleEvent::Live, "new3", kBase, kSize, 107, &r).ok());
  EXPECT_EQ(r.index, 9u);
  EXPECT_EQ(t.record(kAgent, ModuleEvent::Live, "new4", kBase, kSize, 108).error(), ModuleTableError::Full);
  EXPECT_EQ(t.count(), ModuleTable::kCapacity);
  EXPECT_EQ(t.stats().reused, 3u);
}

TEST(ModuleTable, ThousandsOfCyclesStayInOneEntry) {
  ModuleTable t;
  for (u64 i = 0; i < 5000; ++i) {
    ASSERT_TRUE(t.record(kAgent, ModuleEvent::Coming, "thinvisor_testmod", kBase + i * 0x1000, kSize, i).ok());
    ASSERT_TRUE(t.record(kAgent, ModuleEvent::Live, "thinvisor_testmod", kBase + i * 0x1000, kSize, i).ok());
    ASSERT_TRUE(t.record(kAgent, ModuleEvent::Going, "thinvisor_testmod", kBase + i * 0x1000, kSize, i).ok());
  }
  EXPECT_EQ(t.count(), 1u);
  EXPECT_EQ(t.at(0)->loads, 5000u);
  EXPECT_FALSE(t.at(0)->mismatch);
  EXPECT_EQ(t.stats().full, 0u);
}

TEST(ModuleTable, Names) {
  EXPECT_STREQ(to_string(ModuleState::Unloaded), "unloaded");
  EXPECT_STREQ(to_string(ModuleEvent::Going), "going");
  EXPECT_STREQ(detectors_string(0), "-");
  EXPECT_STREQ(detectors_string(2), "agentless");
  for (u8 e = 1; e <= kModuleTableErrorCount; ++e)
    EXPECT_STRNE(to_string(ModuleTableError(e)), "unknown module table error") << int(e);
}

TEST(ModuleTable, TheGuestHeaderAgreesWithTheVmm) {
  EXPECT_EQ(TV_MOD_NAME_BYTES, kModuleNameBytes);
  EXPECT_EQ(TV_MOD_COMING, int(ModuleEvent::Coming));
  EXPECT_EQ(TV_MOD_LIVE, int(ModuleEvent::Live));
  EXPECT_EQ(TV_MOD_GOING, int(ModuleEvent::Going));
  EXPECT_EQ(TV_MOD_STATE_LIVE, int(ModuleState::Live));
  EXPECT_EQ(TV_MOD_STATE_UNLOADED, int(ModuleState::Unloaded));
  EXPECT_EQ(TV_MOD_STATE_FAILED, int(ModuleState::Failed));
  EXPECT_EQ(TV_MOD_BY_AGENTLESS, int(Detector::Agentless));
  EXPECT_EQ(TV_MOD_NOT_LOADED, kModuleTableErrorCount);
  EXPECT_EQ(TV_ERR_MOD(TV_MOD_BAD_EVENT), u64(-64));
  EXPECT_EQ(tv::abi::module_error(u8(ModuleTableError::BadEvent)), u64(-64));
  EXPECT_EQ(tv::abi::module_error(kModuleTableErrorCount), u64(-72));
  for (u8 c = 1; c <= kModuleTableErrorCount; ++c) {
    EXPECT_EQ(TV_ERR_MOD(c), tv::abi::module_error(c)) << int(c);
    EXPECT_STREQ(tv_mod_strerror(tv::abi::module_error(c)), to_string(ModuleTableError(c))) << int(c);
  }
  EXPECT_STREQ(tv_mod_strerror(u64(-2)), "not allowed from this privilege level");
}

}  // namespace
