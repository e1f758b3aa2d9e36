// Issue 9: the debug shell reached from the Linux guest (guest/tools/dbgsh.c
// -> the dbgsh hypercall -> the shell domain -> the programs it starts).
// One shared boot; the dbgsh=off case has a boot of its own.
#include <gtest/gtest.h>

#include <memory>
#include <regex>

#include "system_fixture.hpp"

namespace tv::systest {
namespace {

class DbgshGuest : public SharedBootTest<DbgshGuest> {};

TEST_F(DbgshGuest, LogShowsALineTheVmmLoggedAtBoot) {
  auto r = sh("dbgsh -c log");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("SVM enabled"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("thinvisor: thinvisor 0.1.0 starting"), std::string::npos) << r.output;  // the first line
  EXPECT_EQ(r.output.find("--More--"), std::string::npos) << r.output;  // scripted: no paging
}

TEST_F(DbgshGuest, LogPagesOnlyForATerminal) {
  // hcbench speaks the raw protocol; --dbgsh-terminal polls as an interactive
  // client does (0x101). The keys: "log", q at the first --More--, "exit".
  // The boot alone logs more than a screenful (23 lines).
  auto r = sh("k=$(printf 'log\\nqexit\\nX'); hcbench --dbgsh-terminal \"${k%X}\"");
  EXPECT_EQ(r.status, 0) << r.output;
  const std::string more = "--More-- (space: next page, q: quit)";
  const size_t at = r.output.find(more);
  ASSERT_NE(at, std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(more, at + 1), std::string::npos) << r.output;  // q quit at the first prompt
  EXPECT_NE(r.output.find("> exit", at), std::string::npos) << r.output;  // and the shell went on
  auto scripted = sh("k=$(printf 'log\\nexit\\nX'); hcbench --dbgsh \"${k%X}\"");
  EXPECT_EQ(scripted.status, 0) << scripted.output;
  EXPECT_EQ(scripted.output.find("--More--"), std::string::npos) << scripted.output;
}

TEST_F(DbgshGuest, LogFollowShowsNewLinesAndEndsAtAKey) {
  // The client types "log -f", then nothing for 4 s, then q and exit. Meanwhile
  // the guest keeps running (the follow yields) and makes the VMM log a line.
  auto r =
      sh("(echo 'log -f'; sleep 4; echo q; echo exit) | dbgsh >/tmp/follow & "
         "sleep 2; vmmcall call domain_selftest >/dev/null; wait $!; echo follow=$?; cat /tmp/follow");
  EXPECT_NE(r.output.find("follow=0"), std::string::npos) << r.output;
  const size_t following = r.output.find("log: following; any key ends");
  ASSERT_NE(following, std::string::npos) << r.output;
  EXPECT_NE(r.output.find("domain_selftest: refused", following), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("> exit", following), std::string::npos) << r.output;
}

TEST_F(DbgshGuest, HelpListsThePrograms) {
  auto r = sh("dbgsh -c help");
  EXPECT_EQ(r.status, 0) << r.output;
  for (const char* p : {"log", "exits", "domains", "status", "mem", "regs", "services"})
    EXPECT_NE(r.output.find(p), std::string::npos) << p << "\n" << r.output;
}

TEST_F(DbgshGuest, ExitsShowsNonZeroCpuidExits) {
  auto r = sh("dbgsh -c exits");
  EXPECT_EQ(r.status, 0) << r.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.output, m, std::regex("cpuid\\s+(\\d+)"))) << r.output;
  EXPECT_GT(std::stoul(m[1]), 0u) << r.output;
}

TEST_F(DbgshGuest, AnUnknownCommandGivesAMessageAndTheShellContinues) {
  auto r = sh("printf 'nosuchcmd\\nmem\\nexit\\n' | dbgsh");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("no such command"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pool"), std::string::npos) << r.output;  // mem ran after it
}

TEST_F(DbgshGuest, ACrashingCommandLeavesTheShellUsableAndTheVmmNamesTheFault) {
  auto r = sh("printf 'faulty\\nmem\\nexit\\n' | dbgsh");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("crashed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pool"), std::string::npos) << r.output;
  EXPECT_TRUE(std::regex_search(log(), std::regex("domain faulty \\(id \\d+\\) killed: "))) << log();
}

TEST_F(DbgshGuest, ASecondClientGetsBusy) {
  // The first client holds its session open while its stdin (sleep) is open.
  auto r = sh("(sleep 3 | dbgsh >/dev/null) & sleep 1; dbgsh -c mem; echo second=$?; wait");
  EXPECT_NE(r.output.find("busy"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("second=3"), std::string::npos) << r.output;
  EXPECT_EQ(sh("dbgsh -c mem").status, 0);  // and the next session works
}

TEST_F(DbgshGuest, TheRawProtocolHoldsBitVisorsValues) {
  // One vmmcall process per step, as BitVisor's table says: -1 poll, 0 ack,
  // characters both ways, 0 = "send a keystroke", 0x10A = session over.
  auto r =
      sh("n=$(vmmcall number dbgsh); "
         "step() { vmmcall raw $n $1 | sed -n 's/^rax=\\(0x[0-9a-f]*\\).*/\\1/p'; }; "
         "echo first=$(step -1); echo second=$(step 0); echo third=$(step 0); "
         "for c in 101 120 105 116 10; do step $c >/dev/null; a=$(step 0); "
         "while [ \"$a\" != 0x0 ] && [ \"$a\" != 0x10a ]; do a=$(step 0); done; done; echo last=$a");
  EXPECT_NE(r.output.find("first=0x3e"), std::string::npos) << r.output;   // '>' of the prompt "> "
  EXPECT_NE(r.output.find("second=0x20"), std::string::npos) << r.output;  // ' '
  EXPECT_NE(r.output.find("third=0x0"), std::string::npos) << r.output;    // the shell waits for input
  EXPECT_NE(r.output.find("last=0x10a"), std::string::npos) << r.output;   // exit ended the session
}

TEST(DbgshOff, TheOptionDisablesItWithAClearMessage) {
  host::GuestSession s;
  host::RunConfig cfg = linux_under_thinvisor();
  cfg.vmm_options = "dbgsh=off";
  ASSERT_EQ(boot_linux(s, cfg), "");
  auto r = s.run("dbgsh -c help; echo status=$?", kCommandTimeout);
  EXPECT_NE(r.output.find("disabled"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("status=4"), std::string::npos) << r.output;
  EXPECT_NE(s.vmm_log().find("dbgsh: refused: the VMM was started with dbgsh=off"), std::string::npos);
}

}  // namespace
}  // namespace tv::systest
