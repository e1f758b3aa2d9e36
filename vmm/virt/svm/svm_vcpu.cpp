#include <initializer_list>

#include "arch/x86/cpu.hpp"
#include "kernel/integrity.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/percpu.hpp"
#include "kernel/platform.hpp"
#include "kernel/smp.hpp"
#include "kernel/version.hpp"
#include "tv/cpu_start.hpp"
#include "tv/cpu_table.hpp"
#include "tv/event_combine.hpp"
#include "tv/msr_policy.hpp"
#include "tv/svm_permission_maps.hpp"
#include "tv/vmrun_check.hpp"
#include "tv/x86/control_regs.hpp"
#include "tv/x86/msr.hpp"
#include "virt/exit_dispatch.hpp"
#include "virt/instruction.hpp"
#include "virt/io_ports.hpp"
#include "virt/run_report.hpp"
#include "virt/svm/svm.hpp"

extern "C" void svm_vmrun(tv::GuestRegs* regs, tv::u64 guest_vmcb_pa, tv::u64 host_vmcb_pa, tv::u64 guest_dr7);
extern "C" void svm_vmsave(tv::u64 pa);
extern "C" void svm_clgi();

namespace tv::svm {
namespace {
SvmVcpu g_vcpus[smp::kMaxCpus];
// The I/O and MSR permission maps: the same policy for every vCPU, built once.
u64 g_iopm = 0;
u64 g_msrpm = 0;

Status<SvmError> build_permission_maps() {
  auto iopm = mem::alloc_pages(kIopmBytes / kPageSize);  // physically contiguous, as the maps must be
  auto msrpm = mem::alloc_pages(kMsrpmBytes / kPageSize);
  if (!iopm || !msrpm) return Err{SvmError::OutOfMemory};
  const InterceptedPorts& ports = intercepted_ports();
  auto& io_map = *mem::phys_to_ptr<u8[kIopmBytes]>(*iopm);
  for (usize i = 0; i < ports.count; ++i) set_io_intercept(io_map, ports.port[i]);
  auto& msr_map = *mem::phys_to_ptr<u8[kMsrpmBytes]>(*msrpm);
  for (u32 index : {x86::efer::kMsr, x86::vm_cr::kMsr, x86::kVmHsavePa, x86::kSvmLockKey})
    set_msr_intercept(msr_map, index, true, true);
  u32 policed[16];
  const usize n_policed = write_policed_msrs(policed, 16);
  for (usize i = 0; i < n_policed && i < 16; ++i) set_msr_intercept(msr_map, policed[i], false, true);
  integrity::protect("I/O permission map", *iopm, kIopmBytes);
  integrity::protect("MSR permission map", *msrpm, kMsrpmBytes);
  g_iopm = *iopm;
  g_msrpm = *msrpm;
  return Ok{};
}
}  // namespace

SvmVcpu& vcpu_at(u32 cpu_index) {
  return g_vcpus[cpu_index < smp::kMaxCpus ? cpu_index : 0];
}
SvmVcpu& boot_vcpu() {
  return g_vcpus[0];
}

// Re-inject an event cut short by the exit, except software interrupts and the
// INT3/INTO exceptions: without nRIP-save the CPU would return to the INT
// instruction itself and run it twice, so let the guest re-execute it instead
// (as KVM does).
bool must_reinject(u64 exit_int_info) {
  if ((exit_int_info & event::kValid) == 0) return false;
  u64 type = (exit_int_info >> 8) & 7;
  u64 vector = exit_int_info & 0xFF;
  if (type == event::kTypeSoftInt) return false;
  if (type == (event::kTypeException >> 8) && (vector == 3 || vector == 4)) return false;
  return true;
}

Status<SvmError> SvmVcpu::init(u64 nested_cr3) {
  if (g_iopm == 0) TV_TRY(build_permission_maps());
  auto vmcb = mem::alloc_pages(1);
  auto host = mem::alloc_pages(1);
  if (!vmcb || !host) return Err{SvmError::OutOfMemory};
  vmcb_pa_ = *vmcb;
  host_vmcb_pa_ = *host;
  vmcb_ = mem::phys_to_ptr<Vmcb>(vmcb_pa_);

  VmcbControl& c = vmcb_->control;
  // #UD: an Intel VMCALL on AMD arrives as one. #GP: SVM instructions at CPL > 0.
  // #DB: the VMM's watchpoints fire as #DB, and DR6 must be split between
  // the VMM and the guest (debug_exit.cpp). Always on: the intercept vector
  // is fixed after start-up (integrity), and the cost falls only on #DBs.
  c.intercept_exceptions = (1u << u32(Vector::UD)) | (1u << u32(Vector::GP)) | (1u << u32(Vector::DB));
  // INVLPGA too: the guest's EFER.SVME is really set (VMRUN requires it), so
  // without the intercept INVLPGA would run instead of raising #UD.
  // NMI: the way other CPUs stop this one (an INIT from the guest, a VMM
  // panic; kernel/smp.cpp); the guest's own NMIs are given back to it.
  c.intercept_misc1 = intercept::kNmi | intercept::kCpuid | intercept::kInvlpga | intercept::kIoioProt |
                      intercept::kMsrProt | intercept::kShutdown;
  c.intercept_misc2 = intercept::kVmrun | intercept::kVmmcall | intercept::kVmload | intercept::kVmsave |
                      intercept::kStgi | intercept::kClgi | intercept::kSkinit;
  // CR0 writes: QEMU accepts values hardware refuses (control_exit.cpp).
  // DR accesses: the guest's breakpoints must never be armed (debug_exit.cpp).
  c.intercept_cr_write = intercept::kCr0;
  c.intercept_dr_read = intercept::kDr0To7;
  c.intercept_dr_write = intercept::kDr0To7;
  c.iopm_base_pa = g_iopm;
  c.msrpm_base_pa = g_msrpm;
  c.np_control = 1;  // nested paging on (APM vol.2 §15.25.3)
  c.n_cr3 = nested_cr3;
  nested_cr3_ = nested_cr3;
  c.guest_asid = 1;
  c.tlb_control = 1;  // flush the whole TLB (all ASIDs) on the first entry
  // What enforces isolation never changes after start-up (APM vol.2 Table B-1 offsets).
  integrity::protect("VMCB intercept vectors", vmcb_pa_ + 0x00, 0x18);
  integrity::protect("VMCB permission-map addresses", vmcb_pa_ + 0x40, 0x10);
  integrity::protect("VMCB nested-paging enable", vmcb_pa_ + 0x90, 0x08);
  integrity::protect("VMCB nested CR3", vmcb_pa_ + 0xB0, 0x08);
  const x86::CpuidResult leaf1 = x86::cpuid(1), leaf7 = x86::cpuid(7, 0);
  limits_ = {efer_supported_bits(x86::cpuid(0x80000001).ecx, x86::cpuid(0x80000001).edx, x86::cpuid(0x80000008).ebx) |
                 x86::efer::kSvme,
             cr4_supported_bits(leaf1.ecx, leaf7.ebx, leaf7.ecx), nested_paging_facts().phys_bits};
  svm_vmsave(host_vmcb_pa_);
  return Ok{};
}

void SvmVcpu::enter_flat_protected_mode(const FlatProtectedEntry& e) {
  VmcbSave& s = vmcb_->save;
  constexpr u16 kCode32 = 0xC9B;  // G, D/B, P, S, type 0xB (execute/read, accessed)
  constexpr u16 kData32 = 0xC93;  // G, D/B, P, S, type 0x3 (read/write, accessed)
  s.cs = {0x10, kCode32, 0xFFFFFFFF, 0};
  for (VmcbSegment* seg : {&s.ds, &s.es, &s.ss, &s.fs, &s.gs}) *seg = {0x18, kData32, 0xFFFFFFFF, 0};
  s.gdtr = {0, 0, 0xFFFF, 0};
  s.idtr = {0, 0, 0xFFFF, 0};
  s.ldtr = {0, 0x82, 0xFFFF, 0};  // present LDT, empty
  s.tr = {0, 0x8B, 0xFFFF, 0};    // present busy 32-bit TSS
  s.cpl = 0;
  s.efer = x86::efer::kSvme;  // VMRUN requires guest EFER.SVME = 1 (APM vol.2 §15.5.1)
  s.cr0 = x86::cr0::kPe | x86::cr0::kEt;
  s.cr3 = 0;
  s.cr4 = 0;
  s.dr6 = 0xFFFF0FF0;
  s.dr7 = 0x400;
  s.g_pat = x86::kPatDefault;
  regs_ = {};
  regs_.rflags = x86::rflags::kReserved1;
  regs_.rip = e.rip;
  regs_.gpr[u8(Gpr::Rsp)] = e.rsp;
  regs_.gpr[u8(Gpr::Rax)] = e.rax;
  regs_.gpr[u8(Gpr::Rbx)] = e.rbx;
  regs_.gpr[u8(Gpr::Rsi)] = e.rsi;
  regs_.gpr[u8(Gpr::Rdi)] = e.rdi;
  store_regs_to_vmcb();
  vmm_wrote_checked_state_ = true;
  forget_code_state();
}

// An NMI that arrived while an event was being delivered waits for the next
// entry with nothing to re-inject: the interrupted event (already acknowledged
// at the interrupt controller) goes first, as the CPU would deliver it.
void SvmVcpu::inject_nmi() {
  if ((vmcb_->control.exit_int_info & event::kValid) != 0) {
    nmi_deferred_ = true;
    return;
  }
  vmcb_->control.event_inject = 2 | event::kTypeNmi | event::kValid;  // APM vol.2 §15.20: vector 2, type NMI
  injected_ = true;
}

void SvmVcpu::start_at_sipi(u8 vector) {
  VmcbSave& s = vmcb_->save;
  constexpr u16 kRealCode = 0x9B;  // present, S, execute/read, accessed
  constexpr u16 kRealData = 0x93;  // present, S, read/write, accessed
  s.cs = {smp::start_cs_selector(vector), kRealCode, 0xFFFF, smp::start_cs_base(vector)};
  for (VmcbSegment* seg : {&s.ds, &s.es, &s.ss, &s.fs, &s.gs}) *seg = {0, kRealData, 0xFFFF, 0};
  s.gdtr = {0, 0, 0xFFFF, 0};
  s.idtr = {0, 0, 0xFFFF, 0};
  s.ldtr = {0, 0x82, 0xFFFF, 0};
  s.tr = {0, 0x8B, 0xFFFF, 0};
  s.cpl = 0;
  s.efer = x86::efer::kSvme;
  s.cr0 = x86::cr0::kEt | x86::cr0::kNw | x86::cr0::kCd;  // 6000_0010h: the INIT value
  s.cr2 = 0;
  s.cr3 = 0;
  s.cr4 = 0;
  s.dr6 = 0xFFFF0FF0;
  s.dr7 = 0x400;
  // INIT disables the guest's breakpoints (SDM vol.3 Table 9-1: DR7 = 400h);
  // the VMM's own watchpoints on this vCPU stay. 400h passes every rule.
  (void)debug_regs_.set_checked(7, 0x400, DrContext{false, false, false});
  (void)debug_regs_.set_checked(6, 0xFFFF0FF0, DrContext{false, false, false});
  s.g_pat = x86::kPatDefault;
  VmcbControl& c = vmcb_->control;
  c.event_inject = 0;
  c.interrupt_shadow = 0;
  c.tlb_control = 1;
  injected_ = false;
  nmi_deferred_ = false;
  regs_ = {};
  regs_.rflags = x86::rflags::kReserved1;
  regs_.rip = 0;
  regs_.gpr[u8(Gpr::Rdx)] = x86::cpuid(1).eax;  // EDX after INIT: the processor signature
  store_regs_to_vmcb();
  vmm_wrote_checked_state_ = true;
  failed_vmruns_in_a_row_ = 0;
  forget_code_state();
}

void SvmVcpu::load_regs_from_vmcb() {
  const VmcbSave& v = vmcb_->save;
  forget_code_state();
  regs_.gpr[u8(Gpr::Rax)] = v.rax;
  regs_.gpr[u8(Gpr::Rsp)] = v.rsp;
  regs_.rip = v.rip;
  regs_.rflags = v.rflags;
}

void SvmVcpu::store_regs_to_vmcb() {
  VmcbSave& v = vmcb_->save;
  v.rax = regs_.gpr[u8(Gpr::Rax)];
  v.rsp = regs_.gpr[u8(Gpr::Rsp)];
  v.rip = regs_.rip;
  v.rflags = regs_.rflags;
}

void SvmVcpu::set_cr0_and_efer(u64 cr0, u64 efer) {
  vmcb_->save.cr0 = cr0;
  vmcb_->save.efer = efer | x86::efer::kSvme;
  vmm_wrote_checked_state_ = true;
  forget_code_state();
}

void SvmVcpu::flush_guest_tlb() {
  vmcb_->control.tlb_control = 1;
}

u64 SvmVcpu::guest_efer() const {
  return vmcb_->save.efer & ~x86::efer::kSvme;
}

void SvmVcpu::set_guest_efer(u64 v) {
  // LMA is the CPU's to set (APM vol.2 §14.6.2); SVME must stay on under SVM.
  u64 lma = vmcb_->save.efer & x86::efer::kLma;
  vmcb_->save.efer = (v & ~x86::efer::kLma) | lma | x86::efer::kSvme;
  vmm_wrote_checked_state_ = true;
  forget_code_state();
}

inline void SvmVcpu::fill_code_state() const {
  const VmcbSave& s = vmcb_->save;
  const u64 efer = s.efer & ~x86::efer::kSvme;
  const PagingState paging{s.cr0, s.cr3, s.cr4, efer};
  const CpuMode mode = cpu_mode_of(s.cr0, efer, regs_.rflags, s.cs.attrib);
  code_state_ = {paging, s.cs.base, mode, s.cpl, insn_cache_key(paging, mode)};
  code_state_valid_ = true;
}

void SvmVcpu::load_code_state() const {
  fill_code_state();
}

Segment SvmVcpu::segment_cs() const {
  const VmcbSegment& cs = vmcb_->save.cs;
  return {cs.selector, cs.base, cs.limit, cs.attrib};
}

// A handler injected an exception while an interrupted event was pending:
// resolve the pair as the CPU would (lib/src/event_combine.cpp).
void SvmVcpu::combine_with_pending(u64 pending) {
  bool first_is_exception = ((pending >> 8) & 7) == (event::kTypeException >> 8);
  u8 first = u8(pending & 0xFF);
  u8 second = u8(vmcb_->control.event_inject & 0xFF);
  switch (combine_events(first_is_exception, first, second)) {
    case Combined::DeliverSecond: return;
    case Combined::DoubleFault: return inject_exception(Vector::DF, true, 0);
    case Combined::TripleFault: handle_shutdown(*this);
  }
}

void SvmVcpu::inject_exception(Vector v, bool has_error_code, u32 error_code) {
  u64 ev = u64(v) | event::kTypeException | event::kValid;
  if (has_error_code) ev |= event::kErrorValid | (u64(error_code) << 32);
  vmcb_->control.event_inject = ev;
  injected_ = true;
}

Exit SvmVcpu::decode_exit() const {
  const VmcbControl& c = vmcb_->control;
  Exit e;
  e.vendor_code = c.exit_code;
  e.during_event_delivery = (c.exit_int_info & event::kValid) != 0;
  switch (c.exit_code) {
    case exit_code::kCpuid: e.reason = ExitReason::Cpuid; break;
    case exit_code::kMsr: e.reason = c.exit_info1 == 1 ? ExitReason::MsrWrite : ExitReason::MsrRead; break;
    case exit_code::kIoio: {
      u64 i = c.exit_info1;
      e.reason = ExitReason::IoAccess;
      e.io = {u16(i >> 16),          u8((i & ioio::kSize32) ? 4 : (i & ioio::kSize16) ? 2 : 1),
              (i & ioio::kIn) != 0,  (i & ioio::kString) != 0,
              (i & ioio::kRep) != 0, c.exit_info2};
      break;
    }
    case exit_code::kVmmcall: e.reason = ExitReason::Hypercall; break;
    case exit_code::kExceptionBase + u64(Vector::UD): e.reason = ExitReason::InvalidOpcode; break;
    case exit_code::kExceptionBase + u64(Vector::DB): e.reason = ExitReason::DebugException; break;
    case exit_code::kExceptionBase + u64(Vector::GP):
      e.reason = ExitReason::GeneralProtection;
      e.error_code = u32(c.exit_info1);  // APM vol.2 §15.12: EXITINFO1 holds the error code
      break;
    case exit_code::kVmrun:
    case exit_code::kInvlpga:
    case exit_code::kVmload:
    case exit_code::kVmsave:
    case exit_code::kStgi:
    case exit_code::kClgi:
    case exit_code::kSkinit: e.reason = ExitReason::VirtInstruction; break;
    case exit_code::kShutdown: e.reason = ExitReason::Shutdown; break;
    case exit_code::kNmi: e.reason = ExitReason::Nmi; break;
    case exit_code::kCr0Write: e.reason = ExitReason::Cr0Write; break;
    case exit_code::kNpf:
      e.reason = ExitReason::NestedPageFault;
      e.npf = {c.exit_info2, (c.exit_info1 & 2) != 0, (c.exit_info1 & 1) != 0};
      break;
    default:
      if (c.exit_code >= exit_code::kDrReadBase && c.exit_code < exit_code::kDrWriteBase + 8) {
        const bool write = c.exit_code >= exit_code::kDrWriteBase;
        e.reason = write ? ExitReason::DrWrite : ExitReason::DrRead;
        e.debug_register = u8(c.exit_code - (write ? exit_code::kDrWriteBase : exit_code::kDrReadBase));
        break;
      }
      e.reason = ExitReason::Other;
      break;
  }
  return e;
}

// Before every VMRUN: repair what the guest cannot see (CS.D in 64-bit code,
// reachable on QEMU) and stop on anything else VMRUN would refuse, naming it,
// while the VMCB still holds the guest's state (a failed VMRUN on QEMU
// overwrites the save area with the host's).
inline void SvmVcpu::check_guest_state() {
  if (vmm_wrote_checked_state_) [[unlikely]]
    return check_all_guest_state();
  const VmcbSave& s = vmcb_->save;
  if (vmrun_guest_writable_state_plainly_legal({s.cr0, s.cr3, s.cr4, s.efer, s.cs.attrib, 0, 0}, limits_)) [[likely]]
    return;
  repair_or_end_run();
}

// After the VMM wrote CR0, EFER, DR6 or DR7 (or QEMU may have): every field.
void SvmVcpu::check_all_guest_state() {
  const VmcbSave& s = vmcb_->save;
  if (vmrun_state_plainly_legal({s.cr0, s.cr3, s.cr4, s.efer, s.cs.attrib, s.dr6, s.dr7}, limits_)) {
    vmm_wrote_checked_state_ = false;
    return;
  }
  repair_or_end_run();
}

void SvmVcpu::run() {
  if (this_cpu().cpu_index == 0) {
    TV_LOG("VMRUN: entering the guest at rip %lx (vmcb %lx, nested cr3 %lx)", vmcb_->save.rip, vmcb_pa_,
           vmcb_->control.n_cr3);
    // Under QEMU -icount the TSC counts instructions: this is the VMM's whole start-up cost.
    TV_LOG("VMM start-up: %lu TSC ticks from the multiboot entry to the first VMRUN", x86::rdtsc() - boot_tsc());
  }
  svm_clgi();  // and every #VMEXIT leaves GIF clear: interrupts wait for the guest
  for (;;) {
    if (nmi_deferred_ && (vmcb_->control.event_inject & event::kValid) == 0) [[unlikely]] {
      vmcb_->control.event_inject = 2 | event::kTypeNmi | event::kValid;
      nmi_deferred_ = false;
    }
    store_regs_to_vmcb();
    const DebugCpuState& cpu_dr = this_cpu().debug;
    if (cpu_dr.generation != debug_regs_.generation() || cpu_dr.file != &debug_regs_) [[unlikely]]
      load_debug_registers();
    dr6_at_entry_ = vmcb_->save.dr6;
    check_guest_state();
    svm_vmrun(&regs_, vmcb_pa_, host_vmcb_pa_, vmcb_->save.dr7);
    load_regs_from_vmcb();
    VmcbControl& c = vmcb_->control;
    c.tlb_control = 0;
    // VMEXIT_INVALID is -1; QEMU 7.2 stores it as a 32-bit -1, so compare the low half.
    if (u32(c.exit_code) == u32(exit_code::kInvalid)) {
      handle_vmrun_failure();
      continue;
    }
    failed_vmruns_in_a_row_ = 0;
    // An event that was being delivered when the exit happened must not be lost
    // (APM vol.2 §15.7.2 EXITINTINFO); re-inject it unless a handler injects one.
    u64 pending = c.exit_int_info;
    injected_ = false;
    c.event_inject = 0;
    // Both decode the instruction at RIP: read its context here, without the virtual call.
    if (c.exit_code == exit_code::kCpuid) {
      fill_code_state();
      handle_cpuid_exit(*this);
    } else if (c.exit_code == exit_code::kVmmcall) {
      fill_code_state();
      handle_vmmcall_exit(*this);
    } else
      handle_exit(*this, decode_exit());
    if (!injected_ && must_reinject(pending))
      c.event_inject = pending;
    else if (injected_ && (pending & event::kValid) != 0)
      combine_with_pending(pending);
  }
}

namespace {
// DR0-DR3 on this CPU, DR7 in the VMCB (VMRUN loads it with the guest state).
class SvmDebugHardware {
 public:
  explicit SvmDebugHardware(VmcbSave& save) : save_(save) {}
  void load_dr(u8 n, u64 value) { x86::write_dr(n, value); }
  void set_guest_dr7(u64 value) { save_.dr7 = value; }

 private:
  VmcbSave& save_;
};
}  // namespace

// The guest's debug-register file changed (or another vCPU ran here last):
// the VMM runs with DR7 = 400h, so the addresses go in first, then DR7 into
// the VMCB (lib/src/debug_regs.cpp prepare_debug_entry).
void SvmVcpu::load_debug_registers() {
  SvmDebugHardware hw(vmcb_->save);
  prepare_debug_entry(debug_regs_, this_cpu().debug, hw);
  // No full pre-VMRUN check needed: hardware_dr7() has only bits the file
  // builds (enables, R/W, LEN, bit 10), so VMRUN's DR7 rule (bits 63:32
  // zero, APM vol.2 §15.5.1) holds by construction.
}

// Kept out of line so the common path above stays a handful of instructions.
void SvmVcpu::repair_or_end_run() {
  VmcbSave& s = vmcb_->save;
  VmrunState st{s.cr0, s.cr3, s.cr4, s.efer, s.cs.attrib, s.dr6, s.dr7};
  if (repair_invisible(st)) s.cs.attrib = st.cs_attrib;
  VmrunFault f = check_vmrun_state(st, limits_);
  if (f == VmrunFault::None) {
    vmm_wrote_checked_state_ = false;
    return;
  }
  TV_LOG("the guest reached a state VMRUN refuses: %s", to_string(f));
  dump_state("guest state VMRUN would refuse");
  print_run_report("guest state VMRUN refuses");
  end_run(RunEnd::GuestStateRejected);
}

// QEMU raises VMEXIT_INVALID itself, from inside the guest, for a MOV CR3 or
// MOV CR4 with a value it would not enter the guest with (bits above the
// physical address width, reserved CR4 bits); RIP is still at the MOV. Real
// hardware raises #GP(0) there, so that is what the guest gets. Anything else
// is a state the pre-VMRUN check missed: end the run and say so.
void SvmVcpu::handle_vmrun_failure() {
  vmm_wrote_checked_state_ = true;  // QEMU may have left anything in the save area
  const DecodedInsn d = decode_at_rip(*this);
  // A #GP that does not get the guest going again (VMRUN fails once more
  // before the guest ran) would loop forever: then it was not the MOV.
  const bool first_in_a_row = ++failed_vmruns_in_a_row_ == 1;
  if (first_in_a_row && d.kind == InsnKind::MovToCr && (d.reg == 3 || d.reg == 4)) {
    TV_LOG_GUEST("guest MOV CR%u at rip %lx with a value the CPU refuses: #GP", unsigned(d.reg), regs_.rip);
    injected_ = false;
    vmcb_->control.event_inject = 0;
    inject_exception(Vector::GP, true, 0);
    return;
  }
  dump_state("VMRUN failed: invalid guest state (VMEXIT_INVALID); the save area may hold the VMM's state");
  print_run_report("VMRUN rejected the guest state");
  end_run(RunEnd::GuestStateRejected);
}

void SvmVcpu::dump_state(const char* why) const {
  const VmcbSave& s = vmcb_->save;
  const VmcbControl& c = vmcb_->control;
  TV_LOG("%s", why);
  log::printf("  exit %lx info1 %lx info2 %lx intinfo %lx\n", c.exit_code, c.exit_info1, c.exit_info2, c.exit_int_info);
  const u64* g = regs_.gpr;
  log::printf("  rip %016lx rsp %016lx rflags %016lx cpl %u\n", regs_.rip, g[4], regs_.rflags, unsigned(s.cpl));
  log::printf("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", g[0], g[3], g[1], g[2]);
  log::printf("  rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n", g[6], g[7], g[5], g[8]);
  log::printf("  r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n", g[9], g[10], g[11], g[12]);
  log::printf("  r13 %016lx r14 %016lx r15 %016lx\n", g[13], g[14], g[15]);
  log::printf("  cr0 %016lx cr2 %016lx cr3 %016lx cr4 %016lx efer %016lx\n", s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
  log::printf("  cs %04x/%016lx/%x/%03x ss %04x idtr %016lx/%x gdtr %016lx/%x\n", s.cs.selector, s.cs.base, s.cs.limit,
              s.cs.attrib, s.ss.selector, s.idtr.base, s.idtr.limit, s.gdtr.base, s.gdtr.limit);
}

}  // namespace tv::svm
