#include "tv/dbgsh_session.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tv::dbgsh {
namespace {

constexpr u64 kOwner = 0x1000, kOther = 0x2000;

// vmm/service/dbgsh.cpp's call, with the coroutine replaced by a tiny shell:
// it prints "> ", waits for a key, echoes it; the key 'e' (or end of input)
// ends it.
class FakeService {
 public:
  i64 call(u64 cr3, i64 rbx, u64 now) {
    const Session::Call c = Session::Call::of(cr3, rbx, now);
    Session::Admission a = session.admit(c);
    if (a.verdict == Session::Verdict::Refused) return a.answer;
    if (a.verdict == Session::Verdict::TakeOver) hang_up();
    switch (session.next(c)) {
      case Session::Action::Ignore: return kRecvNothing;
      case Session::Action::Start:
        ++starts;
        session.opened(c);
        out_ = "> ";
        reading_ = false;
        advance();
        break;
      case Session::Action::Resume: advance(); break;
      case Session::Action::Answer: break;
    }
    return session.pipe().answer();
  }

  Session session;
  int starts = 0;
  int hang_ups = 0;

 private:
  void advance() {
    Pipe& p = session.pipe();
    if (reading_) {
      reading_ = false;
      const i64 key = p.shell_input();
      if (key == 'e' || key < 0) return p.shell_ended();
      out_ += char(key);
    }
    if (!out_.empty()) {
      p.shell_writes(u8(out_[0]));
      out_.erase(0, 1);
      return;
    }
    reading_ = true;
    p.shell_reads();
  }
  // The VMM hangs up and drains the shell, which ends at end of input; the
  // old owner is not told.
  void hang_up() {
    ++hang_ups;
    session.pipe().hang_up();
    session.pipe().shell_ended();
    (void)session.pipe().answer();
  }

  std::string out_;
  bool reading_ = false;
};

// The owner's session up to the shell's first wait: "> " and its acks.
void open_session(FakeService& s, u64 cr3, u64 now, i64 poll = kSendPoll) {
  ASSERT_EQ(s.call(cr3, poll, now), '>');
  ASSERT_EQ(s.call(cr3, kSendAck, now), ' ');
  ASSERT_EQ(s.call(cr3, kSendAck, now), kRecvWantInput);
}

TEST(DbgshSession, OnlyAPollOpensASessionAndTheSessionIsItsCallers) {
  FakeService s;
  EXPECT_EQ(s.call(kOwner, kSendAck, 10), kRecvNothing);  // e.g. the ack of an earlier session's end
  EXPECT_EQ(s.call(kOwner, 'x', 10), kRecvNothing);
  EXPECT_EQ(s.starts, 0);
  open_session(s, kOwner, 20);
  EXPECT_EQ(s.starts, 1);
  EXPECT_EQ(s.session.owner(), kOwner);
  EXPECT_TRUE(s.session.pipe().active());
}

TEST(DbgshSession, APollFromAnotherAddressSpaceWhileTheOwnerIsActiveIsBusy) {
  FakeService s;
  open_session(s, kOwner, 100);
  EXPECT_EQ(s.call(kOther, kSendPoll, 100 + Session::kTakeOverTicks - 1), kRecvBusy);
  EXPECT_EQ(s.session.owner(), kOwner);
  EXPECT_EQ(s.starts, 1);
  EXPECT_EQ(s.call(kOwner, 'a', 200), 'a');  // nothing the busy client sent reached the session
}

TEST(DbgshSession, BusyCountsFromTheOwnersLastCall) {
  FakeService s;
  open_session(s, kOwner, 0);
  const u64 later = Session::kTakeOverTicks;  // past the first call, not past the last one
  EXPECT_EQ(s.call(kOwner, kSendPoll, later), kRecvWantInput);
  EXPECT_EQ(s.call(kOther, kSendPoll, later + Session::kTakeOverTicks - 1), kRecvBusy);
}

TEST(DbgshSession, AfterTheOwnersSilenceANewClientTakesOver) {
  FakeService s;
  open_session(s, kOwner, 0);
  EXPECT_EQ(s.call(kOther, kSendPoll, Session::kTakeOverTicks), '>');  // the old session hung up, a new one
  EXPECT_EQ(s.hang_ups, 1);
  EXPECT_EQ(s.starts, 2);
  EXPECT_EQ(s.session.owner(), kOther);
  EXPECT_EQ(s.call(kOwner, kSendPoll, Session::kTakeOverTicks + 1), kRecvBusy);  // the old owner is the stranger now
}

TEST(DbgshSession, AnAckOrKeyFromAnotherAddressSpaceContinuesTheSession) {
  // A raw-protocol speaker runs one process per call (vmmcall raw).
  FakeService s;
  ASSERT_EQ(s.call(kOwner, kSendPoll, 0), '>');
  EXPECT_EQ(s.call(kOther, kSendAck, 1), ' ');
  EXPECT_EQ(s.session.owner(), kOther);
  EXPECT_EQ(s.call(0x3000, kSendAck, 2), kRecvWantInput);
  EXPECT_EQ(s.call(0x4000, 'z', 3), 'z');
  EXPECT_EQ(s.session.owner(), 0x4000u);
  EXPECT_EQ(s.hang_ups, 0);
  EXPECT_EQ(s.starts, 1);
}

TEST(DbgshSession, ARefusedClientsPromptAckIsToldTheSessionIsOver) {
  FakeService s;
  open_session(s, kOwner, 0);
  EXPECT_EQ(s.call(kOther, kSendPoll, 10), kRecvBusy);
  // BitVisor's client prints 0x10B as a character and acks it: it must end, not join the session.
  EXPECT_EQ(s.call(kOther, kSendAck, 10 + Session::kRefusalAckTicks - 1), kRecvSessionOver);
  EXPECT_EQ(s.session.owner(), kOwner);
  EXPECT_TRUE(s.session.pipe().active());
  EXPECT_EQ(s.call(kOwner, 'k', 20), 'k');
}

TEST(DbgshSession, ALateAckFromARefusedAddressSpaceIsAnAck) {
  // A later process may reuse the refused client's CR3; its ack continues the session.
  FakeService s;
  ASSERT_EQ(s.call(kOwner, kSendPoll, 0), '>');
  EXPECT_EQ(s.call(kOther, kSendPoll, 10), kRecvBusy);
  EXPECT_EQ(s.call(kOther, kSendAck, 10 + Session::kRefusalAckTicks), ' ');
  EXPECT_EQ(s.session.owner(), kOther);
}

TEST(DbgshSession, OnlyTheRefusedAddressSpacesAckIsTheRefusalsAck) {
  FakeService s;
  ASSERT_EQ(s.call(kOwner, kSendPoll, 0), '>');
  EXPECT_EQ(s.call(kOther, kSendPoll, 10), kRecvBusy);
  EXPECT_EQ(s.call(0x3000, kSendAck, 11), ' ');  // someone else's ack continues the session
}

TEST(DbgshSession, TheEndIsToldOnceItsAckStartsNothingAndTheNextPollStartsAFreshSession) {
  FakeService s;
  open_session(s, kOwner, 0);
  EXPECT_EQ(s.call(kOwner, 'e', 1), kRecvSessionOver);
  EXPECT_FALSE(s.session.pipe().active());
  EXPECT_EQ(s.call(kOwner, kSendAck, 2), kRecvNothing);  // the client's ack of the end
  EXPECT_EQ(s.starts, 1);
  EXPECT_EQ(s.call(kOther, kSendPoll, 3), '>');  // anyone may open the next one
  EXPECT_EQ(s.starts, 2);
  EXPECT_EQ(s.session.owner(), kOther);
}

TEST(DbgshSession, OffRefusesEveryCallAndEndsAnAckingClient) {
  FakeService s;
  s.session.set_off(true);
  EXPECT_TRUE(s.session.off());
  EXPECT_EQ(s.call(kOwner, kSendPoll, 0), kRecvOff);
  EXPECT_EQ(s.call(kOwner, kSendAck, 1), kRecvSessionOver);  // BitVisor's client acks what it printed
  EXPECT_EQ(s.call(kOwner, kSendPollTerminal, 2), kRecvOff);
  EXPECT_EQ(s.call(kOwner, 'x', 3), kRecvOff);
  EXPECT_EQ(s.starts, 0);
}

TEST(DbgshSession, ATerminalsPollOpensAnInteractiveSession) {
  FakeService s;
  open_session(s, kOwner, 0, kSendPollTerminal);
  EXPECT_TRUE(s.session.interactive());
  EXPECT_EQ(s.call(kOwner, kSendPollTerminal, 1), kRecvWantInput);  // a poll in every other respect
  EXPECT_EQ(s.call(kOther, kSendPollTerminal, 2), kRecvBusy);
  EXPECT_EQ(s.call(kOwner, 'e', 3), kRecvSessionOver);
  EXPECT_EQ(s.call(kOwner, kSendAck, 4), kRecvNothing);
  open_session(s, kOwner, 5);  // a plain poll: scripted
  EXPECT_FALSE(s.session.interactive());
}

TEST(DbgshSession, CallOfNormalizesOnlyTheTerminalPoll) {
  EXPECT_EQ(Session::Call::of(kOwner, kSendPollTerminal, 7).sent, kSendPoll);
  EXPECT_TRUE(Session::Call::of(kOwner, kSendPollTerminal, 7).terminal);
  EXPECT_FALSE(Session::Call::of(kOwner, kSendPoll, 7).terminal);
  EXPECT_EQ(Session::Call::of(kOwner, kSendNul, 7).sent, kSendNul);
  EXPECT_FALSE(Pipe::is_keystroke(kSendPollTerminal));
}

}  // namespace
}  // namespace tv::dbgsh
