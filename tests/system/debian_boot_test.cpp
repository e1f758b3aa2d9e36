// Issue 14: a full Debian 12 system under thinvisor. Debian's own kernel and
// initrd (/boot), a Debian 12 root file system with systemd on a virtio disk
// (guest/mkdebianimage.sh, built into <build>/guest/debian12.img only when it
// is missing: the one test that needs Debian's mirror, and only the first
// time), systemd to multi-user, a login on ttyS0 as GuestSession's --login
// path drives it, a few commands, and a clean `systemctl poweroff`. One boot;
// QEMU's -snapshot keeps the cached image unchanged.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "system_fixture.hpp"

namespace tv::systest {
namespace {

using Clock = std::chrono::steady_clock;

const std::string kImage = TV_BUILD_DIR "/guest/debian12.img";

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The image, built if missing; "" or why it could not be (with the script's
// last lines: most often no way to Debian's mirror).
std::string ensure_image() {
  struct stat st;
  if (::stat(kImage.c_str(), &st) == 0 && st.st_size > 0) return "";
  const std::string out = kImage + ".build.log";
  const std::string cmd = TV_SOURCE_DIR "/guest/mkdebianimage.sh '" + kImage + "' >'" + out + "' 2>&1";
  std::printf("debian_boot_test: building %s (needs Debian's mirror; once per build tree)\n", kImage.c_str());
  const auto t0 = Clock::now();
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::string log = read_file(out);
    if (log.size() > 3000) log = "..." + log.substr(log.size() - 3000);
    const std::string status = WIFEXITED(rc) ? "exit status " + std::to_string(WEXITSTATUS(rc)) : "killed";
    return "cannot build the Debian 12 image (" + cmd + ": " + status +
           "); it needs mmdebstrap (./thinvisor setup) and Debian's mirror. Its output:\n" + log;
  }
  std::printf("debian_boot_test: image built in %.0f s\n", seconds_since(t0));
  return "";
}

// Debian's initrd for `kernel` (/boot/vmlinuz-V -> /boot/initrd.img-V).
std::string initrd_of(const std::string& kernel) {
  const size_t at = kernel.rfind("vmlinuz-");
  return at == std::string::npos ? "" : kernel.substr(0, at) + "initrd.img-" + kernel.substr(at + 8);
}

TEST(DebianBoot, BootsToMultiUserRunsCommandsAndPowersOff) {
  if (const std::string e = ensure_image(); !e.empty()) GTEST_FAIL() << e;

  host::RunConfig cfg = linux_under_thinvisor("root=/dev/vda rw");
  cfg.initrd = initrd_of(cfg.kernel);
  ASSERT_EQ(::access(cfg.initrd.c_str(), R_OK), 0) << "Debian's initrd for " << cfg.kernel << ": " << cfg.initrd;
  cfg.disks = {{kImage, "virtio"}};
  cfg.extra_qemu_args = {"-snapshot"};  // the guest's writes go to a temporary overlay
  cfg.shell.login = "root";             // the test image's root has an empty password

  const auto t0 = Clock::now();
  host::GuestSession s;
  ASSERT_TRUE(s.start(cfg)) << s.last_error();
  ASSERT_TRUE(s.wait_ready(kBootTimeout)) << s.last_error() << "\nconsole tail:\n"
                                          << s.transcript_tail(40) << "\nVMM log:\n"
                                          << s.vmm_log();
  std::printf("debian_boot_test: logged in on ttyS0 after %.1f s\n", seconds_since(t0));
  auto sh = [&](const std::string& cmd) {
    host::ExecResult r = s.run(cmd, kCommandTimeout);
    EXPECT_FALSE(r.timed_out) << cmd << ": " << s.last_error() << "\n" << s.transcript_tail(40);
    return r;
  };
  // Kernel messages stay in the ring (dmesg), off the console the commands use.
  EXPECT_EQ(sh("dmesg -n 1").status, 0);

  // Multi-user: "running", or "degraded" with the failed units named.
  host::ExecResult r = sh("systemctl is-system-running --wait");
  const std::string state = trimmed(r.output);
  std::printf("debian_boot_test: systemctl is-system-running: %s after %.1f s\n", state.c_str(), seconds_since(t0));
  if (state == "degraded") {
    std::printf("debian_boot_test: failed units:\n%s", sh("systemctl --failed --no-legend").output.c_str());
  }
  EXPECT_TRUE(state == "running" || state == "degraded") << state << "\n" << sh("systemctl --failed").output;
  EXPECT_EQ(trimmed(sh("systemctl is-active multi-user.target").output), "active");

  const std::string version = cfg.kernel.substr(cfg.kernel.rfind("vmlinuz-") + 8);
  EXPECT_EQ(trimmed(sh("uname -r").output), version);
  EXPECT_EQ(sh("cat /etc/debian_version").output.rfind("12.", 0), 0u);
  EXPECT_EQ(trimmed(sh("findmnt -n -o SOURCE /").output), "/dev/vda");
  EXPECT_EQ(trimmed(sh("grep -c hypervisor /proc/cpuinfo").output), "1");  // one CPU, and it knows
  EXPECT_EQ(sh("ls /sys/firmware/acpi/tables/FACP").status, 0);
  r = sh("echo \"$(id -un) on $(hostname), TERM=$TERM\"");
  EXPECT_EQ(r.output, "root on debian12, TERM=dumb\n");
  EXPECT_EQ(r.status, 0);
  r = sh("false");
  EXPECT_EQ(r.status, 1);

  // A clean power-off through systemd (services stopped, file systems unmounted).
  ASSERT_TRUE(s.send("systemctl poweroff\n", kCommandTimeout));
  const int st = s.wait_exit(kBootTimeout);
  std::printf("debian_boot_test: powered off after %.1f s in all\n", seconds_since(t0));
  EXPECT_EQ(st, 0) << host::describe_exit(st) << "\n" << s.transcript_tail(40);
  const std::string log = s.vmm_log();
  EXPECT_NE(log.find("run report (guest power-off)"), std::string::npos) << log;
  EXPECT_EQ(vmm_fault_line(log), "");
}

}  // namespace
}  // namespace tv::systest
