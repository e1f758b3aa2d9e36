// Who a dbgsh session belongs to, hardware-free: the rules the VMM's dbgsh
// service (vmm/service/dbgsh.cpp) applies to every call before the pipe sees
// it (docs/dbgsh.md "Protocol"). One Session object holds the whole state of
// the machine's one debug-shell session: the pipe, its owner and the last
// client refused. The VMM keeps one, next to the shell's coroutine.
//
// The rules:
//  - a session belongs to the guest address space (CR3) whose poll opened it;
//  - a poll from another CR3 while the owner called within kTakeOverTicks is a
//    second client: it gets busy (0x10B) and reaches nothing;
//  - a poll from another CR3 after kTakeOverTicks of silence takes over: the
//    VMM hangs the old session up, and the caller owns what follows;
//  - an ack or keystroke from another CR3 continues the session and makes that
//    CR3 the owner (a raw-protocol speaker running one process per call);
//  - a refused client that acks the refusal within kRefusalAckTicks (as
//    BitVisor's client acks whatever it gets) is told 0x10A, so it ends;
//  - with dbgsh=off every call is refused with 0x10C.
// A call is admit(), then, unless refused, next(); a Start ends with opened().
//
// Not thread-safe: the VMM runs the guest on one CPU, so dbgsh calls never
// overlap (and the shell's coroutine is resumed on the CPU that started it).
#pragma once
#include "tv/dbgsh_pipe.hpp"
#include "tv/types.hpp"

namespace tv::dbgsh {

class Session {
 public:
  static constexpr u64 kTakeOverTicks = 1ull << 32;  // about a second of TSC on real machines
  // A refused client acks at once (BitVisor's client does), so only an ack that
  // soon after counts as one: a later process may reuse the refused one's CR3.
  static constexpr u64 kRefusalAckTicks = 1ull << 27;

  // One guest call: its address space, what it sent (RBX) and when.
  struct Call {
    u64 cr3;
    i64 sent;       // kSendPollTerminal arrives as kSendPoll with terminal set
    bool terminal;  // the client's user types at a terminal
    u64 now;
    static Call of(u64 cr3, i64 rbx, u64 now) {
      const bool terminal = rbx == kSendPollTerminal;
      return Call{cr3, terminal ? kSendPoll : rbx, terminal, now};
    }
  };

  enum class Verdict : u8 {
    Refused,   // RAX = Admission::answer (busy, off, or 0x10A for the ack of a refusal); nothing runs
    TakeOver,  // the owner has been silent: hang its session up first, then next()
    Admitted,  // next()
  };
  struct Admission {
    Verdict verdict;
    i64 answer;  // for Refused
  };

  enum class Action : u8 {
    Ignore,  // no session, and not a poll (e.g. the ack of a session's end): RAX = kRecvNothing
    Start,   // open a session: start the shell's chain, opened(), run it; RAX = pipe().answer()
    Resume,  // the shell takes this ack or keystroke: resume it; RAX = pipe().answer()
    Answer,  // RAX = pipe().answer()
  };

  void set_off(bool off) { off_ = off; }
  bool off() const { return off_; }

  Admission admit(const Call& c);
  Action next(const Call& c);
  // The shell's chain started for c's client: the session is open and its own.
  void opened(const Call& c);

  // Whether the open session's client said it is a terminal (its programs may page).
  bool interactive() const { return interactive_; }
  u64 owner() const { return owner_cr3_; }
  Pipe& pipe() { return pipe_; }
  const Pipe& pipe() const { return pipe_; }

 private:
  bool acks_refusal(const Call& c) const;
  Admission refuse(const Call& c, i64 answer);

  Pipe pipe_;
  u64 owner_cr3_ = 0;
  u64 last_call_ = 0;
  u64 refused_cr3_ = ~0ull;  // the last client told busy or off, and when
  u64 refused_at_ = 0;
  bool off_ = false;
  bool interactive_ = false;
};

}  // namespace tv::dbgsh
