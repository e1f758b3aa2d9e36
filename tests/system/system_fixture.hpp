// Shared helpers for the system tests: boot configurations for the real stack.
#pragma once
#include <chrono>
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

}  // namespace tv::systest
