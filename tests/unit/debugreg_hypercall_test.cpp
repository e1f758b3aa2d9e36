// The validated path (set_debugreg / get_debugreg), VMM watchpoints, the #DB
// verdict and the entry order: one table row per rule, accepted and refused.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tv/debug_regs.hpp"

namespace {
using namespace tv;
using E = DebugRegError;

constexpr Range kVmm[2] = {{0x3E000000, 0x2000000}, {0x400000000000, 1ull << 39}};
constexpr DrContext kLong{false, true, false};
constexpr DrContext kLongDe{true, true, false};
constexpr DrContext kProt32{false, false, false};
constexpr DrContext kLa57{false, true, true};
constexpr u64 kDr6 = 0xFFFF0FF0;

GuestDebugRegs fresh_file() {
  GuestDebugRegs f;
  f.set_protected(kVmm, 2);
  return f;
}

// DR7 enabling slot 0 (L0) with R/W rw and LEN len (bytes).
constexpr u64 slot0(BpType rw, u8 len) {
  return encode_dr7_slot(0, rw, len);
}

struct Row {
  const char* what;
  u64 dr0;  // written first (must be accepted)
  u8 reg;
  u64 value;
  DrContext ctx;
  bool ok;
  E error;
};

const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      {"regnum 8", 0, 8, 0, kLong, false, E::BadRegister},
      {"regnum 255", 0, 255, 0, kLong, false, E::BadRegister},
      {"DR4 aliases DR6 without CR4.DE", 0, 4, 0, kLong, true, E::BadRegister},
      {"DR5 aliases DR7 without CR4.DE", 0, 5, 0x400, kLong, true, E::BadRegister},
      {"DR4 with CR4.DE", 0, 4, 0, kLongDe, false, E::Dr4Dr5Undefined},
      {"DR5 with CR4.DE", 0, 5, 0x400, kLongDe, false, E::Dr4Dr5Undefined},
      {"DR6 high bits", 0, 6, 1ull << 32, kLong, false, E::HighBits},
      {"DR7 high bits", 0, 7, 1ull << 63, kLong, false, E::HighBits},
      {"DR6 low bits", 0, 6, 0x1, kLong, true, E::BadRegister},
      {"DR7.GD", 0, 7, 0x2400, kLong, false, E::GeneralDetect},
      {"DR7 reserved bits forced", 0, 7, 0xD800, kLong, true, E::BadRegister},
      {"I/O breakpoint without CR4.DE", 0x70, 7, slot0(BpType::Io, 1), kLong, false, E::IoWithoutDe},
      {"I/O breakpoint with CR4.DE", 0x70, 7, slot0(BpType::Io, 1), kLongDe, true, E::BadRegister},
      {"execute with LEN 4", 0x401000, 7, slot0(BpType::Execute, 4), kLong, false, E::ExecLength},
      {"execute with LEN 1", 0x401000, 7, slot0(BpType::Execute, 1), kLong, true, E::BadRegister},
      {"8 bytes outside long mode", 0x401000, 7, slot0(BpType::Write, 8), kProt32, false, E::EightByteOutsideLongMode},
      {"8 bytes in long mode", 0x401000, 7, slot0(BpType::Write, 8), kLong, true, E::BadRegister},
      {"4 bytes outside long mode", 0x401000, 7, slot0(BpType::Write, 4), kProt32, true, E::BadRegister},
      {"misaligned 2", 0x401001, 7, slot0(BpType::Write, 2), kLong, false, E::Misaligned},
      {"misaligned 4", 0x401002, 7, slot0(BpType::ReadWrite, 4), kLong, false, E::Misaligned},
      {"misaligned 8", 0x401004, 7, slot0(BpType::Write, 8), kLong, false, E::Misaligned},
      {"aligned 2", 0x401002, 7, slot0(BpType::Write, 2), kLong, true, E::BadRegister},
      {"1 byte anywhere", 0x401003, 7, slot0(BpType::Write, 1), kLong, true, E::BadRegister},
      {"non-canonical DR0", 0, 0, 0x0000800000000000, kLong, false, E::NonCanonical},
      {"non-canonical DR0 (la57 canonical)", 0, 0, 0x0000800000000000, kLa57, true, E::BadRegister},
      {"non-canonical with la57", 0, 0, 0x0100000000000000, kLa57, false, E::NonCanonical},
      {"kernel address", 0, 0, 0xFFFFFFFF81000000, kLong, true, E::BadRegister},
      {"DR0 in the VMM", 0, 0, 0x3E000000, kLong, false, E::VmmRange},
      {"DR0 at the VMM's last byte", 0, 0, 0x3FFFFFFF, kLong, false, E::VmmRange},
      {"DR0 just below the VMM", 0, 0, 0x3DFFFFFF, kLong, true, E::BadRegister},
      {"DR0 just after the VMM", 0, 0, 0x40000000, kLong, true, E::BadRegister},
      {"DR0 in the domain window", 0, 0, 0x400000001000, kLong, false, E::VmmRange},
      {"8 bytes reaching into the VMM", 0x3DFFFFF8, 7, slot0(BpType::Write, 8), kLong, true, E::BadRegister},
  };
  return r;
}

TEST(DebugRegHypercall, EveryRuleAcceptsAndRefusesAsDocumented) {
  for (const Row& row : rows()) {
    SCOPED_TRACE(row.what);
    GuestDebugRegs f = fresh_file();
    if (row.dr0 != 0) {
      ASSERT_TRUE(f.set_checked(0, row.dr0, row.ctx).ok());
    }
    const u64 dr7_before = f.dr7(), dr0_before = f.dr(0), dr6_before = f.dr6();
    Status<DebugRegError> s = f.set_checked(row.reg, row.value, row.ctx);
    EXPECT_EQ(s.ok(), row.ok);
    if (!row.ok) {
      EXPECT_EQ(s.error(), row.error) << to_string(s.error());
      // All or nothing: a refusal leaves the file as it was.
      EXPECT_EQ(f.dr7(), dr7_before);
      EXPECT_EQ(f.dr(0), dr0_before);
      EXPECT_EQ(f.dr6(), dr6_before);
    }
  }
}

TEST(DebugRegHypercall, EveryErrorHasADistinctMessage) {
  std::vector<std::string> seen;
  for (u8 e = 1; e <= kDebugRegErrorCount; ++e) {
    std::string m = to_string(DebugRegError(e));
    EXPECT_NE(m, "?");
    for (const std::string& s : seen) EXPECT_NE(s, m);
    seen.push_back(m);
  }
}

TEST(DebugRegHypercall, ReservedBitsAreForcedNotRefused) {
  GuestDebugRegs f = fresh_file();
  ASSERT_TRUE(f.set_checked(7, 0xD800 | 0x1, kLong).ok());
  EXPECT_EQ(f.dr7(), 0x401u);
  ASSERT_TRUE(f.set_checked(6, 0, kLong).ok());
  EXPECT_EQ(f.dr6(), kDr6);
}

TEST(DebugRegHypercall, Dr7IsCheckedAgainstEverySlotItEnables) {
  GuestDebugRegs f = fresh_file();
  ASSERT_TRUE(f.set_checked(0, 0x401000, kLong).ok());
  ASSERT_TRUE(f.set_checked(2, 0x402001, kLong).ok());  // fine while slot 2 is disabled
  const u64 both = slot0(BpType::Write, 4) | encode_dr7_slot(2, BpType::Write, 4);
  Status<DebugRegError> s = f.set_checked(7, both, kLong);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), E::Misaligned);
  EXPECT_EQ(f.dr7(), 0x400u);  // slot 0 was fine, but nothing was applied
  ASSERT_TRUE(f.set_checked(7, slot0(BpType::Write, 4), kLong).ok());
  // Changing an enabled slot's address is checked against its length.
  EXPECT_EQ(f.set_checked(0, 0x401002, kLong).error(), E::Misaligned);
  EXPECT_EQ(f.dr(0), 0x401000u);
  EXPECT_EQ(f.hardware_dr7(), 0x400u | slot0(BpType::Write, 4));
  EXPECT_EQ(f.hardware_dr(0), 0x401000u);
}

TEST(DebugRegHypercall, GetReadsTheFileAndRefusesBadRegisters) {
  GuestDebugRegs f = fresh_file();
  ASSERT_TRUE(f.set_checked(1, 0x1234, kLong).ok());
  EXPECT_EQ(*f.get_checked(1, kLong, kDr6), 0x1234u);
  EXPECT_EQ(*f.get_checked(4, kLong, kDr6 | 1), kDr6 | 1);
  EXPECT_EQ(*f.get_checked(7, kLong, kDr6), 0x400u);
  EXPECT_EQ(f.get_checked(8, kLong, kDr6).error(), E::BadRegister);
  EXPECT_EQ(f.get_checked(5, kLongDe, kDr6).error(), E::Dr4Dr5Undefined);
}

TEST(Watchpoints, ClaimTakesAFreeSlotAndTheGuestWishWaits) {
  GuestDebugRegs f = fresh_file();
  ASSERT_TRUE(f.set_checked(0, 0x401000, kLong).ok());
  ASSERT_TRUE(f.set_checked(7, slot0(BpType::Write, 4), kLong).ok());
  auto w = f.claim(0xFFFFFFFF81234560, BpType::Execute, 1, kLong);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*w, 3);  // highest free slot
  EXPECT_EQ(f.hardware_dr(3), 0xFFFFFFFF81234560u);
  EXPECT_EQ(f.hardware_dr7(), 0x400u | slot0(BpType::Write, 4) | encode_dr7_slot(3, BpType::Execute, 1));
  EXPECT_EQ(f.dr7(), 0x400u | slot0(BpType::Write, 4));  // the guest's view is its own
  // The hypercall may not touch the VMM's slot.
  EXPECT_EQ(f.set_checked(3, 0x500000, kLong).error(), E::VmmSlot);
  EXPECT_EQ(f.set_checked(7, encode_dr7_slot(3, BpType::Write, 1), kLong).error(), E::VmmSlot);
  // The guest's own MOV DR may: its wish is kept and armed on release.
  ASSERT_EQ(f.write(3, 0x500000, false, true, kDr6), DrOutcome::Ok);
  ASSERT_EQ(f.write(7, 0x400 | encode_dr7_slot(3, BpType::Write, 1), false, true, kDr6), DrOutcome::Ok);
  EXPECT_EQ(f.hardware_dr(3), 0xFFFFFFFF81234560u);
  EXPECT_EQ(f.dr(3), 0x500000u);
  ASSERT_TRUE(f.release(3).ok());
  EXPECT_EQ(f.hardware_dr(3), 0x500000u);
  EXPECT_EQ(f.hardware_dr7(), 0x400u | encode_dr7_slot(3, BpType::Write, 1));
  EXPECT_EQ(f.release(3).error(), E::NotWatched);
  EXPECT_EQ(f.release(9).error(), E::NotWatched);
}

TEST(Watchpoints, ClaimFollowsTheAddressRules) {
  GuestDebugRegs f = fresh_file();
  EXPECT_EQ(f.claim(0x401000, BpType::Write, 3, kLong).error(), E::BadLength);
  EXPECT_EQ(f.claim(0x70, BpType::Io, 1, kLongDe).error(), E::BadKind);
  EXPECT_EQ(f.claim(0x401000, BpType::Execute, 4, kLong).error(), E::ExecLength);
  EXPECT_EQ(f.claim(0x401002, BpType::Write, 4, kLong).error(), E::Misaligned);
  EXPECT_EQ(f.claim(0x3E000100, BpType::Write, 4, kLong).error(), E::VmmRange);
  EXPECT_EQ(f.claim(0x0000900000000000, BpType::Write, 4, kLong).error(), E::NonCanonical);
  EXPECT_EQ(f.vmm_slots(), 0u);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(f.claim(0x401000 + 8 * u64(i), BpType::Write, 8, kLong).ok());
  EXPECT_EQ(f.claim(0x402000, BpType::Write, 8, kLong).error(), E::NoFreeSlot);
  EXPECT_EQ(f.vmm_slots(), 0xFu);
}

TEST(DebugException, VmmHitsAreHiddenAndGuestHitsReflected) {
  GuestDebugRegs f = fresh_file();
  ASSERT_TRUE(f.set_checked(0, 0x401000, kLong).ok());
  ASSERT_TRUE(f.set_checked(7, slot0(BpType::Write, 4), kLong).ok());
  ASSERT_EQ(*f.claim(0xFFFFFFFF81000000, BpType::Execute, 1, kLong), 3);
  // The VMM's slot alone: handled, not shown to the guest.
  DbVerdict v = f.on_debug_exception(kDr6, kDr6 | 0x8, false);
  EXPECT_EQ(v.vmm_hits, 0x8);
  EXPECT_FALSE(v.reflect);
  EXPECT_EQ(v.guest_dr6, kDr6);
  // The guest's slot: reflected with B0.
  v = f.on_debug_exception(kDr6, kDr6 | 0x1, false);
  EXPECT_EQ(v.vmm_hits, 0);
  EXPECT_TRUE(v.reflect);
  EXPECT_EQ(v.guest_dr6, kDr6 | 0x1);
  // Single-step and a guest breakpoint at once: both reported.
  v = f.on_debug_exception(kDr6, kDr6 | 0x1 | 0x4000, true);
  EXPECT_TRUE(v.reflect);
  EXPECT_EQ(v.guest_dr6, kDr6 | 0x4001);
  // Single-step and the VMM's slot: the guest sees only BS.
  v = f.on_debug_exception(kDr6, kDr6 | 0x8 | 0x4000, true);
  EXPECT_TRUE(v.reflect);
  EXPECT_EQ(v.vmm_hits, 0x8);
  EXPECT_EQ(v.guest_dr6, kDr6 | 0x4000);
  // Sticky bits from before are not this #DB's cause.
  v = f.on_debug_exception(kDr6 | 0x1, kDr6 | 0x1 | 0x8, false);
  EXPECT_FALSE(v.reflect);
  EXPECT_EQ(v.guest_dr6, kDr6 | 0x1);
  // No status at all (ICEBP, or a #DB from elsewhere): the guest's.
  v = f.on_debug_exception(kDr6, kDr6, false);
  EXPECT_TRUE(v.reflect);
  // B1 for a slot nobody armed (a disabled breakpoint that matched): not a cause.
  v = f.on_debug_exception(kDr6, kDr6 | 0x2 | 0x8, false);
  EXPECT_FALSE(v.reflect);
}

TEST(DebugException, AVmmDataWatchDuringSingleStepAddsBs) {
  GuestDebugRegs f = fresh_file();
  ASSERT_EQ(*f.claim(0x401000, BpType::Write, 4, kLong), 3);
  DbVerdict v = f.on_debug_exception(kDr6, kDr6 | 0x8, true);
  EXPECT_TRUE(v.reflect);
  EXPECT_EQ(v.guest_dr6, kDr6 | 0x4000);
}

// Records the order the entry path touches the hardware in.
class FakeHardware {
 public:
  void load_dr(u8 n, u64 value) { log.push_back("dr" + std::to_string(n) + "=" + hex(value)); }
  void set_guest_dr7(u64 value) { log.push_back("vmcb.dr7=" + hex(value)); }
  std::vector<std::string> log;

 private:
  static std::string hex(u64 v) {
    char b[24];
    snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
    return b;
  }
};

TEST(DebugEntry, AddressesFirstThenDr7AndOnlyWhatChanged) {
  GuestDebugRegs f = fresh_file();
  DebugCpuState cpu;
  FakeHardware hw;
  prepare_debug_entry(f, cpu, hw);  // first entry: everything
  EXPECT_EQ(hw.log, (std::vector<std::string>{"dr0=0", "dr1=0", "dr2=0", "dr3=0", "vmcb.dr7=400"}));
  hw.log.clear();
  prepare_debug_entry(f, cpu, hw);  // nothing changed: nothing touched
  EXPECT_TRUE(hw.log.empty());
  ASSERT_TRUE(f.set_checked(1, 0x401000, kLong).ok());
  prepare_debug_entry(f, cpu, hw);  // a disabled slot's address: nothing to load yet
  EXPECT_TRUE(hw.log.empty());
  ASSERT_TRUE(f.set_checked(7, encode_dr7_slot(1, BpType::Write, 4), kLong).ok());
  prepare_debug_entry(f, cpu, hw);
  EXPECT_EQ(hw.log, (std::vector<std::string>{"dr1=401000", "vmcb.dr7=d00404"}));
  // Another vCPU's file on this CPU: every register again.
  GuestDebugRegs other = fresh_file();
  hw.log.clear();
  prepare_debug_entry(other, cpu, hw);
  EXPECT_EQ(hw.log.size(), 5u);
  EXPECT_EQ(hw.log.back(), "vmcb.dr7=400");
}

TEST(Dr7, SlotFieldsDecodeAndEncode) {
  for (u8 s = 0; s < 4; ++s) {
    for (u8 t = 0; t < 4; ++t) {
      for (u8 len : {1, 2, 4, 8}) {
        const u64 v = encode_dr7_slot(s, BpType(t), len);
        const BpSlot b = decode_dr7_slot(v, s);
        EXPECT_TRUE(b.enabled);
        EXPECT_EQ(b.type, BpType(t));
        EXPECT_EQ(b.len, len);
        for (u8 o = 0; o < 4; ++o) {
          if (o != s) {
            EXPECT_FALSE(decode_dr7_slot(v, o).enabled);
          }
        }
      }
    }
  }
  EXPECT_EQ(decode_dr7_slot(0x2, 0).enabled, true);  // G0 alone enables
  EXPECT_EQ(decode_dr7_slot(0x00D00000, 1).len, 4u);
  EXPECT_EQ(decode_dr7_slot(0x00900000, 1).len, 8u);
  EXPECT_EQ(decode_dr7_slot(0x00300000, 1).type, BpType::ReadWrite);
}

}  // namespace
