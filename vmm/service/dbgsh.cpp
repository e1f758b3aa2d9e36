// The dbgsh hypercall: BitVisor's character pipe to the VMM's debug shell
// (protocol: lib/include/tv/dbgsh_protocol.hpp, docs/dbgsh.md). RBX = what
// the guest sends, RAX = the answer.
//
// The first call of a session starts a chain on its own stack (a Coroutine):
// newprocess("shell") with dbgsh_ttyin/dbgsh_ttyout as its descriptors 0 and
// 1, then msgsendint(shell, interactive ? kTtyInteractive : 0). Whenever the
// shell (or a program it started) writes a character or needs one, its tty
// handler yields back here and the guest runs again; the next call resumes
// the chain exactly where it waited. When the shell's message returns the
// session is over (0x10A) and the stack is freed. Who may call when (the
// owner's CR3, busy, take-over, off) is tv::dbgsh::Session's business
// (lib/include/tv/dbgsh_session.hpp); this file runs the chain.
#include "domain/coroutine.hpp"
#include "domain/domain.hpp"
#include "kernel/log.hpp"
#include "service/dbgsh_service.hpp"
#include "service/service.hpp"
#include "tv/dbgsh_session.hpp"
#include "tv/domain_abi.hpp"

namespace tv {
namespace {

constexpr u32 kDrainSteps = 1u << 20;  // a hung-up shell must end within this many tty steps

// The machine's one debug-shell session: its rules and pipe, and the chain.
struct DbgshService {
  dbgsh::Session session;
  dom::Coroutine chain;
  int ttyin = -1, ttyout = -1;  // the VMM's descriptors to the two endpoints
};
DbgshService g_dbgsh;

dbgsh::Pipe& pipe() {
  return g_dbgsh.session.pipe();
}

// From inside the chain: hands one character to the guest and waits for its ack.
void put(u8 ch) {
  pipe().shell_writes(ch);
  if (!pipe().hung_up()) g_dbgsh.chain.yield();
}

void say(const char* text) {
  for (const char* p = text; *p != '\0'; ++p) put(u8(*p));
}

void run_shell(void*) {
  auto sh = dom::newprocess(nullptr, "shell");
  if (!sh) {
    say("dbgsh: cannot start the shell: ");
    say(to_string(sh.error()));
    say("\n");
    return;
  }
  auto in = dom::msgsenddesc(nullptr, *sh, g_dbgsh.ttyin);
  auto out = dom::msgsenddesc(nullptr, *sh, g_dbgsh.ttyout);
  const i64 mode = g_dbgsh.session.interactive() ? dom::kTtyInteractive : 0;
  auto r = in && out ? dom::msgsendint(nullptr, *sh, mode) : Result<i64, DomainError>{Err{DomainError::TableFull}};
  if (!r) {
    say("dbgsh: the shell ended with an error: ");
    say(to_string(r.error()));
    say("\n");
  }
  (void)dom::msgclose(nullptr, *sh);
}

// kTtyRead waits for the guest's keystroke; kTtyPoll lets the guest run once
// and answers kTtyNoKey if its next call brought none.
i64 tty_in(int, i64 how, const dom::BufView*, usize) {
  if (how == dom::kTtyPoll)
    pipe().shell_peeks();
  else
    pipe().shell_reads();
  if (!pipe().hung_up()) g_dbgsh.chain.yield();
  return pipe().shell_input();
}

i64 tty_out(int type, i64 value, const dom::BufView* bufs, usize n) {
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
  DbgshService& s = g_dbgsh;
  if (!s.chain.finished()) return;
  s.chain.release();
  s.chain = dom::Coroutine{};
  pipe().shell_ended();
}

// Runs the chain once more after the guest's input or ack.
void step() {
  g_dbgsh.chain.resume();
  finish_if_ended();
}

Status<DomainError> start_session(const dbgsh::Session::Call& c) {
  if (auto st = g_dbgsh.chain.start(run_shell, nullptr); !st) return st;
  g_dbgsh.session.opened(c);
  step();
  return Ok{};
}

// The owner went away mid-session: end the chain with end of input.
void hang_up() {
  DbgshService& s = g_dbgsh;
  pipe().hang_up();
  for (u32 i = 0; i < kDrainSteps && !s.chain.finished(); ++i) s.chain.resume();
  if (!s.chain.finished()) {
    TV_LOG("dbgsh: a hung-up shell did not end; its session stays suspended");
    return;
  }
  finish_if_ended();
  (void)pipe().answer();  // the old owner is not there to be told
}

u64 dbgsh_call(HypercallContext& call) {
  // One session for the machine: calls from several CPUs take turns (the
  // domain lock also covers the shell's coroutine and its messages).
  dom::ExecGuard exec;
  dbgsh::Session& s = g_dbgsh.session;
  const auto c = dbgsh::Session::Call::of(call.vcpu().cr3() & ~0xFFFull, i64(call.arg(0)), log::now());
  const dbgsh::Session::Admission a = s.admit(c);
  if (a.verdict == dbgsh::Session::Verdict::Refused) {
    if (s.off()) TV_LOG_GUEST("dbgsh: refused: the VMM was started with dbgsh=off");
    return u64(a.answer);
  }
  if (a.verdict == dbgsh::Session::Verdict::TakeOver) {
    TV_LOG_GUEST("dbgsh: the session's client has been silent; a new client takes over");
    hang_up();
  }
  switch (s.next(c)) {
    case dbgsh::Session::Action::Ignore: return u64(dbgsh::kRecvNothing);
    case dbgsh::Session::Action::Start:
      if (auto st = start_session(c); !st) {
        TV_LOG_GUEST("dbgsh: cannot start a session: %s", to_string(st.error()));
        return u64(dbgsh::kRecvSessionOver);
      }
      break;
    case dbgsh::Session::Action::Resume: step(); break;
    case dbgsh::Session::Action::Answer: break;
  }
  return u64(pipe().answer());
}

}  // namespace

Status<DomainError> init_dbgsh(bool off) {
  g_dbgsh.session.set_off(off);
  auto in = dom::msgregister_vmm("dbgsh_ttyin", tty_in);
  if (!in) return Err{in.error()};
  auto out = dom::msgregister_vmm("dbgsh_ttyout", tty_out);
  if (!out) return Err{out.error()};
  g_dbgsh.ttyin = *in;
  g_dbgsh.ttyout = *out;
  return Ok{};
}

TV_SERVICE(dbgsh_call, "dbgsh", CallerPolicy::AnyMode,
           "RBX=char/-1 poll/0 ack/0x101 terminal poll -> RAX=char/-1/0 want input/0x10A end");
}  // namespace tv
