// Short boots that check the VMM's own refusals and options: an exception in
// the VMM, a CPU without SVM, and the kernel-only hypercall policy.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "system_fixture.hpp"

namespace tv::systest {
namespace {

// Boots mbtest with the given VMM options and waits for the run to end.
int run_mbtest_with(host::GuestSession& s, const char* vmm_options) {
  host::RunConfig c = mbtest_under_thinvisor("mbtest");
  c.vmm_options = vmm_options;
  if (!s.start(c)) {
    ADD_FAILURE() << s.last_error();
    return -1;
  }
  return s.wait_exit(kBootTimeout);
}

TEST(VmmOptions, AVmmExceptionDumpsRegistersAndFaultingAddress) {
  host::GuestSession s;
  int status = run_mbtest_with(s, "selftest.fault");
  EXPECT_EQ(status, host::kExitVmmPanic) << host::describe_exit(status);
  std::string log = s.vmm_log();
  EXPECT_NE(log.find("VMM EXCEPTION 14 (#PF page fault)"), std::string::npos) << log;
  EXPECT_NE(log.find("faulting address (cr2) 0000007000000000"), std::string::npos) << log;
  EXPECT_NE(log.find("rip "), std::string::npos) << log;
  EXPECT_NE(log.find("r15 "), std::string::npos) << log;
  // The panic report ends with where the log ring is and its last lines, with level and TSC.
  EXPECT_NE(log.find("thinvisor: log ring at "), std::string::npos) << log;
  EXPECT_NE(log.find(" error] thinvisor: VMM EXCEPTION 14 (#PF page fault)"), std::string::npos) << log;
  EXPECT_NE(log.find("  info] thinvisor: selftest.fault: reading unmapped address"), std::string::npos) << log;
}

// Issue 12: a VMM exception on one CPU while others run gives one report,
// naming that CPU, and ends the run (the others are stopped by an NMI). The
// multiboot guest starts CPUs 1 and 2; CPU 1 faults as the guest starts it.
TEST(VmmOptions, AnExceptionOnOneCpuGivesOneReportNamingIt) {
  host::RunConfig c = mbtest_under_thinvisor("mbtest smp");
  c.smp = 3;
  c.vmm_options = "selftest.fault_on_cpu=1";
  host::GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  int status = s.wait_exit(kBootTimeout);
  EXPECT_EQ(status, host::kExitVmmPanic) << host::describe_exit(status);
  const std::string log = s.vmm_log();
  EXPECT_NE(log.find("selftest.fault_on_cpu: CPU 1 reads an unmapped address"), std::string::npos) << log;
  EXPECT_NE(log.find("thinvisor: VMM EXCEPTION 14 (#PF page fault) error code 0x0 on CPU 1\n"), std::string::npos)
      << log;
  EXPECT_EQ(count_of(log, "thinvisor: log ring at "), 1u) << log;  // one report
  EXPECT_EQ(count_of(log, "thinvisor: run ends (code 0x11)"), 1u) << log;
  EXPECT_EQ(log.find("on CPU 0\n"), std::string::npos) << log;
  EXPECT_EQ(log.find("on CPU 2\n"), std::string::npos) << log;
  EXPECT_EQ(s.transcript().find("MBTEST: PASS"), std::string::npos) << s.transcript();
}

// Issue 14: console=com2 puts the VMM's log on the second UART from the
// command line on, takes that UART from the guest (it reads all ones there),
// and leaves COM1 to the guest's own console.
TEST(VmmOptions, TheVmmConsoleOnCom2LeavesCom1ToTheGuest) {
  const std::string com2 = testing::TempDir() + "tv-com2-console.txt";
  std::remove(com2.c_str());
  host::RunConfig c = mbtest_under_thinvisor("mbtest com2probe");
  c.vmm_options = "console=com2";
  c.extra_qemu_args = {"-serial", "file:" + com2};
  host::GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  int status = s.wait_exit(kBootTimeout);
  EXPECT_EQ(status, (0x31 << 1) | 1) << host::describe_exit(status) << "\n" << s.transcript();
  const std::string guest = s.transcript(), debugcon = s.vmm_log(), uart = read_file(com2);
  expect_ok(guest, "no UART at COM2 for the guest (the VMM's console)");
  EXPECT_EQ(guest.find("thinvisor:"), std::string::npos) << guest;
  EXPECT_NE(uart.find("thinvisor: console: UART at 2f8, 115200 baud"), std::string::npos) << uart;
  EXPECT_NE(uart.find("thinvisor: VMM ready"), std::string::npos) << uart;
  EXPECT_NE(uart.find("\r\n"), std::string::npos) << "a terminal wants CR LF";
  EXPECT_NE(uart.find("guest read from port 2ff: the VMM's console UART"), std::string::npos) << uart;
  EXPECT_NE(debugcon.find("the VMM's log goes to the UART at 2f8"), std::string::npos) << debugcon;
  EXPECT_EQ(debugcon.find("VMM ready"), std::string::npos) << debugcon;
}

TEST(VmmOptions, ABadConsoleValueKeepsTheDebugConsole) {
  host::GuestSession s;
  int status = run_mbtest_with(s, "console=com9");
  EXPECT_EQ(status, (0x31 << 1) | 1) << host::describe_exit(status);
  const std::string log = s.vmm_log();
  EXPECT_NE(log.find("console=com9: not debugcon, com1-com4 or a 0xPORT; the console stays where it was"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("VMM ready"), std::string::npos) << log;
}

// Issue 14: panic=SECONDS resets the machine after a VMM panic's report, as
// on hardware, where QEMU's exit port is not there. With -no-reboot QEMU
// exits cleanly (status 0) on that reset; the report is on the UART.
TEST(VmmOptions, APanicOnTheUartConsoleIsFollowedByAReset) {
  const std::string com2 = testing::TempDir() + "tv-com2-panic.txt";
  std::remove(com2.c_str());
  host::RunConfig c = mbtest_under_thinvisor("mbtest");
  c.vmm_options = "selftest.fault console=com2 panic=1";
  c.extra_qemu_args = {"-serial", "file:" + com2};
  c.debug_exit = false;
  host::GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  int status = s.wait_exit(kBootTimeout);
  EXPECT_EQ(status, 0) << host::describe_exit(status);
  const std::string uart = read_file(com2);
  EXPECT_NE(uart.find("VMM EXCEPTION 14 (#PF page fault)"), std::string::npos) << uart;
  EXPECT_NE(uart.find("panic=1: resetting the machine in 1 s"), std::string::npos) << uart;
  EXPECT_EQ(s.transcript().find("MBTEST:"), std::string::npos) << "the guest never ran\n" << s.transcript();
}

// log.size: 16-64 KiB reuse the ring in .bss, larger sizes come from the page
// pool (grown for it before the VMM moves); a bad value is refused with a warning.
TEST(VmmOptions, LogSizeIsHonouredAndBadValuesAreRefused) {
  const struct {
    const char* option;
    const char* expect;
  } kCases[] = {
      {"log.size=1024", "thinvisor: log ring: 1024 KiB (in the page pool)"},
      {"log.size=16", "thinvisor: log ring: 16 KiB (in .bss)"},
      {"log.size=100", "thinvisor: log.size=100: not a power of two; the log ring stays 64 KiB"},
  };
  for (const auto& c : kCases) {
    host::GuestSession s;
    int status = run_mbtest_with(s, c.option);
    EXPECT_EQ(status, (0x31 << 1) | 1) << c.option << ": " << host::describe_exit(status);
    EXPECT_NE(s.vmm_log().find(c.expect), std::string::npos) << s.vmm_log();
  }
}

// Issues 10 and 11: bad watch= and modwatch.allow= values are logged and
// ignored; the guest runs as without them.
TEST(VmmOptions, BadWatchAndAllowListValuesAreRefusedClearly) {
  const struct {
    const char* options;
    const char* expect[2];
  } kCases[] = {
      {"watch=zz modwatch.allow=bad",
       {"thinvisor: watch=zz ignored: address must be hex",
        "thinvisor: modwatch.allow=bad: an entry is not NAME:HASH (name 1-55 characters)"}},
      {"watch=800000000000,w",
       {"thinvisor: watch 800000000000 w 8 refused: address not canonical", "thinvisor: watch=800000000000,w refused"}},
  };
  for (const auto& c : kCases) {
    host::GuestSession s;
    int status = run_mbtest_with(s, c.options);
    EXPECT_EQ(status, (0x31 << 1) | 1) << c.options << ": " << host::describe_exit(status);  // mbtest passed
    for (const char* e : c.expect) EXPECT_NE(s.vmm_log().find(e), std::string::npos) << e << "\n" << s.vmm_log();
  }
}

// Issue 14: acpi.rsdp=ADDR is used when a valid RSDP is there, refused with
// the reason otherwise (the VMM then finds the RSDP itself).
TEST(VmmOptions, AcpiRsdpIsCheckedBeforeItIsUsed) {
  std::string real;
  for (const char* bad : {"acpi.rsdp=0x1000", "acpi.rsdp=zz"}) {
    host::GuestSession s;
    int status = run_mbtest_with(s, bad);
    EXPECT_EQ(status, (0x31 << 1) | 1) << bad << ": " << host::describe_exit(status);
    const std::string log = s.vmm_log();
    EXPECT_NE(log.find(std::string(bad) + " refused: "), std::string::npos) << log;
    const size_t at = log.find("ACPI: RSDP at ");
    ASSERT_NE(at, std::string::npos) << log;
    EXPECT_EQ(log.substr(log.find(',', at), 25), ", from the BIOS area sear") << log;
    real = log.substr(at + 14, log.find(',', at) - at - 14);
  }
  host::GuestSession s;
  const std::string option = "acpi.rsdp=0x" + real;
  int status = run_mbtest_with(s, option.c_str());
  EXPECT_EQ(status, (0x31 << 1) | 1) << host::describe_exit(status);
  EXPECT_NE(s.vmm_log().find("ACPI: RSDP at " + real + ", from acpi.rsdp= on the command line"), std::string::npos)
      << s.vmm_log();
  EXPECT_EQ(s.vmm_log().find(option + " refused"), std::string::npos) << s.vmm_log();
}

TEST(VmmOptions, AFaultWithAFixupResumesAndTheRunGoesOn) {
  host::GuestSession s;
  int status = run_mbtest_with(s, "selftest.fixup");
  EXPECT_EQ(status, (0x31 << 1) | 1) << host::describe_exit(status);  // mbtest passed
  EXPECT_NE(s.vmm_log().find("selftest.fixup: a faulting access was caught and resumed"), std::string::npos)
      << s.vmm_log();
}

// Issue 7: the integrity check must cover what enforces isolation. The
// selftest changes one byte of each protected region in turn and checks that
// verify() names it; this test fails if any region is dropped from the check.
TEST(VmmOptions, IntegrityCatchesAChangeToEveryProtectedRegion) {
  host::GuestSession s;
  int status = run_mbtest_with(s, "selftest.integrity");
  EXPECT_EQ(status, (0x31 << 1) | 1) << host::describe_exit(status);  // mbtest passed afterwards
  std::string log = s.vmm_log();
  for (const char* region :
       {"code and read-only data", "canary", "nested page table root", "nested page tables", "VMCB intercept vectors",
        "VMCB permission-map addresses", "VMCB nested-paging enable", "VMCB nested CR3", "I/O permission map",
        "MSR permission map", "GDTs and TSSs", "IDT", "host page tables (PML4)", "host page tables (PD)"})
    EXPECT_NE(log.find(std::string("integrity selftest: a change to ") + region + " is caught"), std::string::npos)
        << region << "\n"
        << log;
  EXPECT_EQ(log.find("MISSED"), std::string::npos) << log;
  EXPECT_NE(log.find("every region covered; after restoring: intact"), std::string::npos) << log;
}

TEST(VmmOptions, ACpuWithoutSvmIsRefusedClearly) {
  host::RunConfig c = mbtest_under_thinvisor("mbtest");
  c.extra_qemu_args = {"-cpu", "qemu64,-svm"};  // the last -cpu wins
  host::GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  int status = s.wait_exit(kBootTimeout);
  EXPECT_EQ(status, host::kExitNoSvm) << host::describe_exit(status);
  EXPECT_NE(s.vmm_log().find("cannot start: this CPU has no AMD SVM"), std::string::npos) << s.vmm_log();
}

TEST(VmmOptions, KernelOnlyOptionDeniesUserModeHypercalls) {
  host::RunConfig c = linux_under_thinvisor();
  c.vmm_options = "hypercalls.kernel_only";
  host::GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  ASSERT_TRUE(s.wait_ready(kBootTimeout)) << s.transcript_tail(30);
  auto user = s.run("vmmcall call hello 3 2>&1", kCommandTimeout);
  EXPECT_EQ(user.status, 3) << user.output;
  EXPECT_NE(user.output.find("not allowed from this privilege level"), std::string::npos) << user.output;
  // Kernel mode still gets through.
  auto kernel = s.run("insmod /lib/modules/tvcall.ko && dmesg | grep 'tvcall: hello'", kCommandTimeout);
  EXPECT_NE(kernel.output.find("tvcall: hello(42) = 10"), std::string::npos) << kernel.output;
  EXPECT_NE(s.vmm_log().find("all kernel-only by command line"), std::string::npos);
  EXPECT_EQ(s.poweroff(kCommandTimeout), 0);
}

}  // namespace
}  // namespace tv::systest
