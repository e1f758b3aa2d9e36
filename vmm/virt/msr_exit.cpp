// The MSRs the VMM intercepts (everything else passes through); the policy
// itself is hardware-free in lib/src/msr_policy.cpp.
// The MSRs the VMM intercepts (everything else passes through): EFER, whose
// SVME bit the guest must neither see nor clear, and the SVM control MSRs,
// which a guest without SVM must not reach.
#include "arch/x86/cpu.hpp"
#include "kernel/dma_protection.hpp"
#include "kernel/log.hpp"
#include "kernel/platform.hpp"
#include "kernel/smp.hpp"
#include "tv/apic_policy.hpp"
#include "tv/msr_policy.hpp"
#include "tv/svm_permission_maps.hpp"
#include "virt/exit_dispatch.hpp"
#include "virt/instruction.hpp"
#include "virt/run_report.hpp"

extern "C" bool safe_rdmsr(tv::u32 msr, tv::u64* value);
extern "C" bool safe_wrmsr(tv::u32 msr, tv::u64 value);

namespace tv {
namespace {
u64 host_efer_supported() {
  static const u64 bits =
      efer_supported_bits(x86::cpuid(0x80000001).ecx, x86::cpuid(0x80000001).edx, x86::cpuid(0x80000008).ebx);
  return bits;
}
// IA32_APIC_BASE: moving the local APIC would move it out of the write-
// protected window (apic_exit.cpp), so relocation is refused.
void apic_base_write(Vcpu& vcpu, u64 value) {
  u64 current = 0;
  if (!safe_rdmsr(apic::kApicBaseMsr, &current)) return vcpu.inject_exception(Vector::GP, true, 0);
  const bool x2apic = (x86::cpuid(1).ecx & (1u << 21)) != 0;
  const u32 phys_bits = u8(x86::cpuid(0x80000008).eax);
  const apic::Decision d = apic::on_apic_base_write(current, value, x2apic, phys_bits);
  if (d.verdict == apic::Verdict::RaiseGp || !safe_wrmsr(apic::kApicBaseMsr, d.value)) {
    TV_LOG_GUEST("guest wrmsr IA32_APIC_BASE <- %lx refused (#GP): %s", value,
                 d.reason ? d.reason : "the CPU refused it");
    return vcpu.inject_exception(Vector::GP, true, 0);
  }
  skip_instruction(vcpu, InsnKind::Wrmsr, 2);
}

// x2APIC mode reaches the ICR and the LVTs through MSRs (0x82F, 0x830,
// 0x832-0x837), intercepted for writing when the CPU has x2APIC: the same
// policy as the xAPIC window (apic_exit.cpp). QEMU 7.2's TCG has no x2APIC,
// so this path runs on hardware and KVM only.
bool is_x2apic_policed(u32 index) {
  return index == 0x82F || index == 0x830 || (index >= 0x832 && index <= 0x837);
}

void x2apic_write(Vcpu& vcpu, u32 index, u64 value) {
  u64 self = 0;
  if (!safe_rdmsr(0x802, &self)) return vcpu.inject_exception(Vector::GP, true, 0);  // not in x2APIC mode
  if (index == apic::kX2apicMsrIcr) {
    const apic::Icr icr = apic::decode_x2apic_icr(value);
    if (icr.mode == apic::DeliveryMode::Nmi && !smp::nmi_may_reach(icr)) {
      TV_LOG_GUEST("guest NMI IPI dropped: it could reach a CPU outside the VMM");
      return skip_instruction(vcpu, InsnKind::Wrmsr, 2);
    }
  }
  const apic::Decision d = apic::on_x2apic_msr_write(index, value, u32(self));
  switch (d.verdict) {
    case apic::Verdict::Pass:
    case apic::Verdict::PassModified:
      if (!safe_wrmsr(index, d.value)) return vcpu.inject_exception(Vector::GP, true, 0);
      break;
    case apic::Verdict::Drop: TV_LOG_GUEST("guest wrmsr %x <- %lx dropped: %s", index, value, d.reason); break;
    case apic::Verdict::InitCpu: smp::guest_init(d.target); break;
    case apic::Verdict::StartCpu: smp::guest_sipi(d.target, d.sipi_vector); break;
    case apic::Verdict::RaiseGp: return vcpu.inject_exception(Vector::GP, true, 0);
    case apic::Verdict::GuestReset:
      TV_LOG("guest resets its CPU (%s); the run ends here", d.reason);
      print_run_report("guest reset");
      end_run(RunEnd::GuestReset);
  }
  skip_instruction(vcpu, InsnKind::Wrmsr, 2);
}

}  // namespace

usize write_policed_msrs(u32* out, usize max) {
  usize n = 0;
  auto add = [&](u32 index) {
    if (n < max) out[n] = index;
    ++n;
  };
  add(apic::kApicBaseMsr);
  add(kMmioConfigBaseMsr);
  if ((x86::cpuid(1).ecx & (1u << 21)) != 0)
    for (u32 index = 0x82F; index <= 0x837; ++index)
      if (is_x2apic_policed(index)) add(index);
  return n;
}

void handle_msr(Vcpu& vcpu, bool write) {
  u32 index = u32(vcpu.gpr(Gpr::Rcx));
  if (write) {
    u64 value = (vcpu.gpr(Gpr::Rdx) << 32) | u32(vcpu.gpr(Gpr::Rax));
    if (index == apic::kApicBaseMsr) return apic_base_write(vcpu, value);
    if (is_x2apic_policed(index)) return x2apic_write(vcpu, index, value);
    if (index == kMmioConfigBaseMsr) {
      u64 current = 0;
      const bool known = safe_rdmsr(index, &current);
      if (!mmio_config_base_write_allowed(dma::protecting(), known, current, value)) {
        TV_LOG_GUEST("guest wrmsr %x <- %lx refused (#GP): it would move the ECAM window that hides the IOMMU", index,
                     value);
        return vcpu.inject_exception(Vector::GP, true, 0);
      }
      if (!safe_wrmsr(index, value)) return vcpu.inject_exception(Vector::GP, true, 0);
      return skip_instruction(vcpu, InsnKind::Wrmsr, 2);
    }
    if (!msrpm_covers(index)) {
      // Outside the permission map every access exits; the guest owns the
      // machine, so the CPU decides (a fault becomes the guest's #GP).
      if (!safe_wrmsr(index, value)) {
        TV_LOG_GUEST("guest wrmsr %x passed through: the CPU refused it (#GP)", index);
        return vcpu.inject_exception(Vector::GP, true, 0);
      }
      return skip_instruction(vcpu, InsnKind::Wrmsr, 2);
    }
    if (!guest_msr_write_allowed(index, value, {vcpu.guest_efer(), vcpu.cr0(), host_efer_supported()})) {
      TV_LOG_GUEST("guest wrmsr %x <- %lx refused (#GP)", index, value);
      return vcpu.inject_exception(Vector::GP, true, 0);
    }
    vcpu.set_guest_efer(value);  // EFER is the only MSR a guest may write here
    return skip_instruction(vcpu, InsnKind::Wrmsr, 2);
  }
  MsrRead r = guest_msr_read(index, vcpu.guest_efer());
  if (!r.ok && !msrpm_covers(index)) {
    r.ok = safe_rdmsr(index, &r.value);
    if (!r.ok) TV_LOG_GUEST("guest rdmsr %x passed through: the CPU refused it (#GP)", index);
  }
  if (!r.ok) {
    TV_LOG_GUEST("guest rdmsr %x refused (#GP)", index);
    return vcpu.inject_exception(Vector::GP, true, 0);
  }
  vcpu.set_gpr(Gpr::Rax, u32(r.value));
  vcpu.set_gpr(Gpr::Rdx, r.value >> 32);
  skip_instruction(vcpu, InsnKind::Rdmsr, 2);
}

}  // namespace tv
