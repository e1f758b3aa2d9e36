// Traps from ring 3: a syscall (`int $0x80`, tv/domain_abi.hpp) or a fault.
// Entered from vmm/domain/ring3.S on the current message's kernel stack.
//
// A fault kills the domain. So does a syscall with a bad number, a pointer
// the domain cannot access itself, or an impossible length (BadArgument,
// BadBuffer): those are programming errors, and a killed callee is the one
// answer its caller cannot mistake. Every other error goes back in RAX.
#include "arch/x86/cpu.hpp"
#include "arch/x86/descriptors.hpp"
#include "domain/address_space.hpp"
#include "domain/domain.hpp"
#include "domain/ring3.hpp"
#include "kernel/exceptions.hpp"
#include "kernel/percpu.hpp"

namespace tv::dom {
namespace {

// RFLAGS bits a domain may keep (CF PF AF ZF SF TF DF OF AC): never IF, IOPL, NT, RF.
constexpr u64 kUserFlags = 0x40DD5;

struct Answer {
  DomainError error;  // Count: success
  i64 value;
};
constexpr Answer ok(i64 v = 0) {
  return {DomainError::Count, v};
}
template <typename T>
Answer from(const Result<T, DomainError>& r) {
  return r ? ok(i64(*r)) : Answer{r.error(), 0};
}
Answer from(const Status<DomainError>& s) {
  return s ? ok() : Answer{s.error(), 0};
}

Answer with_name(Domain& d, u64 va, auto&& fn) {
  char name[kMaxNameBytes];
  if (auto st = read_name(d.pml4, va, name); !st) return {st.error(), 0};
  return fn(name);
}

Answer send_buffers(Domain& d, const TrapFrame& f) {
  if (f.rcx > kMaxBufs) return {DomainError::BadBuffer, 0};
  MsgBuf bufs[kMaxBufs];
  if (f.rcx != 0)
    if (auto st = copy_in(d.pml4, f.rdx, bufs, f.rcx * sizeof(MsgBuf)); !st) return {st.error(), 0};
  return from(msgsendbuf(&d, i64(f.rdi), i64(f.rsi), bufs, f.rcx));
}

Answer syscall(Domain& d, TrapFrame& f) {
  switch (Sys(f.rax)) {
    case Sys::Nop: return ok();
    case Sys::MsgRet: resume_kernel(this_cpu().call, f.rdi);
    case Sys::MsgRegister: return with_name(d, f.rdi, [&](const char* n) { return from(msgregister(&d, n, f.rsi)); });
    case Sys::MsgOpen: return with_name(d, f.rdi, [&](const char* n) { return from(msgopen(&d, n)); });
    case Sys::MsgClose: return from(msgclose(&d, i64(f.rdi)));
    case Sys::MsgSendInt: return from(msgsendint(&d, i64(f.rdi), i64(f.rsi)));
    case Sys::MsgSendDesc: return from(msgsenddesc(&d, i64(f.rdi), i64(f.rsi)));
    case Sys::NewProcess: return with_name(d, f.rdi, [&](const char* n) { return from(newprocess(&d, n)); });
    case Sys::MsgSendBuf: return send_buffers(d, f);
    case Sys::MsgUnregister: return from(msgunregister(&d, i64(f.rdi)));
    case Sys::ExitProcess: exitprocess(d); return ok();
    case Sys::SetLimit: setlimit(d); return ok();
    default: kill_current("bad syscall number", f.rip, f.rax);
  }
}

}  // namespace
}  // namespace tv::dom

// Returns the CR3 to go back to ring 3 with (arch/x86/trampoline.S).
extern "C" tv::u64 domain_trap(tv::dom::TrapFrame* f) {
  using namespace tv;
  using namespace tv::dom;
  Domain& d = *this_cpu().current;
  if (f->vector != x86::kSyscallVector)
    kill_current(vector_name(f->vector), f->rip, f->vector == 14 ? x86::read_cr2() : f->error_code);
  Answer a = syscall(d, *f);
  if (a.error == DomainError::BadArgument || a.error == DomainError::BadBuffer)
    kill_current(a.error == DomainError::BadArgument ? "syscall with a bad argument" : "syscall with a bad buffer",
                 f->rip, f->rax);
  // The domain died while this syscall waited on a nested message (it was
  // re-entered and faulted there): it must not run again.
  if (d.dead) kill_current("killed during a nested message", f->rip, 0);
  f->rax = a.error == DomainError::Count ? 0 : u64(a.error);
  f->rdx = u64(a.value);
  f->rflags = (f->rflags & kUserFlags) | 0x2;
  return d.pml4;
}
