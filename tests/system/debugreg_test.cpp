// Issue 10: the guest's debug registers under thinvisor, in the Linux guest
// (guest/tools/debugreg.c, guest/kmod/tvdebugreg.ko, docs/debug-registers.md).
// One shared boot for every check.
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>

#include "system_fixture.hpp"

namespace tv::systest {
namespace {

class DebugRegGuest : public SharedBootTest<DebugRegGuest> {
 protected:
  // The address of a guest kernel symbol (KASLR is on: ask the guest).
  static std::string ksym(const std::string& name) {
    auto r = sh("grep ' " + name + "$' /proc/kallsyms | cut -d' ' -f1");
    std::string a = r.output.substr(0, r.output.find('\n'));
    EXPECT_EQ(a.size(), 16u) << name << ": " << r.output;
    return a;
  }
};

TEST_F(DebugRegGuest, AUserVariableWatchedThroughTheHypercallRaisesSigtrap) {
  auto r = sh("debugreg selftest");
  EXPECT_EQ(r.status, 0) << r.output << log();
  // Two watched writes, two traps, each an ordinary hardware-breakpoint SIGTRAP with DR6.B0.
  EXPECT_NE(r.output.find("traps 2 si_code 4 (TRAP_HWBKPT)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("B0 set"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("debugreg selftest: ok"), std::string::npos) << r.output;
}

TEST_F(DebugRegGuest, LinuxPtraceWatchpointStillFires) {
  auto r = sh("debugreg ptrace-test");
  EXPECT_EQ(r.status, 0) << r.output << log();
  EXPECT_NE(r.output.find("child stopped with SIGTRAP si_code 4"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("debugreg ptrace-test: ok"), std::string::npos) << r.output;
}

TEST_F(DebugRegGuest, TheKernelsOwnGeneralDetectTrapIsDelivered) {
  auto r = sh("debugreg gd-test");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("BD set: ok"), std::string::npos) << r.output;
}

TEST_F(DebugRegGuest, EveryInvalidInputIsRefusedWithItsOwnError) {
  auto r = sh("debugreg invalid");
  EXPECT_EQ(r.status, 0) << r.output;
  for (const char* line : {"regnum 8                         -> no such debug register",
                           "DR6 bit 32                       -> bits 63:32 of DR6/DR7 set",
                           "DR7.GD                           -> DR7.GD not allowed",
                           "I/O breakpoint without CR4.DE    -> I/O breakpoint without CR4.DE",
                           "execute breakpoint, LEN 4        -> execute breakpoint with LEN != 1",
                           "4-byte write at +2               -> address not aligned to its length",
                           "non-canonical DR0                -> address not canonical",
                           "DR0 at the VMM's base            -> range overlaps the VMM",
                           "DR0 in the domain window         -> range overlaps the VMM",
                           "watch on the VMM                 -> range overlaps the VMM",
                           "unwatch a free slot              -> slot holds no VMM watchpoint",
                           "unwatch the VMM's own slot       -> slot used by the VMM itself"})
    EXPECT_NE(r.output.find(line), std::string::npos) << line << "\n" << r.output;
  EXPECT_NE(r.output.find("debugreg invalid: ok (0 unexpected)"), std::string::npos) << r.output;
  // Each refusal is logged with its reason, and the VMM is intact.
  EXPECT_NE(log().find("set_debugreg(8, 0) refused: no such debug register"), std::string::npos) << log();
  auto check = sh("vmmcall call integrity");
  EXPECT_EQ(check.status, 0) << check.output;
  EXPECT_NE(log().find("integrity check on request: intact"), std::string::npos);
  // User mode may not call them at all.
  auto user = sh("vmmcall call set_debugreg 0 4096");
  EXPECT_NE(user.output.find("not allowed from this privilege level"), std::string::npos) << user.output;
}

TEST_F(DebugRegGuest, AVmmExecuteWatchpointOnAKernelFunctionLogsHitsUnseen) {
  const std::string fn = ksym("__x64_sys_getppid");
  auto w = sh("dbgsh -c 'watch " + fn + " x'");
  // The highest free slot (the agentless module detector holds two from the top).
  std::smatch m;
  ASSERT_TRUE(std::regex_search(w.output, m, std::regex("watch: slot ([0-3]) watches " + fn + " \\(x, 1 bytes\\)")))
      << w.output;
  const std::string slot = m[1];
  // The guest notices nothing: its calls complete and no signal arrives.
  auto calls = sh("debugreg getppid 7; echo rc=$?");
  EXPECT_NE(calls.output.find("7 getppid calls\nrc=0"), std::string::npos) << calls.output;
  auto list = sh("dbgsh -c watches");
  EXPECT_NE(list.output.find(slot + "    VMM    0x" + fn + " x    1    7"), std::string::npos) << list.output;
  const std::string l = log();
  const std::string at = ": slot " + slot + " exec " + fn;
  for (int hit = 1; hit <= 7; ++hit)
    EXPECT_NE(l.find("watch hit " + std::to_string(hit) + at + " rip " + fn), std::string::npos) << hit << "\n" << l;
  EXPECT_EQ(l.find("watch hit 8" + at), std::string::npos) << l;
  auto un = sh("dbgsh -c 'unwatch " + slot + "'");
  EXPECT_NE(un.output.find("unwatch: slot " + slot + " released"), std::string::npos) << un.output;
  sh("debugreg getppid 3");
  EXPECT_EQ(log().find("watch hit 8" + at), std::string::npos);  // released: no more hits
  EXPECT_NE(log().find("watch: slot " + slot + " released (" + fn + ", 7 hits)"), std::string::npos) << log();
}

TEST_F(DebugRegGuest, AVmmWriteWatchpointLogsTheValueWritten) {
  const std::string jiffies = ksym("jiffies");
  auto w = sh("s=$(debugreg watch 0x" + jiffies + " w 8 | sed 's/watch slot //') && sleep 1 && debugreg unwatch $s");
  EXPECT_EQ(w.status, 0) << w.output;
  // The timer tick writes jiffies: hits logged with the writing RIP and the new value.
  const std::regex hit("watch hit [0-9]+: slot [0-3] w " + jiffies + " rip ffffffff[0-9a-f]{8} value [0-9a-f]+");
  EXPECT_TRUE(std::regex_search(log(), hit)) << log();
}

// (That a wish for the very slot the VMM holds waits and is armed on release
// is covered by the unit test Watchpoints.ClaimTakesAFreeSlotAndTheGuestWishWaits.)
TEST_F(DebugRegGuest, GuestBreakpointsWorkWhileTheVmmHoldsASlot) {
  // The VMM holds slots from 3 down; the guest's own MOV DR (through ptrace
  // here: Linux fills slots from 0) works in slot 0 meanwhile.
  const std::string fn = ksym("__x64_sys_getppid");
  auto w = sh("debugreg watch 0x" + fn + " x");
  const std::string slot = w.output.substr(w.output.find("watch slot ") + 11, 1);
  auto p = sh("debugreg ptrace-test");
  EXPECT_NE(p.output.find("debugreg ptrace-test: ok"), std::string::npos) << p.output;
  auto all = sh("dbgsh -c watches; debugreg unwatch " + slot);
  EXPECT_NE(all.output.find(slot + "    VMM    0x" + fn), std::string::npos) << all.output;
}

TEST_F(DebugRegGuest, TheFuzzerLeavesTheVmmIntact) {
  auto f = sh("debugreg fuzz 20000 11");
  EXPECT_EQ(f.status, 0) << f.output;
  EXPECT_NE(f.output.find("debugreg fuzz: 20000 calls"), std::string::npos) << f.output;
  auto l = sh("debugreg list");
  EXPECT_NE(l.output.find("dr7 0x0000000000000400"), std::string::npos) << l.output;
  // Only the module detector's two watchpoints are left.
  EXPECT_EQ(count_of(l.output, "watch slot"), 2u) << l.output;
  auto check = sh("vmmcall call integrity");
  EXPECT_EQ(check.status, 0) << check.output;
}

}  // namespace
}  // namespace tv::systest
