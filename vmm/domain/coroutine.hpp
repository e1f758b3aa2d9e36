// A message chain that can stop in the middle and go on later: the debug
// shell's chain (VMM -> shell -> log ...) runs on a stack of its own and,
// when it needs a keystroke that has not arrived, yields back to the exit
// path; the next dbgsh call resumes it exactly there (docs/dbgsh.md).
// The per-CPU message state (kernel/percpu.hpp) belongs to the chain, so it
// is swapped with the stack. One CPU only: a coroutine is resumed on the CPU
// that started it.
#pragma once
#include "kernel/percpu.hpp"
#include "tv/domain_error.hpp"
#include "tv/result.hpp"

namespace tv::dom {

class Coroutine {
 public:
  static constexpr usize kStackPages = 16;  // 64 KiB: eight nested messages and their syscalls

  // Allocates the stack; fn(arg) runs at the first resume().
  Status<DomainError> start(void (*fn)(void*), void* arg);
  // From outside: runs the chain until it yields or fn returns.
  void resume();
  // From inside the chain: back to whoever called resume().
  void yield();
  bool started() const { return stack_pa_ != 0; }
  bool finished() const { return finished_; }
  // Frees the stack of a finished coroutine.
  void release();

  // Entered on the new stack (coroutine.S); not for other callers.
  [[noreturn]] void body();

 private:
  struct ChainState {
    u64 trap_rsp = 0;
    CallRecord* call = nullptr;
    Domain* current = nullptr;
    u32 depth = 0;
  };
  static ChainState take(PerCpu& cpu);
  static void put(PerCpu& cpu, const ChainState& s);

  void (*fn_)(void*) = nullptr;
  void* arg_ = nullptr;
  u64 stack_pa_ = 0;
  u64 sp_ = 0;       // the coroutine's saved stack pointer while it is suspended
  u64 base_sp_ = 0;  // the resumer's while the coroutine runs
  ChainState own_{};
  ChainState base_{};
  bool finished_ = false;
};

}  // namespace tv::dom
