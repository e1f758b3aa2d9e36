// Issue 11: guest kernel-module loads reported by the in-guest
// agent thinvisor_modwatch.ko through the drvhook hypercall
// (docs/module-watch.md). One shared boot; the checks run in order and build
// on each other (the agent stays loaded).
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "system_fixture.hpp"

namespace tv::systest {
namespace {

class ModwatchGuest : public SharedBootTest<ModwatchGuest> {
 public:
  // The agent alone: without the kernel profile the agentless detector is off
  // (AgentlessGuest below has it, without the agent).
  static host::RunConfig config() {
    host::RunConfig c = linux_under_thinvisor();
    c.extra_modules.clear();
    return c;
  }

 protected:
  // The first line of a command's output.
  static std::string first_line(const std::string& cmd) {
    auto r = sh(cmd);
    EXPECT_EQ(r.status, 0) << cmd << "\n" << r.output;
    return r.output.substr(0, r.output.find('\n'));
  }
  static unsigned long pool_free_pages() {
    std::string v = first_line("vmmcall status | sed -n 's/^pool_free_pages //p'");
    return std::stoul(v);
  }
  // The row of `name` in the debug shell's `modules` report.
  static std::string shell_row(const std::string& name) {
    auto r = sh("dbgsh -c modules");
    EXPECT_EQ(r.status, 0) << r.output;
    std::smatch m;
    const std::regex row("(^|\n)(" + name + " [^\n]*)");
    if (!std::regex_search(r.output, m, row)) return "(no row for " + name + " in:\n" + r.output + ")";
    return m[2];
  }
  static inline std::string text_base_;  // "0x..." as /sys/module/.../sections/.text shows it
  static inline std::string core_size_;  // decimal, /sys/module/.../coresize
};

TEST_F(ModwatchGuest, TheAgentLoadsAndReportsItself) {
  auto r = sh("insmod /lib/modules/thinvisor_modwatch.ko && dmesg | grep thinvisor_modwatch:");
  ASSERT_EQ(r.status, 0) << r.output << log();
  EXPECT_NE(r.output.find("thinvisor_modwatch: watching module loads (drvhook "), std::string::npos) << r.output;
  // It registers during its own init, so it sees its own LIVE.
  EXPECT_NE(log().find("guest module thinvisor_modwatch loaded at 0xffffffffc"), std::string::npos) << log();
}

TEST_F(ModwatchGuest, ALoadIsReportedWithTheKernelsOwnBaseAndSize) {
  auto r = sh("insmod /lib/modules/thinvisor_testmod.ko");
  ASSERT_EQ(r.status, 0) << r.output;
  text_base_ = first_line("cat /sys/module/thinvisor_testmod/sections/.text");
  core_size_ = first_line("cat /sys/module/thinvisor_testmod/coresize");
  ASSERT_TRUE(std::regex_match(text_base_, std::regex("0xffffffffc[0-9a-f]{7}"))) << text_base_;
  ASSERT_TRUE(std::regex_match(core_size_, std::regex("[1-9][0-9]*"))) << core_size_;
  const std::string l = log();
  EXPECT_NE(l.find("guest module thinvisor_testmod coming at " + text_base_ + " size " + core_size_ + " (agent)"),
            std::string::npos)
      << l;
  EXPECT_NE(l.find("guest module thinvisor_testmod loaded at " + text_base_ + " size " + core_size_ + " (agent)"),
            std::string::npos)
      << l;
  EXPECT_NE(l.find("k2e: driver has loaded at " + text_base_), std::string::npos) << l;
  // The debug shell: name, base, size, state, detector, loads, first and last TSC.
  const std::string padded_base = "0x" + std::string(18 - text_base_.size(), '0') + text_base_.substr(2);
  EXPECT_TRUE(std::regex_search(
      shell_row("thinvisor_testmod"),
      std::regex("^thinvisor_testmod +" + padded_base + " " + core_size_ + " +live +agent +1 +[0-9]+ +[0-9]+$")))
      << shell_row("thinvisor_testmod");
  // The guest tool, through list_modules from user mode.
  auto u = sh("modules thinvisor_testmod");
  EXPECT_EQ(u.status, 0) << u.output;
  EXPECT_TRUE(std::regex_search(
      u.output, std::regex("^thinvisor_testmod " + padded_base + " " + core_size_ + " live agent [0-9]+ [0-9]+\n")))
      << u.output;
}

TEST_F(ModwatchGuest, AnUnloadIsReported) {
  ASSERT_FALSE(text_base_.empty());
  auto r = sh("rmmod thinvisor_testmod");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(log().find("guest module thinvisor_testmod unloaded (agent)"), std::string::npos) << log();
  EXPECT_NE(shell_row("thinvisor_testmod").find(" unloaded agent "), std::string::npos)
      << shell_row("thinvisor_testmod");
  EXPECT_NE(sh("modules thinvisor_testmod").output.find(" unloaded agent "), std::string::npos);
}

TEST_F(ModwatchGuest, AFailedLoadIsReported) {
  auto r = sh("insmod /lib/modules/thinvisor_failmod.ko");
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(log().find("guest module thinvisor_failmod coming at 0xffffffffc"), std::string::npos) << log();
  EXPECT_NE(log().find("guest module thinvisor_failmod failed to load (agent)"), std::string::npos) << log();
  // busybox insmod retries a failed finit_module with init_module: two loads.
  EXPECT_TRUE(std::regex_search(shell_row("thinvisor_failmod"), std::regex(" failed +agent +[12] ")))
      << shell_row("thinvisor_failmod");
}

TEST_F(ModwatchGuest, UserModeCannotReport) {
  auto r = sh("vmmcall call drvhook 2 0 0xffffffffc0000000 4096");
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_NE(r.output.find("not allowed from this privilege level"), std::string::npos) << r.output;
  // Reading the table is allowed from user mode; an index past the end is -4.
  auto l = sh("vmmcall call list_modules 1000 0 0");
  EXPECT_NE(l.output.find("rax=0xfffffffffffffffc (-4)"), std::string::npos) << l.output;
  // A buffer the user may not write (a kernel address) is -3, nothing written.
  auto k = sh("vmmcall call list_modules 0 0xffffffff81000000 64");
  EXPECT_NE(k.output.find("rax=0xfffffffffffffffd (-3)"), std::string::npos) << k.output;
  auto s = sh("vmmcall call list_modules 0 0 1");
  EXPECT_NE(s.output.find("rax=0xfffffffffffffffb (-5)"), std::string::npos) << s.output;
}

TEST_F(ModwatchGuest, ForgedKernelReportsAreRefusedWithTheirErrors) {
  struct Case {
    const char* attack;
    int result;
    const char* reason;  // in the VMM log
  };
  const Case cases[] = {
      {"drvhook_event", -64, "refused: event is not COMING (1), LIVE (2) or GOING (3)"},
      {"drvhook_name_noncanonical", -65,
       "drvhook(2, 8000000000000000, ffffffffc0000000, 3000) refused: name unreadable"},
      {"drvhook_name_null", -65, "drvhook(2, 0, ffffffffc0000000, 3000) refused: name unreadable"},
      {"drvhook_name_page_end", -65, "refused: name unreadable"},
      {"drvhook_name_long", -66, "refused: name has no NUL within 56 bytes"},
      {"drvhook_name_forged_line", -67, "refused: name empty or not [A-Za-z0-9_-]"},
      {"drvhook_name_empty", -67, "refused: name empty or not [A-Za-z0-9_-]"},
      {"drvhook_base_user", -68, ", 400000, 3000) refused: base is not a canonical kernel address"},
      {"drvhook_base_noncanonical", -68, ", ffff000000000000, 3000) refused: base is not a canonical kernel address"},
      {"drvhook_size_zero", -69, ", ffffffffc0000000, 0) refused: size is 0 or 1 GiB or more"},
      {"drvhook_size_huge", -69, ", ffffffffc0000000, 40000000) refused: size is 0 or 1 GiB or more"},
      {"drvhook_size_wrap", -70, ", fffffffffffff000, 2000) refused: base + size wraps"},
      {"drvhook_going_unknown", -72, "refused (agent, going tvattack_forged): module is not loading or loaded"},
  };
  std::string cmd = "for a in";
  for (const Case& c : cases) cmd += std::string(" ") + c.attack;
  cmd += "; do insmod /lib/modules/tvattack.ko attack=$a 2>/dev/null; done; dmesg | grep 'tvattack: drvhook'";
  auto r = sh(cmd);
  const std::string l = log();
  for (const Case& c : cases) {
    EXPECT_NE(r.output.find(std::string("tvattack: ") + c.attack + ": result " + std::to_string(c.result) + "\n"),
              std::string::npos)
        << c.attack << "\n"
        << r.output;
    EXPECT_NE(l.find(c.reason), std::string::npos) << c.attack << ": " << c.reason;
  }
  // The newline in a name never reaches the log; the forged name never reaches the table.
  EXPECT_EQ(l.find("integrity check on request"), std::string::npos) << l;
  EXPECT_EQ(sh("modules tvattack_forged").status, 1);
  auto check = sh("vmmcall call integrity");
  EXPECT_EQ(check.status, 0) << check.output;
  EXPECT_NE(check.output.find("rax=0x0 (0)"), std::string::npos) << check.output;
}

TEST_F(ModwatchGuest, AThousandLoadCyclesKeepTheTableBounded) {
  constexpr int kCycles = 1000;
  const unsigned long free_before = pool_free_pages();
  // Console printk off during the loop (two lines per cycle would dominate its time).
  auto r =
      sh("old=$(cut -f1 /proc/sys/kernel/printk); dmesg -n 1; i=0; fails=0; while [ $i -lt " + std::to_string(kCycles) +
         " ]; do insmod /lib/modules/thinvisor_testmod.ko && rmmod thinvisor_testmod || "
         "fails=$((fails+1)); i=$((i+1)); done; dmesg -n $old; echo cycles $i fails $fails");
  EXPECT_NE(r.output.find("cycles 1000 fails 0"), std::string::npos) << r.output;
  EXPECT_EQ(pool_free_pages(), free_before);
  auto report = sh("dbgsh -c modules");
  // thinvisor_modwatch, thinvisor_testmod, thinvisor_failmod and tvattack; no Full, no new refusals.
  EXPECT_TRUE(std::regex_search(report.output, std::regex("modules 4 \\(loaded 1\\) of 64; events [0-9]+ loads "
                                                          "[0-9]+ reused 0 full 0 refused 1\n")))
      << report.output;
  EXPECT_TRUE(std::regex_search(shell_row("thinvisor_testmod"), std::regex(" unloaded +agent +1001 ")))
      << shell_row("thinvisor_testmod");
  EXPECT_EQ(log().find("module table full"), std::string::npos);
  EXPECT_EQ(sh("vmmcall call integrity").status, 0);
}

// --- agentless: no code in the guest ---------------------------------------

// The kernel profile as a boot module (the default), the agent never loaded,
// KASLR on (the default kernel command line), and the text-hash policy with an
// allow-list that knows thinvisor_testmod under a wrong hash.
class AgentlessGuest : public SharedBootTest<AgentlessGuest> {
 public:
  static host::RunConfig config() {
    host::RunConfig c = linux_under_thinvisor();
    c.vmm_options = "modwatch.allow=thinvisor_testmod:" + std::string(64, '0');
    return c;
  }
};

TEST_F(AgentlessGuest, TheDetectorArmsFromTheProfileAndTheKaslrSlide) {
  const std::string l = log();
  EXPECT_NE(l.find("modwatch: kernel profile for "), std::string::npos) << l;
  EXPECT_TRUE(std::regex_search(l, std::regex("modwatch: CPU 0: KASLR slide [0-9a-f]+; do_init_module watched, "
                                              "free_module watched")))
      << l;
  EXPECT_EQ(sh("lsmod | grep -c thinvisor_modwatch").output.substr(0, 1), "0");  // no agent
}

TEST_F(AgentlessGuest, ALoadAndUnloadAreSeenWithTheKernelsOwnBase) {
  auto r =
      sh("insmod /lib/modules/thinvisor_testmod.ko && cat /sys/module/thinvisor_testmod/sections/.text "
         "/sys/module/thinvisor_testmod/coresize && rmmod thinvisor_testmod");
  ASSERT_EQ(r.status, 0) << r.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.output, m, std::regex("0x([0-9a-f]{16})\n([0-9]+)"))) << r.output;
  const std::string base = m[1], size = m[2];
  const std::string l = log();
  EXPECT_NE(l.find("guest module thinvisor_testmod coming at 0x" + base + " size " + size + " (agentless)"),
            std::string::npos)
      << l;
  EXPECT_NE(l.find("guest module thinvisor_testmod loaded at 0x" + base + " size " + size + " (agentless)"),
            std::string::npos)
      << l;
  EXPECT_NE(l.find("k2e: driver has loaded at 0x" + base), std::string::npos) << l;
  EXPECT_NE(l.find("guest module thinvisor_testmod unloaded (agentless)"), std::string::npos) << l;
  auto row = sh("modules thinvisor_testmod");
  EXPECT_NE(row.output.find("thinvisor_testmod 0x" + base + " " + size + " unloaded agentless "), std::string::npos)
      << row.output;
}

TEST_F(AgentlessGuest, AFailedInitIsSeen) {
  auto r = sh("insmod /lib/modules/thinvisor_failmod.ko; modules thinvisor_failmod");
  EXPECT_NE(r.output.find(" failed agentless "), std::string::npos) << r.output;
  EXPECT_NE(log().find("guest module thinvisor_failmod failed to load (agentless)"), std::string::npos) << log();
}

TEST_F(AgentlessGuest, ThePolicyReportsUnknownModulesAndWrongHashesLoudly) {
  // thinvisor_testmod (loaded above) is in the list under another hash;
  // tvcall is not in it. Both are reported at warning level in the log ring.
  ASSERT_EQ(sh("insmod /lib/modules/tvcall.ko >/dev/null").status, 0);
  auto r = sh("dbgsh -c log | grep ' warn\\] thinvisor: guest module .*text sha256'");
  EXPECT_TRUE(std::regex_search(r.output, std::regex("thinvisor_testmod text sha256 [0-9a-f]{64} \\([0-9]+ bytes\\): "
                                                     "HASH MISMATCH \\(allow-listed name, different text\\)")))
      << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("tvcall text sha256 [0-9a-f]{64} \\([0-9]+ bytes\\): "
                                                     "UNKNOWN MODULE \\(not in the allow-list\\)")))
      << r.output;
  EXPECT_NE(log().find("modwatch: allow-list of 1 module(s)"), std::string::npos) << log();
}

}  // namespace
}  // namespace tv::systest
