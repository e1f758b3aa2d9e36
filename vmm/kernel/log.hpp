// The VMM log: every line goes to the debug console (I/O port 0xE9, which QEMU
// exposes as -debugcon) and into an in-memory ring that services can read back.
#pragma once
#include "tv/rate_limit.hpp"
#include "tv/types.hpp"

namespace tv::log {

void write(const char* text, usize n);
void printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Copies the retained log, oldest first; returns bytes copied.
usize copy_out(char* out, usize cap, usize skip);
u64 total_written();
usize retained();
u64 now();  // the clock the limiters use (TSC)

}  // namespace tv::log

#define TV_LOG(fmt, ...) ::tv::log::printf("thinvisor: " fmt "\n" __VA_OPT__(, ) __VA_ARGS__)

namespace tv::log {
// Guest-triggerable log lines pass through one limiter per call site: a burst
// of 32, then one per 2^28 TSC ticks (a fraction of a second), so a guest
// looping on a hypercall cannot flood the log ring or the log file.
inline constexpr u32 kGuestLogBurst = 32;
inline constexpr u64 kGuestLogInterval = 1ull << 28;
void note_suppressed(u64 count);
}  // namespace tv::log

// TV_LOG for lines a guest can cause at will.
#define TV_LOG_GUEST(fmt, ...)                                                                     \
  do {                                                                                             \
    static ::tv::RateLimiter tv_limiter_(::tv::log::kGuestLogBurst, ::tv::log::kGuestLogInterval); \
    auto tv_verdict_ = tv_limiter_.check(::tv::log::now());                                        \
    if (tv_verdict_.allow) {                                                                       \
      ::tv::log::note_suppressed(tv_verdict_.suppressed_before);                                   \
      TV_LOG(fmt __VA_OPT__(, ) __VA_ARGS__);                                                      \
    }                                                                                              \
  } while (0)
