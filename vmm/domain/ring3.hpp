// The switch into a domain and back (vmm/domain/ring3.S, arch/x86/trampoline.S).
#pragma once
#include "tv/domain_error.hpp"
#include "tv/types.hpp"

namespace tv::dom {

// The CPU frame a trap from ring 3 leaves (arch/x86/trampoline.S, lowest address first).
struct TrapFrame {
  u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  u64 vector, error_code;
  u64 rip, cs, rflags, rsp, ss;  // pushed by the CPU
};
static_assert(sizeof(TrapFrame) == 22 * 8);

// One active message into a domain, on the caller's kernel stack.
struct CallRecord {
  u64 kernel_rsp = 0;  // offset 0: REC_KERNEL_RSP in ring3.S
  CallRecord* prev = nullptr;
  Domain* domain = nullptr;
  bool died = false;  // the callee was killed (or had died) before MsgRet
};
static_assert(__builtin_offsetof(CallRecord, kernel_rsp) == 0);

// Where and how a message enters ring 3 (offsets E_* in ring3.S).
struct Ring3Entry {
  u64 rip, rsp, cr3;
  u64 rdi, rsi, rdx, rcx, r8;
};
static_assert(__builtin_offsetof(Ring3Entry, r8) == 56);

}  // namespace tv::dom

extern "C" tv::u64 enter_ring3(tv::dom::CallRecord* rec, const tv::dom::Ring3Entry* e);
extern "C" [[noreturn]] void resume_kernel(tv::dom::CallRecord* rec, tv::u64 value);
