// The vendor-neutral view of a virtual CPU. Exit handlers, loaders and services
// see only this interface; the SVM backend (virt/svm/) implements it on a VMCB,
// and a VT-x backend would implement it on a VMCS.
#pragma once
#include "tv/debug_regs.hpp"
#include "tv/insn_cache.hpp"
#include "tv/insn_decode.hpp"
#include "tv/page_walk.hpp"
#include "tv/types.hpp"
#include "tv/x86/control_regs.hpp"
#include "tv/x86/msr.hpp"

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

// Everything the VMM needs, besides RIP, to find and decode the guest's current
// instruction and to judge its caller (the exit path's hot spot).
struct CodeState {
  PagingState paging;  // CR0, CR3, CR4, EFER (as the guest sees it)
  u64 cs_base;
  CpuMode mode;
  u8 cpl;
  u64 insn_key;  // insn_cache_key(paging, mode)
};
inline CpuMode cpu_mode_of(u64 cr0, u64 guest_efer, u64 rflags, u16 cs_attributes) {
  if ((cr0 & x86::cr0::kPe) == 0 || (rflags & x86::rflags::kVm) != 0) return CpuMode::Real16;
  if ((guest_efer & x86::efer::kLma) != 0 && (cs_attributes & x86::seg_attr::kLong) != 0) return CpuMode::Long64;
  return (cs_attributes & x86::seg_attr::kDefaultBig) != 0 ? CpuMode::Prot32 : CpuMode::Prot16;
}

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

class Vcpu;
// What VMM code that claimed a watchpoint wants done on each hit (virt/watchpoints.hpp).
using WatchHandler = void (*)(Vcpu& vcpu, u8 slot, const Watchpoint& w);

class Vcpu {
 public:
  u64 gpr(Gpr r) const { return regs_.gpr[u8(r)]; }
  void set_gpr(Gpr r, u64 v) { regs_.gpr[u8(r)] = v; }
  u64 rip() const { return regs_.rip; }
  void set_rip(u64 v) { regs_.rip = v; }
  u64 rflags() const { return regs_.rflags; }
  void set_rflags(u64 v) {
    regs_.rflags = v;
    code_state_valid_ = false;  // RFLAGS.VM is part of the mode
  }
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

  // Queues an exception for delivery at the next entry (replacing a queued one).
  virtual void inject_exception(Vector v, bool has_error_code = false, u32 error_code = 0) = 0;
  // Puts the CPU in 32-bit protected mode, paging off, flat 4 GiB segments
  // (CS=0x10, DS=ES=SS=0x18): the state both the Linux 32-bit boot protocol
  // and multiboot v1 require.
  virtual void enter_flat_protected_mode(const FlatProtectedEntry& e) = 0;
  // Log every register (for triple faults and debugging).
  virtual void dump_state(const char* why) const = 0;
  // The guest's IA32_LSTAR (its SYSCALL entry point; module_watch.cpp takes the KASLR slide from it).
  virtual u64 guest_lstar() const = 0;
  virtual u64 dr6() const = 0;
  virtual void set_dr6(u64 v) = 0;
  // Ends an interrupt shadow (after STI / MOV SS) that covered the instruction just emulated.
  virtual void clear_interrupt_shadow() = 0;
  // Queues an NMI for the guest (one that arrived while the NMI intercept was on).
  virtual void inject_nmi() = 0;
  // The state a start-up IPI with this vector leaves the CPU in (Intel SDM
  // vol.3 §8.4.4.1, §9.1.1 Table 9-1): real mode at vector << 12, IP 0, the
  // rest as after INIT (kernel/smp.cpp).
  virtual void start_at_sipi(u8 vector) = 0;
  // Runs the guest on this CPU from now on.
  [[noreturn]] virtual void run() = 0;

  // Derived helpers shared by all backends.
  // Read from the backend the first time an exit needs it, then kept until the
  // next exit or until the VMM changes CR0, EFER, CS or RFLAGS for the guest.
  const CodeState& code_state() const {
    if (!code_state_valid_) [[unlikely]]
      load_code_state();
    return code_state_;
  }
  PagingState paging_state() const { return code_state().paging; }
  CpuMode cpu_mode() const { return code_state().mode; }
  u8 cpl() const { return code_state().cpl; }
  // Finishes an instruction the VMM emulated, as the CPU would have: RIP to
  // the next instruction, the interrupt shadow over, and the single-step trap
  // (#DB with DR6.BS) if RFLAGS.TF was set.
  void complete_instruction(u64 next_rip) {
    set_rip(next_rip);
    clear_interrupt_shadow();
    if ((rflags() & x86::rflags::kTf) != 0) [[unlikely]]
      single_step_trap();
  }
  void advance_rip(u64 length) { complete_instruction(rip() + length); }
  // The guest's DR0-DR7 as it wrote them, and the VMM's watchpoints; what
  // the CPU runs the guest with is derived from it (debug_exit.cpp).
  GuestDebugRegs& debug_regs() { return debug_regs_; }
  // The handler of each VMM watchpoint slot of this vCPU's file (nullptr: log only).
  WatchHandler& watch_handler(u8 slot) { return watch_handlers_[slot & 3]; }
  // The guest's DR6 when it was last entered (a #DB's new bits are the difference).
  u64 dr6_at_entry() const { return dr6_at_entry_; }
  // The last instruction decoded at RIP and its translation (instruction.cpp),
  // re-validated on every use.
  InsnCache& insn_cache() const { return insn_cache_; }

 protected:
  ~Vcpu() = default;
  // The #DB (DR6.BS) a single-stepped instruction ends with.
  void single_step_trap();
  // Fills code_state_ from the backend's state and sets code_state_valid_.
  virtual void load_code_state() const = 0;
  // The backend calls this at every exit and whenever it changes CR0, EFER or CS.
  void forget_code_state() { code_state_valid_ = false; }
  GuestRegs regs_{};
  GuestDebugRegs debug_regs_{};
  u64 dr6_at_entry_ = 0xFFFF0FF0;
  WatchHandler watch_handlers_[kBreakpointSlots] = {};
  mutable InsnCache insn_cache_{};
  mutable CodeState code_state_{};
  mutable bool code_state_valid_ = false;
};

}  // namespace tv
