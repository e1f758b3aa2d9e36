#include "tv/dbgsh_session.hpp"

namespace tv::dbgsh {

bool Session::acks_refusal(const Call& c) const {
  return c.sent == kSendAck && c.cr3 == refused_cr3_ && c.now - refused_at_ < kRefusalAckTicks;
}

// A client that was told "busy" or "off" and acknowledges it as if it were
// output (BitVisor's client does) is told the session is over, so it ends.
Session::Admission Session::refuse(const Call& c, i64 answer) {
  if (acks_refusal(c)) {
    refused_cr3_ = ~0ull;
    return {Verdict::Refused, kRecvSessionOver};
  }
  refused_cr3_ = c.cr3;
  refused_at_ = c.now;
  return {Verdict::Refused, answer};
}

Session::Admission Session::admit(const Call& c) {
  if (off_) return refuse(c, kRecvOff);
  Verdict verdict = Verdict::Admitted;
  // A session is its client's: a poll from another address space while the
  // owner is still calling is a second client. An ack or keystroke from
  // another address space continues the session (a raw-protocol speaker that
  // runs one process per call, such as `vmmcall raw`), and takes it over.
  if (pipe_.active() && c.cr3 != owner_cr3_) {
    if (c.sent == kSendPoll && c.now - last_call_ < kTakeOverTicks) return refuse(c, kRecvBusy);
    if (acks_refusal(c)) return refuse(c, kRecvBusy);
    if (c.sent == kSendPoll) verdict = Verdict::TakeOver;
    owner_cr3_ = c.cr3;
  }
  last_call_ = c.now;
  return {verdict, 0};
}

Session::Action Session::next(const Call& c) {
  if (!pipe_.active() && pipe_.state() != Pipe::Shell::Ended) {
    // Only a poll opens a session: the client's ack of the session's end must not start the next.
    return c.sent == kSendPoll ? Action::Start : Action::Ignore;
  }
  return pipe_.feed(c.sent) ? Action::Resume : Action::Answer;
}

void Session::opened(const Call& c) {
  owner_cr3_ = c.cr3;
  interactive_ = c.terminal;
  pipe_.start();
}

}  // namespace tv::dbgsh
