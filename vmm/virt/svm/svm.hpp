// The AMD-V backend: detection, enabling, and the one SVM vCPU.
#pragma once
#include "tv/result.hpp"
#include "tv/vmm_placement.hpp"
#include "tv/vmrun_check.hpp"
#include "virt/exit.hpp"
#include "virt/svm/vmcb.hpp"
#include "virt/vcpu.hpp"

namespace tv::svm {

enum class SvmError : u8 { NoSvm = 1, DisabledByFirmware, NoNestedPaging, OutOfMemory };
const char* to_string(SvmError e);

// Checks CPUID (APM vol.2 §15.4 "Enabling SVM") and VM_CR.SVMDIS, then sets
// EFER.SVME and VM_HSAVE_PA (a host save area per CPU). Every CPU calls it.
Status<SvmError> enable(bool log_features = true);

class SvmVcpu final : public Vcpu {
 public:
  Status<SvmError> init(u64 nested_cr3);
  [[noreturn]] void run() override;
  u64 nested_cr3() const { return nested_cr3_; }
  void inject_nmi() override;
  void start_at_sipi(u8 vector) override;

  u64 cr0() const override { return vmcb_->save.cr0; }
  u64 cr2() const override { return vmcb_->save.cr2; }
  u64 cr3() const override { return vmcb_->save.cr3; }
  u64 cr4() const override { return vmcb_->save.cr4; }
  u64 guest_efer() const override;
  void set_guest_efer(u64 v) override;
  Segment segment_cs() const override;
  void inject_exception(Vector v, bool has_error_code, u32 error_code) override;
  void enter_flat_protected_mode(const FlatProtectedEntry& e) override;
  void dump_state(const char* why) const override;
  u64 dr6() const override { return vmcb_->save.dr6; }
  u64 guest_lstar() const override { return vmcb_->save.lstar; }  // VMSAVE'd after every exit
  void set_dr6(u64 v) override {
    vmcb_->save.dr6 = v;
    vmm_wrote_checked_state_ = true;
  }
  void clear_interrupt_shadow() override { vmcb_->control.interrupt_shadow &= ~1ull; }
  void set_cr0_and_efer(u64 cr0, u64 efer) override;
  void flush_guest_tlb() override;

 private:
  void load_code_state() const override;
  [[gnu::always_inline]] void fill_code_state() const;
  Exit decode_exit() const;
  void load_regs_from_vmcb();  // after #VMEXIT: RAX, RSP, RIP, RFLAGS live in the VMCB
  void store_regs_to_vmcb();   // before VMRUN
  void combine_with_pending(u64 pending);
  void check_guest_state();
  [[gnu::noinline]] void check_all_guest_state();
  [[gnu::noinline]] void repair_or_end_run();
  void handle_vmrun_failure();
  [[gnu::noinline]] void load_debug_registers();
  VmrunLimits limits_{};
  u32 failed_vmruns_in_a_row_ = 0;
  Vmcb* vmcb_ = nullptr;
  u64 vmcb_pa_ = 0;
  u64 nested_cr3_ = 0;
  u64 host_vmcb_pa_ = 0;
  bool injected_ = false;
  bool nmi_deferred_ = false;  // a guest NMI waiting for an entry with no event to re-inject
  // The VMM wrote CR0, EFER, DR6 or DR7 (or QEMU may have) since the last full
  // pre-VMRUN test; until then the guest can change only CR3, CR4 and CS.
  bool vmm_wrote_checked_state_ = true;
};

// One vCPU per CPU (kernel/smp.cpp); index 0 is the boot CPU's.
SvmVcpu& vcpu_at(u32 cpu_index);
SvmVcpu& boot_vcpu();
bool must_reinject(u64 exit_int_info);

// Nested paging (APM vol.2 §15.25): identity map of the whole guest-physical
// space, with the VMM's own region redirected to one scratch page and the
// given ranges write-protected. Built once; returns the nCR3 value.
struct NestedPagingFacts {
  u8 phys_bits;    // CPUID 8000_0008h EAX[7:0]
  bool gib_pages;  // CPUID 8000_0001h EDX bit 26
};
NestedPagingFacts nested_paging_facts();
// The VMM's region and `hidden` (the IOMMUs' windows) read and write a scratch
// page; `read_only` pages exit on stores. At most NestedMapSpec::kMaxRanges each.
Result<u64, SvmError> build_nested_page_tables(Range vmm_region, const Range* hidden, usize hidden_count,
                                               const Range* read_only, usize read_only_count);

}  // namespace tv::svm
