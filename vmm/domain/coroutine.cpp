#include "domain/coroutine.hpp"

#include "domain/domain.hpp"
#include "kernel/memory.hpp"

extern "C" void coro_switch(tv::u64* save_sp, tv::u64 load_sp);
extern "C" char coro_entry[];

extern "C" [[noreturn]] void coroutine_body(tv::dom::Coroutine* c) {
  c->body();
}

namespace tv::dom {

Coroutine::ChainState Coroutine::take(PerCpu& cpu) {
  return {cpu.trap_rsp, cpu.call, cpu.current, cpu.depth};
}

void Coroutine::put(PerCpu& cpu, const ChainState& s) {
  cpu.trap_rsp = s.trap_rsp;
  cpu.call = s.call;
  cpu.current = s.current;
  cpu.depth = s.depth;
}

Status<DomainError> Coroutine::start(void (*fn)(void*), void* arg) {
  auto pa = mem::alloc_pages(kStackPages);
  if (!pa) return Err{DomainError::OutOfMemory};
  *this = Coroutine{};
  fn_ = fn;
  arg_ = arg;
  stack_pa_ = *pa;
  // The frame coro_switch pops: r15 (= this), r14, r13, r12, rbx, rbp, then
  // the return address; placed so RSP is 16-byte aligned after the return.
  u64 top = *pa + kStackPages * kPageSize;
  u64* f = mem::phys_to_ptr<u64>(top - 72);
  f[0] = reinterpret_cast<u64>(this);
  for (int i = 1; i < 6; ++i) f[i] = 0;
  f[6] = reinterpret_cast<u64>(coro_entry);
  sp_ = top - 72;
  return Ok{};
}

void Coroutine::resume() {
  if (!started() || finished_) return;
  ExecGuard exec;  // held across the switch: nothing inside takes it, so nothing holds it while suspended
  PerCpu& cpu = this_cpu();
  base_ = take(cpu);
  put(cpu, own_);
  coro_switch(&base_sp_, sp_);
  own_ = take(cpu);
  put(cpu, base_);
}

void Coroutine::yield() {
  coro_switch(&sp_, base_sp_);
}

void Coroutine::body() {
  fn_(arg_);
  finished_ = true;
  coro_switch(&sp_, base_sp_);
  __builtin_unreachable();
}

void Coroutine::release() {
  if (!finished_ || stack_pa_ == 0) return;
  (void)mem::free_pages(stack_pa_, kStackPages);
  stack_pa_ = 0;
}

}  // namespace tv::dom
