// The VMM side of the dbgsh character pipe (protocol: tv/dbgsh_protocol.hpp,
// docs/dbgsh.md), hardware-free. The guest's calls and the shell's tty
// requests meet here; the VMM's service (vmm/service/dbgsh.cpp) resumes the
// shell's coroutine whenever feed() says so.
#pragma once
#include "tv/dbgsh_protocol.hpp"
#include "tv/domain_abi.hpp"
#include "tv/types.hpp"

namespace tv::dbgsh {

class Pipe {
 public:
  enum class Shell : u8 {
    None,        // no session
    Running,     // the shell runs (only while the VMM resumes it)
    WaitsInput,  // the shell asked for a keystroke
    WaitsAck,    // the shell wrote a character; the guest has not acknowledged it
    Ended,       // the shell exited; the guest is told once, then None
  };

  // A session starts: the shell is about to run for the first time.
  void start() {
    state_ = Shell::Running;
    eof_ = false;
  }
  bool active() const { return state_ != Shell::None && state_ != Shell::Ended; }
  Shell state() const { return state_; }

  // What the guest sent (RBX). True if the shell must be resumed now.
  bool feed(i64 sent) {
    if (state_ == Shell::WaitsAck && sent == kSendAck) {
      state_ = Shell::Running;
      return true;
    }
    if (state_ == Shell::WaitsInput && is_keystroke(sent)) {
      input_ = sent == kSendNul ? 0 : u8(sent);
      has_input_ = true;
      state_ = Shell::Running;
      return true;
    }
    if (state_ == Shell::WaitsInput && peek_ && sent == kSendPoll) {  // no key this time: the shell goes on
      state_ = Shell::Running;
      return true;
    }
    return false;
  }
  // What goes back to the guest (RAX) after the shell has yielded or ended.
  i64 answer() {
    switch (state_) {
      case Shell::WaitsAck: return output_ == 0 ? kRecvNul : i64(output_);
      case Shell::WaitsInput: return kRecvWantInput;
      case Shell::Ended: state_ = Shell::None; return kRecvSessionOver;
      default: return kRecvNothing;
    }
  }

  // The shell side (called in the shell's coroutine, which then yields).
  void shell_writes(u8 ch) {
    output_ = ch;
    state_ = Shell::WaitsAck;
  }
  void shell_reads() { wait_input(false); }
  // A read that does not wait for the user: the guest's next poll resumes the
  // shell without a key (shell_input() is then kNoKey), a keystroke with it.
  void shell_peeks() { wait_input(true); }
  static constexpr i64 kNoKey = dom::kTtyNoKey;
  // The keystroke that resumed the shell, -1 at end of input, or kNoKey when a
  // peek was resumed by a poll.
  i64 shell_input() const { return eof_ ? -1 : has_input_ ? i64(input_) : kNoKey; }
  void shell_ended() { state_ = Shell::Ended; }
  // The client is gone: every later read sees end of input, writes need no ack.
  void hang_up() { eof_ = true; }
  bool hung_up() const { return eof_; }

  static bool is_keystroke(i64 v) { return (v >= 1 && v <= 0xFF) || v == kSendNul; }

 private:
  void wait_input(bool peek) {
    state_ = eof_ ? Shell::Running : Shell::WaitsInput;
    peek_ = peek;
    has_input_ = false;
  }

  Shell state_ = Shell::None;
  u8 output_ = 0;
  u8 input_ = 0;
  bool has_input_ = false;  // input_ came since the shell last asked
  bool peek_ = false;       // the shell asked without waiting (shell_peeks)
  bool eof_ = false;
};

}  // namespace tv::dbgsh
