// Issue 8: protection domains in a booted VMM, driven from the Linux guest.
// One boot with the VMM option selftest.domains: the guest runs the VMM's
// domain self-test (vmm/domain/selftest.cpp: messages, buffers, nesting,
// every fault kind, descriptor errors, the soak) through the domain_selftest
// hypercall, then uses the domain-hosted services, and keeps running.
#include <gtest/gtest.h>

#include <memory>
#include <regex>

#include "system_fixture.hpp"

namespace tv::systest {
namespace {

class DomainGuest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    session_ = std::make_unique<host::GuestSession>();
    host::RunConfig cfg = linux_under_thinvisor();
    cfg.vmm_options = "selftest.domains";
    boot_error_ = boot_linux(*session_, cfg);
    if (boot_error_.empty()) selftest_ = session_->run("vmmcall call domain_selftest", kCommandTimeout).output;
  }
  static void TearDownTestSuite() { session_.reset(); }
  void SetUp() override {
    if (!boot_error_.empty()) GTEST_FAIL() << boot_error_;
  }
  static std::string sh(const std::string& cmd) {
    host::ExecResult r = session_->run(cmd, kCommandTimeout);
    EXPECT_FALSE(r.timed_out) << cmd << "\n" << session_->vmm_log();
    return r.output;
  }
  static std::string log() { return session_->vmm_log(); }
  static void expect_pass(const std::string& check) {
    EXPECT_NE(log().find("domtest: PASS " + check), std::string::npos) << check << "\n" << log();
  }
  static inline std::unique_ptr<host::GuestSession> session_;
  static inline std::string boot_error_;
  static inline std::string selftest_;
};

TEST_F(DomainGuest, TheSelftestPassesEveryCheckAndTheGuestKeepsRunning) {
  EXPECT_NE(selftest_.find("rax=0x0"), std::string::npos) << selftest_ << log();
  EXPECT_EQ(log().find("domtest: FAIL"), std::string::npos) << log();
  EXPECT_NE(log().find(" 0 failed;"), std::string::npos) << log();
  EXPECT_NE(sh("echo still-here").find("still-here"), std::string::npos);
}

TEST_F(DomainGuest, MessagesBuffersAndNesting) {
  for (const char* c :
       {"int message VMM -> domain -> VMM", "a negative result is a value, not an error",
        "buffer message: the callee reads 64 KiB", "buffer message: the caller sees the callee's writes",
        "nested creation three deep", "nesting beyond the bound fails inside the chain",
        "sender -> receiver: int and buffer messages between domains", "a buffer over the limit", "too many buffers"})
    expect_pass(c);
}

TEST_F(DomainGuest, EveryFaultKillsOnlyTheDomain) {
  for (const char* c :
       {"fault: NULL read", "fault: read VMM memory", "fault: HLT", "fault: MOV to CR3", "fault: WRMSR",
        "fault: IN/OUT", "fault: CLI", "fault: divide by zero", "fault: UD2", "fault: stack overflow",
        "fault: bad syscall number", "fault: syscall with a bad pointer", "fault: syscall with a huge length",
        "a dead domain's children end with it", "fault: write to a read-only buffer",
        "a dead domain's descriptor is stale", "the read-only buffer is unchanged"})
    expect_pass(c);
  // The VMM names the domain, the fault and the RIP.
  EXPECT_TRUE(std::regex_search(log(), std::regex("domain faulty \\(id \\d+\\) killed: #GP general protection at rip "
                                                  "4000[0-9a-f]+")))
      << log();
  EXPECT_TRUE(std::regex_search(log(), std::regex("domain faulty \\(id \\d+\\) killed: #PF page fault"))) << log();
}

TEST_F(DomainGuest, DescriptorErrorsAreDistinct) {
  for (const char* c : {"descriptor -1 is out of range", "descriptor 32 is out of range",
                        "a huge descriptor is out of range", "a closed descriptor", "msgopen of an unknown name",
                        "newprocess of an unknown program", "msgregister of a taken name"})
    expect_pass(c);
}

TEST_F(DomainGuest, TheSoakLeavesTheFreePageCountWhereItStarted) {
  expect_pass("soak: 10,000 int messages");
  expect_pass("soak: 1,000 create/exit cycles");
  expect_pass("soak: the free page count is where it started");
}

TEST_F(DomainGuest, TheDebugShellToolsRunAndReturnZero) {
  for (const char* c :
       {"tool: help returns 0", "tool: log returns 0", "tool: exits returns 0", "tool: domains returns 0",
        "tool: status returns 0", "tool: mem returns 0", "tool: regs returns 0", "tool: services returns 0",
        "tool: every tool instance ends after its run"})
    expect_pass(c);
  // Their output goes to ttyout, which logs each line.
  EXPECT_TRUE(std::regex_search(log(), std::regex("domain: exits\\.cpuid [1-9]"))) << log();
  EXPECT_TRUE(std::regex_search(log(), std::regex("domain: rip +0x[0-9a-f]{16}"))) << log();
}

TEST_F(DomainGuest, TheVmminfoReportsAndTheirBufferRule) {
  for (const char* c :
       {"vmminfo: exits lists cpuid", "vmminfo: domains has its table", "vmminfo: status is the status report",
        "vmminfo: mem shows the pool", "vmminfo: regs shows the registers", "vmminfo: services lists the registry",
        "vmminfo: programs lists the shell", "vmminfo: a too-small buffer gets -(bytes needed)",
        "vmminfo: an unknown report"})
    expect_pass(c);
}

TEST_F(DomainGuest, AScriptedShellSessionRunsCommandsAndSurvivesACrash) {
  for (const char* c :
       {"shell: a scripted session returns 0 at exit", "shell: prompts and echoes", "shell: help lists the programs",
        "shell: runs exits", "shell: an unknown command says so", "shell: a crashing command says so",
        "shell: nothing runs after exit", "shell: the end of input ends the session", "shell: runs mem",
        "shell: no instance outlives its session"})
    expect_pass(c);
  EXPECT_TRUE(std::regex_search(log(), std::regex("domain faulty \\(id \\d+\\) killed: #PF page fault"))) << log();
}

TEST_F(DomainGuest, ADomainHostedServiceAnswersAndAFaultyOneFailsCleanly) {
  EXPECT_NE(sh("vmmcall call echo_domain 42").find("rax=0x2a"), std::string::npos) << log();
  // A fault in the service's domain: the documented error (-6), then a fresh instance.
  EXPECT_NE(sh("vmmcall call faulty_domain 1").find("rax=0xfffffffffffffffa"), std::string::npos) << log();
  EXPECT_NE(sh("vmmcall call faulty_domain 0").find("rax=0x7"), std::string::npos) << log();
  EXPECT_NE(sh("vmmcall call echo_domain 7").find("rax=0x7"), std::string::npos) << log();
  std::string status = sh("vmmcall status");
  EXPECT_NE(status.find("pool_free_pages"), std::string::npos) << status;
  EXPECT_NE(sh("vmmcall call integrity").find("rax=0x0 (0)"), std::string::npos) << log();
  EXPECT_NE(log().find("integrity check on request: intact"), std::string::npos) << log();
  EXPECT_EQ(log().find("PANIC"), std::string::npos) << log();
}

}  // namespace
}  // namespace tv::systest
