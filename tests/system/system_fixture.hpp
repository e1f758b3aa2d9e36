// Shared helpers for the system tests: boot configurations for the real stack.
#pragma once
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "qemu_session.hpp"

namespace tv::systest {

using namespace std::chrono_literals;
inline constexpr auto kBootTimeout = 300s;
inline constexpr auto kCommandTimeout = 300s;

// thinvisor with the default Linux guest (newest /boot/vmlinuz-*, the project's initramfs).
host::RunConfig linux_under_thinvisor(const std::string& extra_guest_cmdline = "");
// thinvisor with the mbtest multiboot kernel as its guest.
host::RunConfig mbtest_under_thinvisor(const std::string& mbtest_cmdline);

// Starts `session` on thinvisor + the default Linux guest and waits for the
// guest's ready line; returns "" or what went wrong (with console and VMM log).
std::string boot_linux(host::GuestSession& session, const std::string& extra_guest_cmdline = "");
std::string boot_linux(host::GuestSession& session, const host::RunConfig& cfg);

// Counts occurrences of needle in haystack.
size_t count_of(const std::string& haystack, const std::string& needle);
// A file's whole contents ("" if it cannot be read), e.g. a second serial port's log.
std::string read_file(const std::string& path);
// mbtest printed "MBTEST: ok <what>" in out.
void expect_ok(const std::string& out, const std::string& what);

// The boot failed because QEMU died of SIGSEGV before the guest was ready
// (an emulator crash, not the VMM's: a VMM fault ends the run with status 35).
bool qemu_crashed_before_ready(const host::GuestSession& session, const std::string& boot_error);

// The first line of a VMM log that shows the VMM itself failed ("PANIC: ..."
// or "VMM EXCEPTION ..."; either ends the run with status 35), or "" if none.
std::string vmm_fault_line(const std::string& log);

// A test suite whose tests share one guest boot (system tests are slow to
// boot, fast to query). Suite may hide config() to boot differently.
template <typename Suite>
class SharedBootTest : public ::testing::Test {
 protected:
  static host::RunConfig config() { return linux_under_thinvisor(); }
  static void SetUpTestSuite() {
    // QEMU 7.2's multi-threaded TCG itself crashes (SIGSEGV in
    // memory_region_dispatch_read) in about 1 of 10 boots with 4 vCPUs, with
    // the VMM of before this change too, on pc as on q35 (docs/testing.md):
    // a boot that ends that way, before the guest is ready, is tried once more.
    for (int attempt = 1; attempt <= 2; ++attempt) {
      session_ = std::make_unique<host::GuestSession>();
      boot_error_ = boot_linux(*session_, Suite::config());
      if (!qemu_crashed_before_ready(*session_, boot_error_)) break;
      std::fprintf(stderr, "system test: QEMU itself crashed (SIGSEGV) during boot attempt %d%s\n", attempt,
                   attempt == 1 ? "; booting again" : "; giving up");
    }
  }
  static void TearDownTestSuite() { session_.reset(); }
  void SetUp() override {
    if (!boot_error_.empty()) GTEST_FAIL() << boot_error_;
  }
  // Runs cmd in the guest's shell; a timeout fails the test with the VMM log.
  static host::ExecResult sh(const std::string& cmd) {
    host::ExecResult r = session_->run(cmd, kCommandTimeout);
    EXPECT_FALSE(r.timed_out) << cmd << "\n" << session_->vmm_log();
    return r;
  }
  static std::string log() { return session_->vmm_log(); }
  static inline std::unique_ptr<host::GuestSession> session_;
  static inline std::string boot_error_;
};

}  // namespace tv::systest
