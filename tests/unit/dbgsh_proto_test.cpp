// The guest dbgsh client's protocol state machine (guest/lib/dbgsh_proto.c)
// against a fake VMM shell, in the three ways a VMM may answer: BitVisor's
// (every keystroke and ack is answered -1, the next character comes on a later
// poll), at once (the ack's answer carries the next character), and saying
// "want input" only once. The fake flags every protocol violation.
#include "thinvisor/dbgsh_proto.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "tv/dbgsh_protocol.hpp"

// The guest's C values are the VMM's.
static_assert(DBGSH_SEND_POLL == tv::dbgsh::kSendPoll);
static_assert(DBGSH_SEND_ACK == tv::dbgsh::kSendAck);
static_assert(DBGSH_SEND_NUL == tv::dbgsh::kSendNul);
static_assert(DBGSH_SEND_POLL_TERMINAL == tv::dbgsh::kSendPollTerminal);
static_assert(DBGSH_RECV_NOTHING == tv::dbgsh::kRecvNothing);
static_assert(DBGSH_RECV_WANT_INPUT == tv::dbgsh::kRecvWantInput);
static_assert(DBGSH_RECV_NUL == tv::dbgsh::kRecvNul);
static_assert(DBGSH_RECV_SESSION_OVER == tv::dbgsh::kRecvSessionOver);
static_assert(DBGSH_RECV_BUSY == tv::dbgsh::kRecvBusy);
static_assert(DBGSH_RECV_OFF == tv::dbgsh::kRecvOff);
static_assert(DBGSH_RECV_SESSION_OVER == (0x100 | '\n'));  // BitVisor's spelling

namespace {

enum class Style { kBitVisor, kImmediate, kWantOnce };

// A line-editing shell behind the dbgsh pipe: prompt "> ", echo, commands
// help, nul (prints a NUL) and exit; anything else is "unknown".
class FakeVmm {
 public:
  explicit FakeVmm(Style style) : style_(style) {}

  int64_t call(int64_t rbx) {
    ++calls;
    if (rbx == DBGSH_SEND_ACK)
      ack();
    else if (rbx != DBGSH_SEND_POLL && rbx != DBGSH_SEND_POLL_TERMINAL)
      key(rbx);
    else if (offered_)
      violations += "poll with output unacknowledged; ";
    if (rbx == DBGSH_SEND_POLL_TERMINAL) terminal_polls++;
    if (style_ == Style::kBitVisor && rbx != DBGSH_SEND_POLL && rbx != DBGSH_SEND_POLL_TERMINAL)
      return DBGSH_RECV_NOTHING;
    return answer();
  }

  std::string keys;        // every keystroke received
  std::string violations;  // protocol errors seen
  int calls = 0;
  int final_acks = 0;
  int terminal_polls = 0;

 private:
  void ack() {
    if (over_offered_)
      ++final_acks;
    else if (!offered_)
      violations += "ack without output; ";
    else
      out_.erase(0, 1);
    offered_ = false;
  }

  void key(int64_t rbx) {
    if (offered_ || !out_.empty() || over_) violations += "keystroke while not asked; ";
    if (rbx < 1 || rbx > DBGSH_SEND_NUL) violations += "bad keystroke; ";
    char c = rbx == DBGSH_SEND_NUL ? '\0' : char(rbx);
    keys += c;
    said_want_ = false;
    out_ += c;  // echo
    if (c == '\n') run_line();
    if (c != '\n') line_ += c;
  }

  void run_line() {
    if (line_ == "exit") over_ = true;
    if (line_ == "help") out_ += "commands: help nul exit\n";
    if (line_ == "nul") out_ += std::string("a\0b\n", 4);
    if (line_ != "exit" && line_ != "help" && line_ != "nul") out_ += "unknown: " + line_ + "\n";
    if (!over_) out_ += "> ";
    line_.clear();
  }

  int64_t answer() {
    if (!out_.empty()) {
      offered_ = true;
      return out_[0] == '\0' ? DBGSH_RECV_NUL : int64_t(static_cast<unsigned char>(out_[0]));
    }
    if (over_) {
      over_offered_ = true;
      return DBGSH_RECV_SESSION_OVER;
    }
    if (style_ == Style::kWantOnce && said_want_) return DBGSH_RECV_NOTHING;
    said_want_ = true;
    return DBGSH_RECV_WANT_INPUT;
  }

  Style style_;
  std::string out_ = "> ";  // front: the character on offer
  std::string line_;
  bool offered_ = false;  // out_[0] was handed out and awaits its ack
  bool over_ = false;
  bool over_offered_ = false;
  bool said_want_ = false;
};

struct Outcome {
  std::string out;
  int status = -99;  // dbgsh's exit status; -99: did not finish
};

// guest/tools/dbgsh.c's loop, with the hypercall and stdin replaced: chunks
// are what successive reads of stdin return, then end of file.
Outcome drive(const std::function<int64_t(int64_t)>& vmm, dbgsh_proto& p, std::vector<std::string> chunks) {
  Outcome o;
  size_t next_chunk = 0;
  for (int i = 0; i < 100000; ++i) {
    int ch = 0;
    switch (dbgsh_proto_answer(&p, vmm(dbgsh_proto_next(&p)), &ch)) {
      case DBGSH_EV_OUTPUT: o.out += char(ch); break;
      case DBGSH_EV_AGAIN:
      case DBGSH_EV_IDLE: break;
      case DBGSH_EV_NEED_INPUT:
        if (next_chunk == chunks.size()) {
          dbgsh_proto_end_input(&p);
          break;
        }
        dbgsh_proto_feed(&p, chunks[next_chunk].data(), chunks[next_chunk].size());
        ++next_chunk;
        break;
      case DBGSH_EV_END:
        vmm(dbgsh_proto_next(&p));  // the final ack
        o.status = 0;
        return o;
      case DBGSH_EV_BUSY: o.status = 3; return o;
      case DBGSH_EV_OFF: o.status = 4; return o;
      case DBGSH_EV_STUCK: o.status = 1; return o;
      case DBGSH_EV_ERROR: o.status = 2; return o;
    }
  }
  return o;
}

Outcome drive(FakeVmm& vmm, dbgsh_proto& p, std::vector<std::string> chunks = {}) {
  return drive([&](int64_t rbx) { return vmm.call(rbx); }, p, std::move(chunks));
}

// dbgsh -c CMD
Outcome run_command(FakeVmm& vmm, const std::string& cmd) {
  dbgsh_proto p;
  dbgsh_proto_init(&p, 0);
  dbgsh_proto_feed(&p, cmd.data(), cmd.size());
  dbgsh_proto_end_input(&p);
  return drive(vmm, p);
}

constexpr Style kStyles[] = {Style::kBitVisor, Style::kImmediate, Style::kWantOnce};

TEST(DbgshProto, CommandThenExitInEveryStyle) {
  for (Style style : kStyles) {
    FakeVmm vmm(style);
    Outcome o = run_command(vmm, "help");
    EXPECT_EQ(o.status, 0);
    EXPECT_EQ(o.out, "> help\ncommands: help nul exit\n> exit\n");
    EXPECT_EQ(vmm.keys, "help\nexit\n");
    EXPECT_EQ(vmm.final_acks, 1);
    EXPECT_EQ(vmm.violations, "");
  }
}

TEST(DbgshProto, OutputNulIsWrittenAndAcknowledged) {
  FakeVmm vmm(Style::kImmediate);
  Outcome o = run_command(vmm, "nul");
  EXPECT_EQ(o.status, 0);
  EXPECT_NE(o.out.find(std::string("a\0b\n", 4)), std::string::npos);
  EXPECT_EQ(vmm.violations, "");
}

TEST(DbgshProto, NulKeystrokeGoesAs0x100) {
  FakeVmm vmm(Style::kBitVisor);
  Outcome o = run_command(vmm, std::string("x\0y\n", 4));
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(vmm.keys, std::string("x\0y\nexit\n", 9));
  EXPECT_EQ(vmm.violations, "");
}

TEST(DbgshProto, PipedInputEndingInExitSendsNoExtraExit) {
  for (Style style : kStyles) {
    FakeVmm vmm(style);
    dbgsh_proto p;
    dbgsh_proto_init(&p, 0);
    Outcome o = drive(vmm, p, {"he", "lp\nex", "it\n"});
    EXPECT_EQ(o.status, 0);
    EXPECT_EQ(vmm.keys, "help\nexit\n");
    EXPECT_EQ(vmm.violations, "");
  }
}

TEST(DbgshProto, EndOfInputMidLineFinishesTheLineThenExits) {
  FakeVmm vmm(Style::kImmediate);
  dbgsh_proto p;
  dbgsh_proto_init(&p, 0);
  Outcome o = drive(vmm, p, {"help"});  // printf help | dbgsh
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(vmm.keys, "help\nexit\n");
}

TEST(DbgshProto, CtrlDOnAnEmptyLineEndsTheSession) {
  FakeVmm vmm(Style::kWantOnce);
  dbgsh_proto p;
  dbgsh_proto_init(&p, 1);
  Outcome o = drive(vmm, p, {"he\x04lp\n", "\x04typed after"});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(vmm.keys, "he\x04lp\nexit\n");  // mid-line Ctrl-D is an ordinary key
  EXPECT_EQ(vmm.violations, "");
}

TEST(DbgshProto, CtrlDIsAKeyWhenNotInteractive) {
  FakeVmm vmm(Style::kImmediate);
  dbgsh_proto p;
  dbgsh_proto_init(&p, 0);
  drive(vmm, p, {"\x04\n"});
  EXPECT_EQ(vmm.keys, "\x04\nexit\n");
}

// A client with `input` queued.
dbgsh_proto client_with(const char* input, int terminal = 0) {
  dbgsh_proto p;
  dbgsh_proto_init(&p, terminal);
  dbgsh_proto_feed(&p, input, strlen(input));
  return p;
}

// One call: the client must send `rbx`; it gets `rax`; returns its verdict.
dbgsh_event exchange(dbgsh_proto& p, int64_t rbx, int64_t rax, int* ch = nullptr) {
  int out = -1;
  EXPECT_EQ(dbgsh_proto_next(&p), rbx);
  dbgsh_event ev = dbgsh_proto_answer(&p, rax, &out);
  if (ch != nullptr) *ch = out;
  return ev;
}

TEST(DbgshProto, AckComesBeforeAQueuedKeystroke) {
  dbgsh_proto p = client_with("xy");
  int ch = 0;
  EXPECT_EQ(exchange(p, DBGSH_SEND_POLL, DBGSH_RECV_WANT_INPUT), DBGSH_EV_AGAIN);
  EXPECT_EQ(exchange(p, 'x', 'x', &ch), DBGSH_EV_OUTPUT);  // the echo, in the same call
  EXPECT_EQ(ch, 'x');
  EXPECT_EQ(exchange(p, DBGSH_SEND_ACK, DBGSH_RECV_WANT_INPUT), DBGSH_EV_AGAIN);  // the ack, not 'y'
  EXPECT_EQ(exchange(p, 'y', DBGSH_RECV_NOTHING), DBGSH_EV_AGAIN);
  EXPECT_EQ(exchange(p, DBGSH_SEND_POLL, DBGSH_RECV_NOTHING), DBGSH_EV_IDLE);
}

TEST(DbgshProto, KeystrokesWaitUntilTheShellAsks) {
  dbgsh_proto p = client_with("x");
  EXPECT_EQ(exchange(p, DBGSH_SEND_POLL, DBGSH_RECV_NOTHING), DBGSH_EV_IDLE);
  EXPECT_EQ(exchange(p, DBGSH_SEND_POLL, DBGSH_RECV_NOTHING), DBGSH_EV_IDLE);
}

TEST(DbgshProto, BusyOffAndErrorsStopAtTheFirstAnswer) {
  struct Case {
    int64_t answer;
    int status;
  } cases[] = {{DBGSH_RECV_BUSY, 3}, {DBGSH_RECV_OFF, 4}, {-2 /* denied */, 2}, {-5, 2}, {0x10D, 2}};
  for (const Case& c : cases) {
    int calls = 0;
    dbgsh_proto p;
    dbgsh_proto_init(&p, 0);
    Outcome o = drive(
        [&](int64_t) {
          ++calls;
          return c.answer;
        },
        p, {});
    EXPECT_EQ(o.status, c.status) << c.answer;
    EXPECT_EQ(calls, 1) << c.answer;
  }
}

TEST(DbgshProto, GivesUpWhenTheShellKeepsAskingAfterExit) {
  std::string keys;
  dbgsh_proto p;
  dbgsh_proto_init(&p, 0);
  dbgsh_proto_end_input(&p);
  auto vmm = [&](int64_t rbx) {
    if (rbx > 0) keys += char(rbx);
    return int64_t(DBGSH_RECV_WANT_INPUT);
  };
  Outcome o = drive(vmm, p, {});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(keys, "exit\nexit\nexit\n");
}

TEST(DbgshProto, IdlePollsBackOff) {
  dbgsh_proto p = client_with("");
  auto poll_empty = [&] { EXPECT_EQ(exchange(p, DBGSH_SEND_POLL, DBGSH_RECV_NOTHING), DBGSH_EV_IDLE); };
  for (int i = 0; i < DBGSH_SPIN_POLLS - 1; ++i) poll_empty();
  EXPECT_EQ(dbgsh_proto_backoff_ms(&p), 0);  // a pause inside a burst costs nothing
  poll_empty();
  EXPECT_EQ(dbgsh_proto_backoff_ms(&p), 1);
  for (int i = DBGSH_SPIN_POLLS; i < DBGSH_SLOW_POLLS; ++i) poll_empty();
  EXPECT_EQ(dbgsh_proto_backoff_ms(&p), 10);
  EXPECT_EQ(exchange(p, DBGSH_SEND_POLL, 'x'), DBGSH_EV_OUTPUT);
  EXPECT_EQ(dbgsh_proto_backoff_ms(&p), 0);  // output: back to full speed
}

TEST(DbgshProto, AnInteractiveClientWaitingForTheUserAsksForInput) {
  dbgsh_proto p = client_with("", 1);
  EXPECT_EQ(exchange(p, DBGSH_SEND_POLL_TERMINAL, DBGSH_RECV_WANT_INPUT), DBGSH_EV_NEED_INPUT);
  EXPECT_EQ(exchange(p, DBGSH_SEND_POLL_TERMINAL, DBGSH_RECV_NOTHING), DBGSH_EV_NEED_INPUT);  // it said so once
}

TEST(DbgshProto, OnlyATerminalsPollsSayTerminal) {
  FakeVmm scripted(Style::kImmediate);
  EXPECT_EQ(run_command(scripted, "help").status, 0);
  EXPECT_EQ(scripted.terminal_polls, 0);  // -c and pipes: plain polls, a scripted session
  FakeVmm typed(Style::kImmediate);
  dbgsh_proto p;
  dbgsh_proto_init(&p, 1);
  EXPECT_EQ(drive(typed, p, {"help\n", "exit\n"}).status, 0);
  EXPECT_GT(typed.terminal_polls, 0);
  EXPECT_EQ(typed.violations, "");
  // Everything else is as for a pipe: acks and keystrokes are unchanged.
  EXPECT_EQ(typed.keys, "help\nexit\n");
}

}  // namespace
