#include "tv/apic_policy.hpp"

#include <gtest/gtest.h>

using namespace tv;
using namespace tv::apic;

namespace {
constexpr u32 kSelf = 0;
constexpr u32 kOther = 1;

// ICR low: mode in 10:8, logical 11, level 14, trigger 15, shorthand 19:18.
constexpr u32 icr(u32 mode, u32 shorthand = 0, bool level = true, bool trigger_level = false, bool logical = false,
                  u32 vector = 0) {
  return vector | (mode << 8) | (logical ? 1u << 11 : 0) | (level ? 1u << 14 : 0) | (trigger_level ? 1u << 15 : 0) |
         (shorthand << 18);
}
constexpr u32 dest(u32 id) {
  return id << 24;
}
constexpr u32 kInit = 5, kSipi = 6, kSmi = 2, kNmi = 4, kFixed = 0, kLowest = 1;

Decision xicr(u32 low, u32 high) {
  return on_xapic_write(kRegIcrLow, low, high, kSelf);
}
void expect(Decision d, Verdict v, u64 value) {
  EXPECT_EQ(d.verdict, v);
  EXPECT_EQ(d.value, value);
  if (v == Verdict::Pass) {
    EXPECT_EQ(d.reason, nullptr);
  } else {
    EXPECT_NE(d.reason, nullptr);
  }
  if (v != Verdict::InitCpu && v != Verdict::StartCpu) {  // no target unless there is one
    EXPECT_EQ(d.target.apic_id, 0u);
    EXPECT_FALSE(d.target.all_excluding_self);
    EXPECT_EQ(d.sipi_vector, 0);
  }
}
void expect_drop(Decision d, const char* reason) {
  expect(d, Verdict::Drop, 0);
  EXPECT_STREQ(d.reason, reason);
}

// An emulated INIT/SIPI: `all` for "every CPU but the sender", else one APIC ID.
struct Target {
  bool all;
  u32 apic_id;
};
constexpr Target kAll{true, 0};
constexpr Target cpu(u32 apic_id) {
  return {false, apic_id};
}
void expect_ipi(Decision d, Verdict v, Target t, u8 vector) {
  EXPECT_EQ(d.verdict, v);
  EXPECT_EQ(d.value, 0u);
  EXPECT_NE(d.reason, nullptr);
  EXPECT_EQ(d.target.all_excluding_self, t.all);
  if (!t.all) {
    EXPECT_EQ(d.target.apic_id, t.apic_id);  // apic_id means nothing for "all"
  }
  EXPECT_EQ(d.sipi_vector, vector);
}
void expect_init(Decision d, Target t) {
  expect_ipi(d, Verdict::InitCpu, t, 0);
}
void expect_start(Decision d, Target t, u8 vector) {
  expect_ipi(d, Verdict::StartCpu, t, vector);
}
constexpr const char* kSipiToSelf = "start-up IPI to the running CPU ignored";
}  // namespace

// ---- Decoders ----

TEST(ApicDecode, XapicIcr) {
  Icr i = decode_xapic_icr(0x000CCDF3, 0xAB000000);  // all-excl-self, trigger level, level, logical, INIT
  EXPECT_EQ(i.vector, 0xF3);
  EXPECT_EQ(i.mode, DeliveryMode::Init);
  EXPECT_TRUE(i.logical);
  EXPECT_TRUE(i.level_assert);
  EXPECT_TRUE(i.level_trigger);
  EXPECT_EQ(i.shorthand, Shorthand::AllExcludingSelf);
  EXPECT_EQ(i.destination, 0xABu);
  EXPECT_FALSE(i.x2apic);
  Icr z = decode_xapic_icr(0x00000620, 0x00FFFFFF);  // SIPI; only bits 31:24 of high are the destination
  EXPECT_EQ(z.vector, 0x20);
  EXPECT_EQ(z.mode, DeliveryMode::StartUp);
  EXPECT_FALSE(z.logical);
  EXPECT_FALSE(z.level_assert);
  EXPECT_FALSE(z.level_trigger);
  EXPECT_EQ(z.shorthand, Shorthand::None);
  EXPECT_EQ(z.destination, 0u);
}

TEST(ApicDecode, X2apicIcr) {
  Icr i = decode_x2apic_icr(0x1234567800044200ull);  // self, level, SMI
  EXPECT_EQ(i.destination, 0x12345678u);
  EXPECT_EQ(i.mode, DeliveryMode::Smi);
  EXPECT_EQ(i.shorthand, Shorthand::Self);
  EXPECT_TRUE(i.level_assert);
  EXPECT_TRUE(i.x2apic);
}

TEST(ApicDecode, Msi) {
  Msi m = decode_msi(0xFEE3400Cull, 0x0000C531);  // dest 0x34, RH, DM; INIT, level, trigger, vector 0x31
  EXPECT_EQ(m.destination, 0x34);
  EXPECT_TRUE(m.redirection_hint);
  EXPECT_TRUE(m.logical);
  EXPECT_EQ(m.vector, 0x31);
  EXPECT_EQ(m.mode, DeliveryMode::Init);
  EXPECT_TRUE(m.level_assert);
  EXPECT_TRUE(m.level_trigger);
  Msi f = decode_msi(0xFEE00000ull, 0x00000041);
  EXPECT_EQ(f.destination, 0);
  EXPECT_FALSE(f.redirection_hint);
  EXPECT_FALSE(f.logical);
  EXPECT_EQ(f.mode, DeliveryMode::Fixed);
  EXPECT_FALSE(f.level_assert);
}

TEST(ApicDecode, LvtAndRedirection) {
  Lvt l = decode_lvt(0x000104EE);
  EXPECT_EQ(l.vector, 0xEE);
  EXPECT_EQ(l.mode, DeliveryMode::Nmi);
  EXPECT_TRUE(l.masked);
  Redirection r = decode_redirection_low(0x0000AF30);  // level trigger, logical, ExtINT, vector 0x30
  EXPECT_EQ(r.vector, 0x30);
  EXPECT_EQ(r.mode, DeliveryMode::ExtInt);
  EXPECT_TRUE(r.logical);
  EXPECT_TRUE(r.level_trigger);
  EXPECT_FALSE(r.masked);
}

// ---- ICR ----

TEST(ApicIcr, InitShorthandSelfResetsGuest) {
  expect(xicr(icr(kInit, 1), 0), Verdict::GuestReset, 0);
}

TEST(ApicIcr, InitAllIncludingSelfResetsGuest) {
  expect(xicr(icr(kInit, 2), dest(kOther)), Verdict::GuestReset, 0);
}

// The shorthand ignores the destination field and the destination mode.
TEST(ApicIcr, InitAllExcludingSelfInitsTheOthers) {
  expect_init(xicr(icr(kInit, 3), dest(kSelf)), kAll);
  expect_init(xicr(icr(kInit, 3), dest(kOther)), kAll);
  expect_init(xicr(icr(kInit, 3), dest(0xFF)), kAll);
  expect_init(xicr(icr(kInit, 3, true, true, true), dest(0x0F)), kAll);  // level-triggered, logical bit
}

TEST(ApicIcr, InitPhysicalToSelfResetsGuest) {
  expect(on_xapic_write(kRegIcrLow, icr(kInit), dest(7), 7), Verdict::GuestReset, 0);
  expect_init(on_xapic_write(kRegIcrLow, icr(kInit), dest(7), 6), cpu(7));
}

TEST(ApicIcr, InitPhysicalBroadcastResetsGuest) {
  expect(xicr(icr(kInit), dest(0xFF)), Verdict::GuestReset, 0);
}

TEST(ApicIcr, InitPhysicalToOtherInitsThatCpu) {
  expect_init(xicr(icr(kInit), dest(kOther)), cpu(kOther));
  expect_init(xicr(icr(kInit), dest(0x7F)), cpu(0x7F));
  expect_init(xicr(icr(kInit), dest(0xFE)), cpu(0xFE));           // the highest xAPIC ID that is not the broadcast
  expect_init(xicr(icr(kInit, 0, true, true), dest(3)), cpu(3));  // level-triggered assert, as Linux sends it
  expect_init(xicr(icr(kInit, 0, true, false, false, 0x5A), dest(3)), cpu(3));  // an INIT has no vector
}

TEST(ApicIcr, InitLogicalDropped) {
  constexpr const char* kWhy = "INIT with a logical destination refused";
  expect_drop(xicr(icr(kInit, 0, true, false, true), dest(0x01)), kWhy);
  expect_drop(xicr(icr(kInit, 0, true, false, true), dest(0xFF)), kWhy);  // logical broadcast too
  expect_drop(xicr(icr(kInit, 0, true, true, true), dest(0x02)), kWhy);
  expect_drop(on_xapic_write(kRegIcrLow, icr(kInit, 0, true, false, true), dest(0x01), 0x01), kWhy);  // logical 1
}

// A de-assert (level 0, trigger level) does nothing, whatever it is addressed to.
TEST(ApicIcr, InitDeassertDropped) {
  constexpr const char* kWhy = "INIT level de-assert ignored";
  expect_drop(xicr(icr(kInit, 1, false, true), 0), kWhy);
  expect_drop(xicr(icr(kInit, 0, false, true), dest(kSelf)), kWhy);
  for (u32 shorthand : {0u, 1u, 2u, 3u}) {
    SCOPED_TRACE(shorthand);
    expect_drop(xicr(icr(kInit, shorthand, false, true), dest(kOther)), kWhy);
    expect_drop(xicr(icr(kInit, shorthand, false, true), dest(0xFF)), kWhy);
    expect_drop(xicr(icr(kInit, shorthand, false, true, true), dest(kOther)), kWhy);
  }
}

// P4 and later ignore the level bit, and so does QEMU: level 0 with edge trigger is an INIT.
TEST(ApicIcr, InitWithLevelClearEdgeStillResetsGuest) {
  expect(xicr(icr(kInit, 1, false, false), 0), Verdict::GuestReset, 0);
  expect_init(xicr(icr(kInit, 0, false, false), dest(kOther)), cpu(kOther));
  expect_init(xicr(icr(kInit, 3, false, false), 0), kAll);
}

// The destination is ICR high bits 31:24; bits 23:0 are reserved and ignored.
TEST(ApicIcr, XapicDestinationIsIcrHighBits31To24) {
  expect_init(xicr(icr(kInit), 0x05FFFFFF), cpu(5));
  expect(xicr(icr(kInit), 0x00FFFFFF), Verdict::GuestReset, 0);  // destination 0 is the sender
  expect_start(xicr(icr(kSipi, 0, true, false, false, 0x9A), 0x2A123456), cpu(0x2A), 0x9A);
  expect_drop(xicr(icr(kSipi, 0, true, false, false, 0x9A), 0x00ABCDEF), kSipiToSelf);
}

// The sender's own ID decides what "self" is, not ID 0.
TEST(ApicIcr, SelfIsTheSendersApicId) {
  auto from3 = [](u32 low, u32 high) { return on_xapic_write(kRegIcrLow, low, high, 3); };
  expect(from3(icr(kInit), dest(3)), Verdict::GuestReset, 0);
  expect_init(from3(icr(kInit), dest(0)), cpu(0));
  expect_drop(from3(icr(kSipi, 0, true, false, false, 0x10), dest(3)), kSipiToSelf);
  expect_start(from3(icr(kSipi, 0, true, false, false, 0x10), dest(0)), cpu(0), 0x10);
}

// ---- Start-up IPIs ----

TEST(ApicIcr, StartupPhysicalToOtherStartsThatCpu) {
  for (u32 vector : {0x00u, 0x08u, 0x9Au, 0xFFu}) {
    SCOPED_TRACE(vector);
    expect_start(xicr(icr(kSipi, 0, true, false, false, vector), dest(kOther)), cpu(kOther), u8(vector));
    expect_start(xicr(icr(kSipi, 0, true, false, false, vector), dest(0xFE)), cpu(0xFE), u8(vector));
  }
}

TEST(ApicIcr, StartupAllExcludingSelfStartsTheOthers) {
  expect_start(xicr(icr(kSipi, 3, true, false, false, 0x9A), 0), kAll, 0x9A);
  expect_start(xicr(icr(kSipi, 3, true, false, true, 0x9A), dest(kOther)), kAll, 0x9A);  // logical bit ignored
}

// The sender is running and would ignore a start-up IPI: "including self" is "the others".
TEST(ApicIcr, StartupAllIncludingSelfStartsTheOthers) {
  expect_start(xicr(icr(kSipi, 2, true, false, false, 0x9A), 0), kAll, 0x9A);
  expect_start(xicr(icr(kSipi, 2, true, false, false, 0x01), dest(kSelf)), kAll, 0x01);
}

TEST(ApicIcr, StartupPhysicalBroadcastStartsTheOthers) {
  expect_start(xicr(icr(kSipi, 0, true, false, false, 0x9A), dest(0xFF)), kAll, 0x9A);
}

TEST(ApicIcr, StartupToTheRunningCpuIgnored) {
  expect_drop(xicr(icr(kSipi, 1, true, false, false, 0x9A), 0), kSipiToSelf);
  expect_drop(xicr(icr(kSipi, 1, true, false, false, 0x9A), dest(kOther)), kSipiToSelf);  // shorthand wins
  expect_drop(xicr(icr(kSipi, 0, true, false, false, 0x9A), dest(kSelf)), kSipiToSelf);
}

TEST(ApicIcr, StartupLogicalDropped) {
  constexpr const char* kWhy = "start-up IPI with a logical destination refused";
  expect_drop(xicr(icr(kSipi, 0, true, false, true, 0x9A), dest(0x02)), kWhy);
  expect_drop(xicr(icr(kSipi, 0, true, false, true, 0x9A), dest(0xFF)), kWhy);
  expect_drop(xicr(icr(kSipi, 0, true, false, true, 0x9A), dest(kSelf)), kWhy);
}

// A start-up IPI has no de-assert form: the level and trigger bits do not matter.
TEST(ApicIcr, StartupIgnoresLevelAndTrigger) {
  for (bool level : {false, true}) {
    for (bool trigger : {false, true}) {
      expect_start(xicr(icr(kSipi, 0, level, trigger, false, 0x9A), dest(kOther)), cpu(kOther), 0x9A);
    }
  }
}

// Linux's wakeup_secondary_cpu_via_init(): INIT assert, INIT de-assert, then two start-up IPIs.
TEST(ApicIcr, LinuxApWakeupSequence) {
  constexpr u32 kAp = 2, kTrampoline = 0x9A;  // start_ip 0x9A000
  const u32 init_assert = 0xC500, init_deassert = 0x8500, startup = 0x0600 | kTrampoline;
  EXPECT_EQ(init_assert, icr(kInit, 0, true, true));
  EXPECT_EQ(init_deassert, icr(kInit, 0, false, true));
  EXPECT_EQ(startup, icr(kSipi, 0, false, false, false, kTrampoline));
  expect_init(xicr(init_assert, dest(kAp)), cpu(kAp));
  expect(xicr(init_deassert, dest(kAp)), Verdict::Drop, 0);
  expect_start(xicr(startup, dest(kAp)), cpu(kAp), kTrampoline);
  expect_start(xicr(startup, dest(kAp)), cpu(kAp), kTrampoline);
  auto x2 = [](u32 low) { return on_x2apic_msr_write(kX2apicMsrIcr, (u64{kAp} << 32) | low, 0); };
  expect_init(x2(init_assert), cpu(kAp));
  expect(x2(init_deassert), Verdict::Drop, 0);
  expect_start(x2(startup), cpu(kAp), kTrampoline);
}

TEST(ApicIcr, SmiDropped) {
  expect(xicr(icr(kSmi, 1), 0), Verdict::Drop, 0);
  expect(xicr(icr(kSmi), dest(kSelf)), Verdict::Drop, 0);
}

TEST(ApicIcr, ReservedModesDropped) {
  expect(xicr(icr(3), dest(kSelf)), Verdict::Drop, 0);
  expect(xicr(icr(7), dest(kSelf)), Verdict::Drop, 0);
}

TEST(ApicIcr, FixedLowestNmiPass) {
  u32 fixed = icr(kFixed, 1, true, false, false, 0xEC);
  expect(xicr(fixed, 0), Verdict::Pass, fixed);
  u32 lowest = icr(kLowest, 0, true, false, true, 0x31);
  expect(xicr(lowest, dest(0xFF)), Verdict::Pass, lowest);
  u32 nmi = icr(kNmi, 2);
  expect(xicr(nmi, 0), Verdict::Pass, nmi);
}

// QEMU picks the register from bits 11:4, so 0x304 is the ICR too.
TEST(ApicIcr, UnalignedOffsetIsStillTheIcr) {
  expect(on_xapic_write(0x30C, icr(kInit, 1), 0, kSelf), Verdict::GuestReset, 0);
  expect(on_xapic_write(0x304, icr(kSmi, 1), 0, kSelf), Verdict::Drop, 0);
  expect_init(on_xapic_write(0x308, icr(kInit), dest(kOther), kSelf), cpu(kOther));
  expect_start(on_xapic_write(0x30C, icr(kSipi, 0, true, false, false, 0x9A), dest(kOther), kSelf), cpu(kOther), 0x9A);
}

// INIT and start-up IPIs only in the ICR: stored to the ICR high dword, or any other register, they are data.
TEST(ApicIcr, InitAndStartupBitsElsewhereAreNotIpis) {
  expect(on_xapic_write(kRegIcrHigh, icr(kInit, 3), 0, kSelf), Verdict::Pass, icr(kInit, 3));
  expect(on_xapic_write(kRegTpr, icr(kSipi, 3), 0, kSelf), Verdict::Pass, icr(kSipi, 3));
}

TEST(ApicIcr, IcrHighPasses) {
  expect(on_xapic_write(kRegIcrHigh, dest(kOther), 0, kSelf), Verdict::Pass, dest(kOther));
}

TEST(ApicX2apic, IcrRules) {
  auto x2 = [](u32 low, u32 destination) { return on_x2apic_icr_write((u64{destination} << 32) | low, 0x105); };
  expect(x2(icr(kInit), 0x105), Verdict::GuestReset, 0);
  expect(x2(icr(kInit), 0xFFFFFFFF), Verdict::GuestReset, 0);
  expect_init(x2(icr(kInit), 0x05), cpu(0x05));  // destination is 32 bits wide
  expect_init(x2(icr(kInit), 0xFF), cpu(0xFF));  // 0xFF is not the x2APIC broadcast
  expect(x2(icr(kInit, 1), 0), Verdict::GuestReset, 0);
  expect(x2(icr(kInit, 2), 0), Verdict::GuestReset, 0);
  expect_init(x2(icr(kInit, 3), 0), kAll);
  expect_drop(x2(icr(kInit, 0, true, false, true), 0x105), "INIT with a logical destination refused");
  expect_drop(x2(icr(kInit, 0, true, false, true), 0x10001), "INIT with a logical destination refused");
  expect(x2(icr(kInit, 1, false, true), 0), Verdict::Drop, 0);
  expect(x2(icr(kInit, 0, false, true), 0x05), Verdict::Drop, 0);
  expect_start(x2(icr(kSipi), 1), cpu(1), 0);
  expect_start(x2(icr(kSipi, 0, true, false, false, 0x9A), 0xFFFFFFFF), kAll, 0x9A);
  expect_start(x2(icr(kSipi, 0, true, false, false, 0x9A), 0xFF), cpu(0xFF), 0x9A);
  expect_start(x2(icr(kSipi, 3, true, false, false, 0x9A), 0), kAll, 0x9A);
  expect_start(x2(icr(kSipi, 2, true, false, false, 0x9A), 0x105), kAll, 0x9A);
  expect_drop(x2(icr(kSipi, 0, true, false, false, 0x9A), 0x105), kSipiToSelf);
  expect_drop(x2(icr(kSipi, 1, true, false, false, 0x9A), 0), kSipiToSelf);
  expect_drop(x2(icr(kSipi, 0, true, false, true, 0x9A), 0x2), "start-up IPI with a logical destination refused");
  expect(x2(icr(kSmi, 1), 0), Verdict::Drop, 0);
  expect(x2(icr(kSmi), 0x05), Verdict::Drop, 0);
  expect(x2(icr(3), 0x05), Verdict::Drop, 0);
  expect(x2(icr(7), 0x05), Verdict::Drop, 0);
  u64 nmi = (u64{7} << 32) | icr(kNmi);
  expect(on_x2apic_icr_write(nmi, 0x105), Verdict::Pass, nmi);
}

// The destination is bits 63:32, all of them; the vector bits 7:0.
TEST(ApicX2apic, IcrDestinationIsBits63To32) {
  expect_init(on_x2apic_icr_write(0x1234567800004500ull, 0x105), cpu(0x12345678));
  expect_init(on_x2apic_icr_write(0x0000010500004500ull, 0x5), cpu(0x105));  // not cut to 8 bits
  expect(on_x2apic_icr_write(0x0000010500004500ull, 0x105), Verdict::GuestReset, 0);
  expect_start(on_x2apic_icr_write(0xFFFFFFFE000046EFull, 0x105), cpu(0xFFFFFFFE), 0xEF);
  expect_start(on_x2apic_icr_write(0x00000000000C4608ull, 0x105), kAll, 0x08);  // all-excluding-self
}

TEST(ApicX2apic, MsrDispatch) {
  expect(on_x2apic_msr_write(kX2apicMsrIcr, icr(kInit, 1), 0), Verdict::GuestReset, 0);
  expect_init(on_x2apic_msr_write(kX2apicMsrIcr, (u64{4} << 32) | icr(kInit), 0), cpu(4));
  expect_start(on_x2apic_msr_write(kX2apicMsrIcr, (u64{4} << 32) | icr(kSipi, 0, true, false, false, 0x9A), 0), cpu(4),
               0x9A);
  expect(on_x2apic_msr_write(0x831, (u64{4} << 32) | icr(kInit), 0), Verdict::Pass,
         (u64{4} << 32) | icr(kInit));  // not the ICR (0x831 is reserved in x2APIC mode)
  expect(on_x2apic_msr_write(0x834, 0x00000200, 0), Verdict::PassModified, 0x00010000);  // perf LVT, SMI
  expect(on_x2apic_msr_write(0x82F, 0x00000500, 0), Verdict::PassModified, 0x00010000);  // CMCI LVT, INIT
  expect(on_x2apic_msr_write(0x835, 0x00000700, 0), Verdict::Pass, 0x00000700);          // LINT0 ExtINT
  expect(on_x2apic_msr_write(0x80B, 0, 0), Verdict::Pass, 0);                            // EOI
  expect(on_x2apic_msr_write(0x838, 0x200, 0), Verdict::Pass, 0x200);                    // timer initial count
}

// ---- LVT and other xAPIC registers ----

TEST(ApicLvt, PerfSmiBecomesMaskedFixed) {
  expect(on_xapic_write(kRegLvtPerf, 0x000002FE, 0, kSelf), Verdict::PassModified, 0x000100FE);
}

TEST(ApicLvt, EveryLvtIsPolicedIncludingTimer) {
  for (u32 reg : {kRegLvtCmci, kRegLvtTimer, kRegLvtThermal, kRegLvtPerf, kRegLvtLint0, kRegLvtLint1, kRegLvtError}) {
    SCOPED_TRACE(reg);
    expect(on_xapic_write(reg, 0x00020230, 0, kSelf), Verdict::PassModified, 0x00030030);  // periodic bit 17 kept
    expect(on_xapic_write(reg, 0x0000A530, 0, kSelf), Verdict::PassModified, 0x0001A030);  // INIT, level kept
    expect(on_xapic_write(reg, 0x00010330, 0, kSelf), Verdict::PassModified, 0x00010030);  // reserved 011
    expect(on_xapic_write(reg, 0x00000130, 0, kSelf), Verdict::PassModified, 0x00010030);  // reserved 001
    expect(on_xapic_write(reg, 0x00000630, 0, kSelf), Verdict::PassModified, 0x00010030);  // reserved 110
  }
}

TEST(ApicLvt, NmiFixedExtIntPassUnchanged) {
  expect(on_xapic_write(kRegLvtLint1, 0x00000400, 0, kSelf), Verdict::Pass, 0x00000400);
  expect(on_xapic_write(kRegLvtTimer, 0x000200EF, 0, kSelf), Verdict::Pass, 0x000200EF);
  expect(on_xapic_write(kRegLvtLint0, 0x00000700, 0, kSelf), Verdict::Pass, 0x00000700);
  expect(on_xapic_write(kRegLvtError, 0x00010000, 0, kSelf), Verdict::Pass, 0x00010000);
}

TEST(ApicXapic, OtherRegistersPass) {
  expect(on_xapic_write(kRegEoi, 0, 0, kSelf), Verdict::Pass, 0);
  expect(on_xapic_write(kRegTpr, 0x20, 0, kSelf), Verdict::Pass, 0x20);
  expect(on_xapic_write(kRegSvr, 0x1FF, 0, kSelf), Verdict::Pass, 0x1FF);
  expect(on_xapic_write(kRegTimerInitialCount, 0x00000200, 0, kSelf), Verdict::Pass, 0x200);  // mode-like bits
  expect(on_xapic_write(0x3E0, 0x0B, 0, kSelf), Verdict::Pass, 0x0B);
}

TEST(ApicXapic, ApicIdMayNotChange) {
  expect(on_xapic_write(kRegId, dest(3), 0, 3), Verdict::Pass, dest(3));
  expect(on_xapic_write(kRegId, dest(1), 0, 3), Verdict::Drop, 0);
}

// Offsets QEMU treats as MSIs are judged as MSIs.
TEST(ApicXapic, MsiPathOffsetsAreMessages) {
  expect(on_xapic_write(0x000, 0x00000500, 0, kSelf), Verdict::Drop, 0);             // index 0, INIT
  expect(on_xapic_write(0x004, 0x0000069A, dest(kOther), kSelf), Verdict::Drop, 0);  // index 0, start-up
  expect(on_xapic_write(0x2000, 0x0000C500, 0, kSelf), Verdict::Drop, 0);            // beyond the page, INIT
  expect(on_xapic_write(0x00C, 0x00000041, 0, kSelf), Verdict::Pass, 0x41);
  expect(on_xapic_write(0x1300, 0x00000200, 0, kSelf), Verdict::Drop, 0);  // beyond the page, SMI
  expect(on_xapic_write(0xFFFFC, 0x00004400, 0, kSelf), Verdict::Pass, 0x4400);
}

// ---- MSI ----

TEST(ApicMsi, InitSmiStartupExtIntReservedDropped) {
  expect(on_msi_write(0xFEE00000, 0x00004500), Verdict::Drop, 0);  // INIT
  expect(on_msi_write(0xFEE01000, 0x0000C500), Verdict::Drop, 0);  // INIT to another CPU, level assert
  expect(on_msi_write(0xFEE0100C, 0x0000069A), Verdict::Drop, 0);  // start-up (reserved in an MSI), RH+DM
  expect(on_msi_write(0xFEE01000, 0x00000200), Verdict::Drop, 0);  // SMI
  expect(on_msi_write(0xFEE01000, 0x00000300), Verdict::Drop, 0);  // reserved
  expect(on_msi_write(0xFEE01000, 0x00000600), Verdict::Drop, 0);  // reserved (start-up in an ICR)
  expect(on_msi_write(0xFEE01000, 0x00000700), Verdict::Drop, 0);  // ExtINT
}

TEST(ApicMsi, FixedLowestNmiPass) {
  expect(on_msi_write(0xFEE01000, 0x000040EC), Verdict::Pass, 0x40EC);
  expect(on_msi_write(0xFEEFF00C, 0x00000131), Verdict::Pass, 0x131);
  expect(on_msi_write(0xFEE00000, 0x00000400), Verdict::Pass, 0x400);
}

TEST(ApicMsi, IsMsiWriteBoundaries) {
  EXPECT_TRUE(is_msi_write(0xFEE00000));   // register index 0
  EXPECT_TRUE(is_msi_write(0xFEE0000C));   // still index 0
  EXPECT_FALSE(is_msi_write(0xFEE00010));  // index 1
  EXPECT_FALSE(is_msi_write(0xFEE00300));  // ICR low
  EXPECT_FALSE(is_msi_write(0xFEE00FFC));  // last dword of the page
  EXPECT_TRUE(is_msi_write(0xFEE01000));   // beyond the register page
  EXPECT_TRUE(is_msi_write(0xFEE01300));
  EXPECT_TRUE(is_msi_write(0xFEEFFFFC));
  EXPECT_FALSE(is_msi_write(0xFEF00000));  // outside the window
  EXPECT_FALSE(is_msi_write(0xFEDFFFFC));
  EXPECT_FALSE(is_msi_write(0x1FEE00000ull));
}

// ---- IOAPIC ----

TEST(ApicIoapic, RedirectionLowSmiInitReservedMasked) {
  expect(on_ioapic_redirection_write(0x10, 0x00000230), Verdict::PassModified, 0x00010030);
  expect(on_ioapic_redirection_write(0x3E, 0x0000AD30), Verdict::PassModified, 0x0001A830);  // INIT, level, logical
  expect(on_ioapic_redirection_write(0x12, 0x00000330), Verdict::PassModified, 0x00010030);
  expect(on_ioapic_redirection_write(0x12, 0x00010630), Verdict::PassModified, 0x00010030);
}

TEST(ApicIoapic, RedirectionLowOtherModesPass) {
  expect(on_ioapic_redirection_write(0x10, 0x00000030), Verdict::Pass, 0x30);
  expect(on_ioapic_redirection_write(0x20, 0x00008931), Verdict::Pass, 0x8931);
  expect(on_ioapic_redirection_write(0x14, 0x00000400), Verdict::Pass, 0x400);
  expect(on_ioapic_redirection_write(0x16, 0x00000700), Verdict::Pass, 0x700);
}

TEST(ApicIoapic, HighDwordsAndOtherIndexesPass) {
  expect(on_ioapic_redirection_write(0x11, 0x00000200), Verdict::Pass, 0x200);  // destination dword
  expect(on_ioapic_redirection_write(0x3F, 0xFF000500), Verdict::Pass, 0xFF000500);
  expect(on_ioapic_redirection_write(0x00, 0x00000200), Verdict::Pass, 0x200);  // IOAPIC ID
  expect(on_ioapic_redirection_write(0x0E, 0x00000500), Verdict::Pass, 0x500);
  expect(on_ioapic_redirection_write(0x40, 0x00000200), Verdict::Pass, 0x200);
}

// ---- IA32_APIC_BASE ----

namespace {
constexpr u64 kBase = 0xFEE00000;
constexpr u64 kBspXapic = kBase | kApicBaseBsp | kApicBaseEnable;
}  // namespace

TEST(ApicBase, EnableDisablePass) {
  expect(on_apic_base_write(kBspXapic, kBase | kApicBaseBsp, false, 40), Verdict::Pass, kBase | kApicBaseBsp);
  expect(on_apic_base_write(kBase | kApicBaseBsp, kBspXapic, false, 40), Verdict::Pass, kBspXapic);
  expect(on_apic_base_write(kBspXapic, kBspXapic, false, 40), Verdict::Pass, kBspXapic);
}

TEST(ApicBase, BspFlagIsReadOnly) {
  expect(on_apic_base_write(kBspXapic, kBase | kApicBaseEnable, false, 40), Verdict::PassModified, kBspXapic);
  expect(on_apic_base_write(kBase | kApicBaseEnable, kBspXapic, false, 40), Verdict::PassModified,
         kBase | kApicBaseEnable);
}

TEST(ApicBase, RelocationRefused) {
  expect(on_apic_base_write(kBspXapic, 0xFED00000 | kApicBaseBsp | kApicBaseEnable, false, 40), Verdict::RaiseGp, 0);
  expect(on_apic_base_write(kBspXapic, (1ull << 39) | kBspXapic, false, 40), Verdict::RaiseGp, 0);  // top bit
}

TEST(ApicBase, ReservedBitsRefused) {
  for (u64 bit : {1ull << 0, 1ull << 7, 1ull << 9, 1ull << 40, 1ull << 63}) {
    SCOPED_TRACE(bit);
    expect(on_apic_base_write(kBspXapic, kBspXapic | bit, true, 40), Verdict::RaiseGp, 0);
  }
  expect(on_apic_base_write(kBspXapic, kBspXapic | (1ull << 51), true, 52), Verdict::RaiseGp, 0);  // base moves
}

TEST(ApicBase, X2apicNeedsSupport) {
  expect(on_apic_base_write(kBspXapic, kBspXapic | kApicBaseExtd, false, 40), Verdict::RaiseGp, 0);
  expect(on_apic_base_write(kBspXapic, kBspXapic | kApicBaseExtd, true, 40), Verdict::Pass, kBspXapic | kApicBaseExtd);
}

TEST(ApicBase, InvalidModeTransitionsRefused) {
  constexpr u64 kX2 = kBspXapic | kApicBaseExtd;
  expect(on_apic_base_write(kBspXapic, kBase | kApicBaseBsp | kApicBaseExtd, true, 40), Verdict::RaiseGp, 0);
  expect(on_apic_base_write(kX2, kBspXapic, true, 40), Verdict::RaiseGp, 0);  // x2APIC -> xAPIC
  expect(on_apic_base_write(kX2, kBase | kApicBaseBsp, true, 40), Verdict::Pass, kBase | kApicBaseBsp);  // disable
  expect(on_apic_base_write(kBase | kApicBaseBsp, kX2, true, 40), Verdict::Pass, kX2);  // disabled -> x2APIC
}

TEST(ApicBase, AddressMask) {
  EXPECT_EQ(apic_base_address_mask(36), 0x0000000FFFFFF000ull);
  EXPECT_EQ(apic_base_address_mask(52), 0x000FFFFFFFFFF000ull);
  EXPECT_EQ(apic_base_address_mask(64), 0xFFFFFFFFFFFFF000ull);
}

// While a CPU is outside the VMM, a guest NMI may go only where no such CPU is.
TEST(ApicNmi, OnlyToVcpusWhileACpuIsOutsideTheVmm) {
  constexpr u32 kNmi = 4;
  const Icr to_vcpu = decode_xapic_icr(icr(kNmi), dest(kOther));
  EXPECT_TRUE(nmi_ipi_allowed(to_vcpu, true, true));
  EXPECT_FALSE(nmi_ipi_allowed(to_vcpu, true, false));                           // the firmware's CPU, or no CPU
  EXPECT_TRUE(nmi_ipi_allowed(decode_xapic_icr(icr(kNmi, 1), 0), true, false));  // self
  EXPECT_FALSE(nmi_ipi_allowed(decode_xapic_icr(icr(kNmi, 2), 0), true, true));  // all including self
  EXPECT_FALSE(nmi_ipi_allowed(decode_xapic_icr(icr(kNmi, 3), 0), true, true));  // all excluding self
  EXPECT_FALSE(nmi_ipi_allowed(decode_xapic_icr(icr(kNmi, 0, true, false, true), dest(1)), true, true));  // logical
  EXPECT_FALSE(nmi_ipi_allowed(decode_x2apic_icr((u64{0xFFFFFFFF} << 32) | icr(kNmi)), true, false));     // broadcast
  for (u32 sh = 0; sh < 4; ++sh) EXPECT_TRUE(nmi_ipi_allowed(decode_xapic_icr(icr(kNmi, sh), 0), false, false)) << sh;
  EXPECT_TRUE(nmi_msi_allowed(false, true, true));
  EXPECT_FALSE(nmi_msi_allowed(false, true, false));
  EXPECT_FALSE(nmi_msi_allowed(true, true, true));
  EXPECT_TRUE(nmi_msi_allowed(true, false, false));
}
