// Counts VM exits by reason, for the end-of-run report and the status service:
// each CPU counts its own (PerCpu::exits, kernel/percpu.hpp: no lock on the
// exit path) and the reports sum them (machine_exit_stats()).
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
  void add(const ExitStats& o) {
    for (usize i = 0; i < usize(ExitReason::Count); ++i) by_reason_[i] += o.by_reason_[i];
    total_ += o.total_;
  }
  void print(const char* heading) const;

 private:
  u64 by_reason_[usize(ExitReason::Count)] = {};
  u64 total_ = 0;
};

// This CPU's counters (kernel/percpu.hpp defines it inline).
ExitStats& exit_stats();
// The sum over all CPUs (a snapshot: other CPUs keep counting while it is taken).
ExitStats machine_exit_stats();

}  // namespace tv
