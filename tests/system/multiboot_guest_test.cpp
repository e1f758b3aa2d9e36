// thinvisor with other guests: the project's own multiboot kernel (mbtest),
// a guest that triple-faults, and a guest image that is not a kernel at all.
#include <gtest/gtest.h>

#include <fstream>

#include "system_fixture.hpp"

namespace tv::systest {
namespace {

constexpr int kMbtestPass = (0x31 << 1) | 1;  // mbtest writes 0x31 to isa-debug-exit
constexpr int kGuestShutdown = (0x10 << 1) | 1;
constexpr int kGuestBootFailed = (0x13 << 1) | 1;

TEST(MultibootGuest, MbtestBootsAsTheGuestAndPassesItsChecks) {
  host::GuestSession s;
  ASSERT_TRUE(s.start(mbtest_under_thinvisor("mbtest all-checks"))) << s.last_error();
  int status = s.wait_exit(kBootTimeout);
  std::string out = s.transcript();
  EXPECT_EQ(status, kMbtestPass) << host::describe_exit(status) << "\n" << out;
  EXPECT_NE(out.find("MBTEST: PASS"), std::string::npos) << out;
  EXPECT_EQ(out.find("MBTEST: FAIL"), std::string::npos) << out;
  EXPECT_NE(out.find("MBTEST: cmdline 'mbtest all-checks'"), std::string::npos) << out;
  for (const char* check : {"VMRUN raises #UD", "INVLPGA raises #UD", "STGI raises #UD", "EFER.SVME reads as 0",
                            "setting EFER.SVME raises #GP", "setting EFER.FFXSR (absent on this CPU) raises #GP",
                            "single-step trap lands right after an emulated CPUID", "hello returns 10"})
    EXPECT_NE(out.find(std::string("MBTEST: ok ") + check), std::string::npos) << check << "\n" << out;
  EXPECT_NE(out.find("MBTEST: MADT lists 1 CPU(s), 1 enabled; this CPU has APIC ID 0"), std::string::npos) << out;
  EXPECT_NE(out.find("MBTEST: ok only this CPU runs mbtest"), std::string::npos) << out;
  std::string log = s.vmm_log();
  EXPECT_NE(log.find("multiboot guest: 1 segment(s)"), std::string::npos) << log;
  EXPECT_NE(log.find("Hello thinvisor!, arg1 = 7"), std::string::npos) << log;
}

// --- issue 12: SMP -------------------------------------------------------

// With two CPUs the VMM runs both as vCPUs, the MADT lists both enabled, and
// the second waits for the guest's start-up IPI: mbtest, which starts no CPU
// in this mode, is the only one that ever runs (entry.S counts who enters).
TEST(MultibootGuest, WithTwoCpusOnlyTheBootCpuRunsTheGuestUntilItStartsAnother) {
  host::RunConfig c = mbtest_under_thinvisor("mbtest all-checks");
  c.smp = 2;
  host::GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  int status = s.wait_exit(kBootTimeout);
  std::string out = s.transcript(), log = s.vmm_log();
  EXPECT_EQ(status, kMbtestPass) << host::describe_exit(status) << "\n" << out << "\n" << log;
  EXPECT_NE(out.find("MBTEST: PASS"), std::string::npos) << out;
  EXPECT_NE(out.find("MBTEST: MADT lists 2 CPU(s), 2 enabled; this CPU has APIC ID 0"), std::string::npos) << out;
  expect_ok(out, "only this CPU runs mbtest (1 check-in at the multiboot entry)");
  EXPECT_NE(log.find("SMP: 2 CPU(s) in the MADT, 2 started as vCPUs"), std::string::npos) << log;
  EXPECT_NE(log.find("CPU 1 (APIC ID 1): parked for the guest"), std::string::npos) << log;
  EXPECT_EQ(log.find("start-up IPI from the guest"), std::string::npos) << log;
}

// mbtest smp starts every other CPU of the MADT itself (INIT, SIPI, SIPI
// through the xAPIC ICR, a real-mode trampoline at 0x8000); each AP reports
// its APIC ID, the CPUID APIC ID and a hello hypercall, then halts.
void expect_guest_starts_every_cpu(unsigned cpus, bool restart) {
  host::RunConfig c = mbtest_under_thinvisor(restart ? "mbtest smp restart" : "mbtest smp");
  c.smp = cpus;
  host::GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  int status = s.wait_exit(kBootTimeout);
  std::string out = s.transcript(), log = s.vmm_log();
  const std::string n = std::to_string(cpus), aps = std::to_string(cpus - 1);
  EXPECT_EQ(status, kMbtestPass) << n << " CPUs: " << host::describe_exit(status) << "\n" << out << "\n" << log;
  EXPECT_EQ(out.find("MBTEST: FAIL"), std::string::npos) << out;
  EXPECT_NE(out.find("MBTEST: MADT lists " + n + " CPU(s), " + n + " enabled"), std::string::npos) << out;
  EXPECT_NE(out.find("MBTEST: smp started " + aps + " of " + aps + "\n"), std::string::npos) << out;
  for (const char* what :
       {"the AP start-up page 0x8000 is usable RAM and holds no boot information",
        "every other CPU the MADT lists started and checked in",
        "each AP checked in once, with an APIC ID the MADT lists", "CPUID.1:EBX[31:24] is each AP's own APIC ID",
        "hello returns 10 on every AP", "no CPU entered mbtest at its multiboot entry but this one"})
    expect_ok(out, what);
  EXPECT_NE(log.find("SMP: " + n + " CPU(s) in the MADT, " + n + " started as vCPUs"), std::string::npos) << log;
  for (unsigned k = 1; k < cpus; ++k) {
    const std::string cpu = "CPU " + std::to_string(k);
    EXPECT_NE(log.find(cpu + " (APIC ID " + std::to_string(k) + "): parked for the guest"), std::string::npos) << log;
    EXPECT_NE(log.find(cpu + ": start-up IPI from the guest, vector 08"), std::string::npos) << log;
    EXPECT_NE(log.find("arg1 = " + std::to_string(1000 + k)), std::string::npos) << cpu << "'s hello\n" << log;
  }
  if (restart) {
    // A second INIT of each AP (halted in guest code: the VMM kicks it out with
    // an NMI and parks it) and a second SIPI bring every AP back.
    EXPECT_NE(out.find("MBTEST: smp restarted " + aps + " of " + aps + "\n"), std::string::npos) << out;
    expect_ok(out, "every started AP came back after a second INIT and start-up IPI");
    for (unsigned k = 1; k < cpus; ++k)
      EXPECT_NE(log.find("CPU " + std::to_string(k) + ": INIT from the guest: stopped, waiting for a start-up IPI"),
                std::string::npos)
          << log;
  }
  EXPECT_EQ(vmm_fault_line(log), "") << log;
}

TEST(MultibootGuest, TheGuestStartsTheSecondCpuWithInitAndSipi) {
  expect_guest_starts_every_cpu(2, false);
}

TEST(MultibootGuest, TheGuestStartsThreeMoreCpusAndRestartsThem) {
  expect_guest_starts_every_cpu(4, true);
}

// cpus=2 on a three-CPU machine: the VMM runs two, disables the third in the
// MADT and drops the guest's INIT and SIPI to it, so it never runs guest code.
TEST(MultibootGuest, ACpuTheVmmDoesNotRunCannotBeStarted) {
  host::RunConfig c = mbtest_under_thinvisor("mbtest smp hidden");
  c.smp = 3;
  c.vmm_options = "cpus=2";
  host::GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  int status = s.wait_exit(kBootTimeout);
  std::string out = s.transcript(), log = s.vmm_log();
  EXPECT_EQ(status, kMbtestPass) << host::describe_exit(status) << "\n" << out << "\n" << log;
  EXPECT_NE(out.find("MBTEST: MADT lists 3 CPU(s), 2 enabled"), std::string::npos) << out;
  EXPECT_NE(out.find("MBTEST: smp started 1 of 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("MBTEST: smp hidden CPUs started 0 of 1\n"), std::string::npos) << out;
  // Left in firmware, the third CPU would run the guest's real-mode NMI handler
  // outside the VMM; the VMM parks it for good with GIF clear instead.
  EXPECT_NE(out.find("MBTEST: smp hidden CPUs took the guest's NMI 0 time(s) of 1\n"), std::string::npos) << out;
  expect_ok(out, "no CPU the MADT lists as disabled ran the guest's NMI handler");
  EXPECT_NE(log.find("SMP: CPU with APIC ID 2 is not a vCPU: parked in the VMM for good"), std::string::npos) << log;
  EXPECT_NE(log.find("SMP: 3 CPU(s) in the MADT, 2 started as vCPUs"), std::string::npos) << log;
  EXPECT_NE(log.find("the guest gets 2, 1 hidden"), std::string::npos) << log;
  EXPECT_NE(log.find("guest INIT to APIC ID 2, which is not a vCPU: dropped"), std::string::npos) << log;
  EXPECT_NE(log.find("guest start-up IPI to APIC ID 2, which is not a vCPU: dropped"), std::string::npos) << log;
  EXPECT_EQ(vmm_fault_line(log), "") << log;
}

// The baseline that shows mbtest's own AP start-up is right whatever the VMM
// does: plain QEMU (its multiboot loader, no thinvisor), four CPUs.
TEST(MultibootGuest, MbtestStartsEveryCpuOnPlainQemuToo) {
  host::RunConfig c = mbtest_under_thinvisor("mbtest smp");
  c.plain = true;
  c.smp = 4;
  host::GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  int status = s.wait_exit(kBootTimeout);
  std::string out = s.transcript();
  EXPECT_EQ(status, kMbtestPass) << host::describe_exit(status) << "\n" << out;
  EXPECT_NE(out.find("MBTEST: smp started 3 of 3\n"), std::string::npos) << out;
  expect_ok(out, "CPUID.1:EBX[31:24] is each AP's own APIC ID");
  expect_ok(out, "no hypercalls attempted (not under thinvisor)");
}

// Issue 7: real multiboot kernels link at 1, 2, 4 or 16 MiB; with the VMM at
// the top of RAM each must load where it asks and pass mbtest's checks.
TEST(MultibootGuest, KernelsLinkedAt2And4And16MibBootToo) {
  for (const char* name : {"mbtest-2m.elf", "mbtest-4m.elf", "mbtest-16m.elf"}) {
    host::RunConfig c = mbtest_under_thinvisor("mbtest all-checks");
    c.kernel = std::string(TV_MBTEST_DIR) + "/" + name;
    host::GuestSession s;
    ASSERT_TRUE(s.start(c)) << s.last_error();
    int status = s.wait_exit(kBootTimeout);
    EXPECT_EQ(status, kMbtestPass) << name << ": " << host::describe_exit(status) << "\n" << s.vmm_log();
    EXPECT_NE(s.transcript().find("MBTEST: PASS"), std::string::npos) << name << "\n" << s.transcript();
  }
}

TEST(MultibootGuest, TripleFaultEndsTheRunWithALogAndNonZeroStatus) {
  host::GuestSession s;
  ASSERT_TRUE(s.start(mbtest_under_thinvisor("mbtest triplefault"))) << s.last_error();
  int status = s.wait_exit(kBootTimeout);
  EXPECT_EQ(status, kGuestShutdown) << host::describe_exit(status);
  std::string log = s.vmm_log();
  EXPECT_NE(log.find("guest triple fault (shutdown)"), std::string::npos) << log;
  EXPECT_NE(log.find("guest state at shutdown"), std::string::npos) << log;
  EXPECT_NE(log.find("run report (guest triple fault)"), std::string::npos) << log;
}

// Issue 12: a triple fault on an AP ends the run the same way, naming that CPU.
TEST(MultibootGuest, ATripleFaultOnAnApEndsTheRunToo) {
  host::RunConfig c = mbtest_under_thinvisor("mbtest smp ap-triplefault");
  c.smp = 2;
  host::GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  int status = s.wait_exit(kBootTimeout);
  EXPECT_EQ(status, kGuestShutdown) << host::describe_exit(status);
  std::string log = s.vmm_log();
  EXPECT_NE(log.find("guest triple fault (shutdown) on CPU 1"), std::string::npos) << log;
  EXPECT_NE(log.find("run report (guest triple fault)"), std::string::npos) << log;
  EXPECT_EQ(count_of(log, "run report (guest triple fault)"), 1u) << log;
  EXPECT_EQ(vmm_fault_line(log), "") << log;
}

// Issue 7: every platform reset path ends the run (firmware's reset path runs
// code the guest can control). Without the defence QEMU resets, the VMM boots
// again, the mode repeats, and the wait times out instead of seeing status 41.
TEST(MultibootGuest, EveryResetPathEndsTheRunAsAGuestReset) {
  const char* modes[] = {"reset-92", "reset-cf9", "reset-8042-pulse", "reset-8042-outport", "reset-init-self"};
  for (const char* mode : modes) {
    host::GuestSession s;
    ASSERT_TRUE(s.start(mbtest_under_thinvisor(std::string("mbtest ") + mode))) << s.last_error();
    int status = s.wait_exit(60s);
    EXPECT_EQ(status, host::kExitGuestReset) << mode << ": " << host::describe_exit(status);
    std::string log = s.vmm_log();
    EXPECT_EQ(count_of(log, "VMRUN: entering the guest"), 1u) << mode << ": the VMM started again\n" << log;
    EXPECT_NE(log.find("run report (guest reset)"), std::string::npos) << mode << "\n" << log;
    EXPECT_EQ(s.transcript().find("MBTEST: FAIL"), std::string::npos) << mode << "\n" << s.transcript();
  }
}

TEST(MultibootGuest, AGuestCannotForgeTheVmmsExitCodes) {
  host::GuestSession s;
  ASSERT_TRUE(s.start(mbtest_under_thinvisor("mbtest forge-exit"))) << s.last_error();
  int status = s.wait_exit(kBootTimeout);
  EXPECT_EQ(status, host::kExitGuestReservedCode) << host::describe_exit(status);
  std::string log = s.vmm_log();
  EXPECT_NE(log.find("isa-debug-exit at port f5 (not its base) dropped"), std::string::npos) << log;
  EXPECT_NE(log.find("which the VMM reserves"), std::string::npos) << log;
}

TEST(MultibootGuest, AGuestImageThatIsNoKernelIsRefusedClearly) {
  std::string junk = TV_BUILD_DIR "/tests/system/not-a-kernel.bin";
  {
    std::ofstream f(junk, std::ios::binary);
    for (int i = 0; i < 65536; ++i) f.put(char((i * 7919) >> 3));
  }
  host::RunConfig c = mbtest_under_thinvisor("");
  c.kernel = junk;
  c.extra_modules.clear();
  host::GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  int status = s.wait_exit(kBootTimeout);
  EXPECT_EQ(status, kGuestBootFailed) << host::describe_exit(status);
  std::string log = s.vmm_log();
  EXPECT_NE(log.find("neither a usable bzImage"), std::string::npos) << log;
  EXPECT_NE(log.find("cannot load the guest"), std::string::npos) << log;
}

}  // namespace
}  // namespace tv::systest
