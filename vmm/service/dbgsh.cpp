// The dbgsh hypercall: BitVisor's character pipe to the VMM's debug shell
// (protocol: lib/include/tv/dbgsh_protocol.hpp, docs/dbgsh.md). RBX = what
// the guest sends, RAX = the answer.
//
// The first call of a session starts a chain on its own stack (a Coroutine):
// newprocess("shell") with dbgsh_ttyin/dbgsh_ttyout as its descriptors 0 and
// 1, then msgsendint(shell, 0). Whenever the shell (or a program it started)
// writes a character or needs one, its tty handler yields back here and the
// guest runs again; the next call resumes the chain exactly where it waited.
// When the shell's message returns the session is over (0x10A) and the stack
// is freed. A session belongs to the guest address space (CR3) that started
// it: another one polling gets "busy" (0x10B) unless the owner has been
// silent for kTakeOverTicks, in which case the old session is hung up first.
#include "domain/coroutine.hpp"
#include "domain/domain.hpp"
#include "kernel/log.hpp"
#include "service/dbgsh_service.hpp"
#include "service/service.hpp"
#include "tv/dbgsh_pipe.hpp"

namespace tv {
namespace {

constexpr u64 kTakeOverTicks = 1ull << 32;  // about a second of TSC on real machines
// A refused client acks at once (BitVisor's client does), so only an ack that
// soon after counts as one: a later process may reuse the refused one's CR3.
constexpr u64 kRefusalAckTicks = 1ull << 27;
constexpr u32 kDrainSteps = 1u << 20;  // a hung-up shell must end within this many tty steps

struct Session {
  dbgsh::Pipe pipe;
  dom::Coroutine chain;
  u64 owner_cr3 = 0;
  u64 last_call = 0;
  bool off = false;
  u64 refused_cr3 = ~0ull;  // the last client told busy or off, and when
  u64 refused_at = 0;
  int ttyin = -1, ttyout = -1;  // the VMM's descriptors to the two endpoints
};
Session g_session;

void say(const char* text) {  // from inside the chain: one character at a time
  for (const char* p = text; *p != '\0'; ++p) {
    g_session.pipe.shell_writes(u8(*p));
    if (!g_session.pipe.hung_up()) g_session.chain.yield();
  }
}

void run_shell(void*) {
  auto sh = dom::newprocess(nullptr, "shell");
  if (!sh) {
    say("dbgsh: cannot start the shell: ");
    say(to_string(sh.error()));
    say("\n");
    return;
  }
  auto in = dom::msgsenddesc(nullptr, *sh, g_session.ttyin);
  auto out = dom::msgsenddesc(nullptr, *sh, g_session.ttyout);
  auto r = in && out ? dom::msgsendint(nullptr, *sh, 0) : Result<i64, DomainError>{Err{DomainError::TableFull}};
  if (!r) {
    say("dbgsh: the shell ended with an error: ");
    say(to_string(r.error()));
    say("\n");
  }
  (void)dom::msgclose(nullptr, *sh);
}

i64 tty_in(int, i64, const dom::BufView*, usize) {
  g_session.pipe.shell_reads();
  if (!g_session.pipe.hung_up()) g_session.chain.yield();
  return g_session.pipe.shell_input();
}

i64 tty_out(int type, i64 value, const dom::BufView* bufs, usize n) {
  auto put = [](u8 ch) {
    g_session.pipe.shell_writes(ch);
    if (!g_session.pipe.hung_up()) g_session.chain.yield();
  };
  if (type == dom::kMsgInt) {
    put(u8(value));
    return 0;
  }
  if (n == 0) return -1;
  for (u64 off = 0; off < bufs[0].len; ++off) {
    u8 ch = 0;
    if (!bufs[0].read(off, &ch, 1)) return -1;
    put(ch);
  }
  return i64(bufs[0].len);
}

void finish_if_ended() {
  Session& s = g_session;
  if (!s.chain.finished()) return;
  s.chain.release();
  s.chain = dom::Coroutine{};
  s.pipe.shell_ended();
}

// Runs the chain once more after the guest's input or ack.
void step() {
  g_session.chain.resume();
  finish_if_ended();
}

Status<DomainError> start_session(u64 cr3) {
  Session& s = g_session;
  if (auto st = s.chain.start(run_shell, nullptr); !st) return st;
  s.owner_cr3 = cr3;
  s.pipe.start();
  step();
  return Ok{};
}

// The owner went away mid-session: end the chain with end of input.
void hang_up() {
  Session& s = g_session;
  s.pipe.hang_up();
  for (u32 i = 0; i < kDrainSteps && !s.chain.finished(); ++i) s.chain.resume();
  if (!s.chain.finished()) {
    TV_LOG("dbgsh: a hung-up shell did not end; its session stays suspended");
    return;
  }
  finish_if_ended();
  (void)s.pipe.answer();  // the old owner is not there to be told
}

// A client that was told "busy" or "off" and acknowledges it as if it were
// output (BitVisor's client does) is told the session is over, so it ends.
bool acks_refusal(u64 cr3, i64 sent, u64 now) {
  const Session& s = g_session;
  return sent == dbgsh::kSendAck && cr3 == s.refused_cr3 && now - s.refused_at < kRefusalAckTicks;
}

u64 refuse(u64 cr3, i64 sent, i64 answer, u64 now) {
  Session& s = g_session;
  if (acks_refusal(cr3, sent, now)) {
    s.refused_cr3 = ~0ull;
    return u64(dbgsh::kRecvSessionOver);
  }
  s.refused_cr3 = cr3;
  s.refused_at = now;
  return u64(answer);
}

u64 dbgsh_call(HypercallContext& call) {
  Session& s = g_session;
  const i64 sent = i64(call.arg(0));
  const u64 cr3 = call.vcpu().cr3() & ~0xFFFull, now = log::now();
  if (s.off) {
    TV_LOG_GUEST("dbgsh: refused: the VMM was started with dbgsh=off");
    return refuse(cr3, sent, dbgsh::kRecvOff, now);
  }
  // A session is its client's: a poll from another address space while the
  // owner is still calling is a second client. An ack or keystroke from
  // another address space continues the session (a raw-protocol speaker that
  // runs one process per call, such as `vmmcall raw`), and takes it over.
  if (s.pipe.active() && cr3 != s.owner_cr3) {
    if (sent == dbgsh::kSendPoll && now - s.last_call < kTakeOverTicks) return refuse(cr3, sent, dbgsh::kRecvBusy, now);
    if (acks_refusal(cr3, sent, now)) return refuse(cr3, sent, dbgsh::kRecvBusy, now);
    if (sent == dbgsh::kSendPoll) {
      TV_LOG_GUEST("dbgsh: the session's client has been silent; a new client takes over");
      hang_up();
    }
    s.owner_cr3 = cr3;
  }
  s.last_call = now;
  if (!s.pipe.active() && s.pipe.state() != dbgsh::Pipe::Shell::Ended) {
    // Only a poll opens a session: the client's ack of the session's end must not start the next.
    if (sent != dbgsh::kSendPoll) return u64(dbgsh::kRecvNothing);
    if (auto st = start_session(cr3); !st) {
      TV_LOG_GUEST("dbgsh: cannot start a session: %s", to_string(st.error()));
      return u64(dbgsh::kRecvSessionOver);
    }
  } else if (s.pipe.feed(sent)) {
    step();
  }
  return u64(s.pipe.answer());
}

}  // namespace

Status<DomainError> init_dbgsh(bool off) {
  g_session.off = off;
  auto in = dom::msgregister_vmm("dbgsh_ttyin", tty_in);
  if (!in) return Err{in.error()};
  auto out = dom::msgregister_vmm("dbgsh_ttyout", tty_out);
  if (!out) return Err{out.error()};
  g_session.ttyin = *in;
  g_session.ttyout = *out;
  return Ok{};
}

TV_SERVICE(dbgsh_call, "dbgsh", CallerPolicy::AnyMode, "RBX=char/-1 poll/0 ack -> RAX=char/-1/0 want input/0x10A end");
}  // namespace tv
