// The VMM log: every line goes to the debug console (I/O port 0xE9, which QEMU
// exposes as -debugcon) unchanged, and into an in-memory ring (tv/log_ring.hpp)
// with its TSC timestamp and level, which domains read through the "log"
// service (vmm/domain/vmm_services.cpp) and a panic report shows the end of.
#pragma once
#include "tv/cmdline.hpp"
#include "tv/log_ring.hpp"
#include "tv/rate_limit.hpp"
#include "tv/spinlock.hpp"
#include "tv/types.hpp"

namespace tv::log {

void write(LogLevel level, const char* text, usize n);
// Lines from all CPUs go out whole: write() holds a lock. A panic report must
// not wait for a CPU that was stopped holding it: after this call write()
// takes the lock only if it is free within a bounded wait (kernel/smp.cpp).
void break_lock_for_report();
void printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));  // at info
void printf_at(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
const LogRing& ring();
u64 now();  // the clock the limiters use (TSC)

// The ring's size from `log.size=N` (KiB); the default if absent or invalid.
usize configured_bytes(const Cmdline& cmd);
// Pool bytes the ring needs beyond the static one in .bss (sizes up to 64 KiB
// use that one); the placement adds them to the page pool before the VMM moves.
usize pool_bytes_needed(const Cmdline& cmd);
// Applies log.size (after the page pool exists): shrinks the static ring in
// place or moves the log into pool pages, keeping what it holds.
void configure(const Cmdline& cmd);
// console=... (tv/console_option.hpp): where lines go from now on. Returns
// the UART's base port when the console is a UART (the guest must not get
// it: virt/io_exit.cpp), else 0.
u16 configure_console(const Cmdline& cmd);
// For a panic report: where the ring is, and its newest lines with their prefix.
void report_tail();

}  // namespace tv::log

#define TV_LOG_AT(level, fmt, ...) ::tv::log::printf_at(level, "thinvisor: " fmt "\n" __VA_OPT__(, ) __VA_ARGS__)
#define TV_LOG(fmt, ...) TV_LOG_AT(::tv::LogLevel::Info, fmt __VA_OPT__(, ) __VA_ARGS__)
#define TV_LOG_ERROR(fmt, ...) TV_LOG_AT(::tv::LogLevel::Error, fmt __VA_OPT__(, ) __VA_ARGS__)
#define TV_LOG_WARN(fmt, ...) TV_LOG_AT(::tv::LogLevel::Warn, fmt __VA_OPT__(, ) __VA_ARGS__)
#define TV_LOG_DEBUG(fmt, ...) TV_LOG_AT(::tv::LogLevel::Debug, fmt __VA_OPT__(, ) __VA_ARGS__)

namespace tv::log {
// Guest-triggerable log lines pass through one limiter per call site: a burst
// of 32, then one per 2^28 TSC ticks (a fraction of a second), so a guest
// looping on a hypercall cannot flood the log ring or the log file.
inline constexpr u32 kGuestLogBurst = 32;
inline constexpr u64 kGuestLogInterval = 1ull << 28;
void note_suppressed(u64 count);
}  // namespace tv::log

// TV_LOG_AT / TV_LOG for lines a guest can cause at will.
#define TV_LOG_GUEST_AT(level, fmt, ...)                                                           \
  do {                                                                                             \
    static ::tv::RateLimiter tv_limiter_(::tv::log::kGuestLogBurst, ::tv::log::kGuestLogInterval); \
    static ::tv::SpinLock tv_limiter_lock_; /* every CPU's guest may hit this line */              \
    tv_limiter_lock_.lock();                                                                       \
    auto tv_verdict_ = tv_limiter_.check(::tv::log::now());                                        \
    tv_limiter_lock_.unlock();                                                                     \
    if (tv_verdict_.allow) {                                                                       \
      ::tv::log::note_suppressed(tv_verdict_.suppressed_before);                                   \
      TV_LOG_AT(level, fmt __VA_OPT__(, ) __VA_ARGS__);                                            \
    }                                                                                              \
  } while (0)
#define TV_LOG_GUEST(fmt, ...) TV_LOG_GUEST_AT(::tv::LogLevel::Info, fmt __VA_OPT__(, ) __VA_ARGS__)
