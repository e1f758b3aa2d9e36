// The vendor-neutral view of a virtual CPU. Exit handlers, loaders and services
// see only this interface; the SVM backend (virt/svm/) implements it on a VMCB,
// and a VT-x backend would implement it on a VMCS.
#pragma once
#include "tv/debug_regs.hpp"
#include "tv/fetch_walk.hpp"
#include "tv/insn_decode.hpp"
#include "tv/page_walk.hpp"
#include "tv/types.hpp"

namespace tv {

enum class Gpr : u8 { Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8, R9, R10, R11, R12, R13, R14, R15 };
inline constexpr usize kGprCount = 16;

// x86 exception vectors the VMM injects (AMD APM vol.2 §8.2).
enum class Vector : u8 { DE = 0, DB = 1, BP = 3, UD = 6, DF = 8, GP = 13, PF = 14 };

// A segment as the guest's hidden descriptor cache holds it.
struct Segment {
  u16 selector;
  u64 base;
  u32 limit;
  u16 attributes;  // type:4 S:1 DPL:2 P:1 AVL:1 L:1 D/B:1 G:1 (the SVM packed format)
};

// Everything the VMM needs to find and decode the guest's current instruction,
// read in one call (the exit path's hot spot).
struct ExecContext {
  u64 rip;
  u64 rflags;
  PagingState paging;  // CR0, CR3, CR4, EFER (as the guest sees it)
  Segment cs;
  u8 cpl;
};
CpuMode cpu_mode_of(const ExecContext& c);

// What the guest's CPU looks like when a loader hands it over.
struct FlatProtectedEntry {
  u64 rip;
  u64 rax, rbx, rsi, rdi, rsp;
};

// The registers exit handlers read and write most, held by the vendor-neutral
// vCPU itself: the backend loads them from its VMCB (or VMCS) at every exit
// and stores them back before the next entry, so the hot path makes no
// virtual calls for them. Layout shared with virt/svm/vmrun.S.
struct GuestRegs {
  u64 gpr[kGprCount];  // hardware order: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 (enum Gpr)
  u64 rip;
  u64 rflags;
};

class Vcpu {
 public:
  u64 gpr(Gpr r) const { return regs_.gpr[u8(r)]; }
  void set_gpr(Gpr r, u64 v) { regs_.gpr[u8(r)] = v; }
  u64 rip() const { return regs_.rip; }
  void set_rip(u64 v) { regs_.rip = v; }
  u64 rflags() const { return regs_.rflags; }
  void set_rflags(u64 v) { regs_.rflags = v; }
  virtual u64 cr0() const = 0;
  virtual u64 cr2() const = 0;
  virtual u64 cr3() const = 0;
  virtual u64 cr4() const = 0;
  // EFER as the guest believes it to be (the backend hides its own bits, e.g. SVME).
  virtual u64 guest_efer() const = 0;
  virtual void set_guest_efer(u64 v) = 0;
  // An emulated CR0 write: CR0 and EFER (LMA included, as the CPU would set it) together.
  virtual void set_cr0_and_efer(u64 cr0, u64 efer) = 0;
  // Drops the guest's TLB entries at the next entry (as a MOV CR0 changing PG would).
  virtual void flush_guest_tlb() = 0;
  virtual Segment segment_cs() const = 0;
  virtual u8 cpl() const = 0;
  virtual ExecContext exec_context() const = 0;

  // Queues an exception for delivery at the next entry (replacing a queued one).
  virtual void inject_exception(Vector v, bool has_error_code = false, u32 error_code = 0) = 0;
  // Puts the CPU in 32-bit protected mode, paging off, flat 4 GiB segments
  // (CS=0x10, DS=ES=SS=0x18): the state both the Linux 32-bit boot protocol
  // and multiboot v1 require.
  virtual void enter_flat_protected_mode(const FlatProtectedEntry& e) = 0;
  // Log every register (for triple faults and debugging).
  virtual void dump_state(const char* why) const = 0;
  virtual u64 dr6() const = 0;
  virtual void set_dr6(u64 v) = 0;
  // Ends an interrupt shadow (after STI / MOV SS) that covered the instruction just emulated.
  virtual void clear_interrupt_shadow() = 0;

  // Derived helpers shared by all backends.
  PagingState paging_state() const { return {cr0(), cr3(), cr4(), guest_efer()}; }
  CpuMode cpu_mode() const;
  // Finishes an instruction the VMM emulated, as the CPU would have: RIP to
  // the next instruction, the interrupt shadow over, and the single-step trap
  // (#DB with DR6.BS) if RFLAGS.TF was set.
  void complete_instruction(u64 next_rip);
  void advance_rip(u64 length) { complete_instruction(rip() + length); }
  // The guest's DR0-DR7 as it wrote them (never armed in the CPU; debug_exit.cpp).
  GuestDebugRegs& debug_regs() { return debug_regs_; }
  // The last code translation (instruction.cpp), re-validated on every use.
  FetchTranslation& fetch_cache() const { return fetch_cache_; }

 protected:
  ~Vcpu() = default;
  GuestRegs regs_{};
  GuestDebugRegs debug_regs_{};
  mutable FetchTranslation fetch_cache_{};
};

}  // namespace tv
