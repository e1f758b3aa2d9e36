// A token bucket for log lines a guest can trigger at will: a burst goes
// through, then one line per interval; what is held back is counted and
// reported with the next line that gets through.
#pragma once
#include "tv/types.hpp"

namespace tv {

class RateLimiter {
 public:
  constexpr RateLimiter(u32 burst, u64 interval_ticks) : burst_(burst), interval_(interval_ticks), tokens_(burst) {}

  struct Verdict {
    bool allow;
    u64 suppressed_before;  // lines held back since the last one allowed
  };
  Verdict check(u64 now) {
    if (!started_) {
      started_ = true;
      last_ = now;
    }
    if (now > last_ && interval_ != 0) {
      u64 refill = (now - last_) / interval_;
      if (refill > 0) {
        tokens_ = refill >= burst_ - tokens_ ? burst_ : tokens_ + u32(refill);
        last_ += refill * interval_;
      }
    }
    if (tokens_ == 0) {
      ++pending_;
      return {false, 0};
    }
    --tokens_;
    Verdict v{true, pending_};
    pending_ = 0;
    return v;
  }

 private:
  u32 burst_;
  u64 interval_;
  u32 tokens_;
  u64 last_ = 0;
  u64 pending_ = 0;
  bool started_ = false;
};

}  // namespace tv
