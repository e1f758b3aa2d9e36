// Counts every VM exit by reason, for the end-of-run report and the status service.
#pragma once
#include "virt/exit.hpp"

namespace tv {

class ExitStats {
 public:
  void count(ExitReason r) {
    ++by_reason_[usize(r)];
    ++total_;
  }
  u64 of(ExitReason r) const { return by_reason_[usize(r)]; }
  u64 total() const { return total_; }
  void print(const char* heading) const;

 private:
  u64 by_reason_[usize(ExitReason::Count)] = {};
  u64 total_ = 0;
};

inline constinit ExitStats g_exit_stats;  // constant-initialised: no guard on the exit path
inline ExitStats& exit_stats() {
  return g_exit_stats;
}

}  // namespace tv
