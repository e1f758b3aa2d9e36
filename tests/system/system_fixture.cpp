#include "system_fixture.hpp"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace tv::systest {

host::RunConfig linux_under_thinvisor(const std::string& extra) {
  host::RunConfig c;
  std::string why;
  c.vmm_image = TV_BUILD_DIR "/vmm/thinvisor.bin";
  c.kernel = host::default_guest_kernel(why);
  c.initrd = TV_BUILD_DIR "/guest/initramfs.cpio.gz";
  c.guest_cmdline = "console=ttyS0 panic=-1" + (extra.empty() ? "" : " " + extra);
  c.accel = "tcg";
  c.extra_modules = {TV_BUILD_DIR "/guest/kernel-profile.txt"};  // agentless module-load detection
  return c;
}

host::RunConfig mbtest_under_thinvisor(const std::string& mbtest_cmdline) {
  static const std::string payload = [] {
    std::string path = TV_BUILD_DIR "/tests/system/mbtest-payload.txt";
    std::ofstream(path) << "thinvisor-module-payload\n";
    return path;
  }();
  host::RunConfig c;
  c.vmm_image = TV_BUILD_DIR "/vmm/thinvisor.bin";
  c.kernel = TV_MBTEST_ELF;
  c.extra_modules = {payload + " role=payload"};
  c.guest_cmdline = mbtest_cmdline;
  c.accel = "tcg";
  c.mem_mib = 256;
  return c;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void expect_ok(const std::string& out, const std::string& what) {
  EXPECT_NE(out.find("MBTEST: ok " + what), std::string::npos) << what << "\n" << out;
}

size_t count_of(const std::string& h, const std::string& n) {
  size_t count = 0;
  for (size_t at = h.find(n); at != std::string::npos; at = h.find(n, at + n.size())) ++count;
  return count;
}

std::string vmm_fault_line(const std::string& log) {
  for (size_t at = 0; at < log.size();) {
    size_t end = log.find('\n', at);
    if (end == std::string::npos) end = log.size();
    std::string line = log.substr(at, end - at);
    if (line.find("PANIC") != std::string::npos || line.find("VMM EXCEPTION") != std::string::npos) return line;
    at = end + 1;
  }
  return "";
}

std::string boot_linux(host::GuestSession& session, const std::string& extra_guest_cmdline) {
  return boot_linux(session, linux_under_thinvisor(extra_guest_cmdline));
}

std::string boot_linux(host::GuestSession& session, const host::RunConfig& cfg) {
  if (!session.start(cfg)) return "QEMU did not start: " + session.last_error();
  if (!session.wait_ready(kBootTimeout))
    return std::string("the guest never reached init (") +
           (session.running() ? "timed out" : "QEMU exited: " + host::describe_exit(session.exit_status())) +
           "); console tail:\n" + session.transcript_tail(40) + "\nVMM log:\n" + session.vmm_log();
  // The commands' output shares the console with the kernel's messages, which
  // keep coming after init (e.g. the TSC's refined calibration ~2 s in) and
  // can land inside an output a test parses: keep them in the kernel's ring
  // (dmesg reads it) and off the console.
  host::ExecResult r = session.run("dmesg -n 1", kCommandTimeout);
  if (r.timed_out || r.status != 0) return "'dmesg -n 1' failed: " + r.output;
  return "";
}

bool qemu_crashed_before_ready(const host::GuestSession& session, const std::string& boot_error) {
  constexpr int kSignalBase = 256;  // describe_exit: QEMU killed by signal N is 256 + N
  return !boot_error.empty() && !session.running() && session.exit_status() == kSignalBase + SIGSEGV;
}

}  // namespace tv::systest
