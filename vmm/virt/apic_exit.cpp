// Guest stores to the interrupt controllers. The nested page tables map the
// local APIC window (0xFEE00000-0xFEEFFFFF, where QEMU also turns CPU stores
// into MSIs) and the IOAPIC page read-only, so every store exits here; the
// VMM decodes it, asks lib/src/apic_policy.cpp, and performs it (maybe
// changed) itself. Why: an INIT to the guest's own CPU resets it out of guest
// mode on QEMU (a full escape), and an SMI makes QEMU write the SMM save area
// with host-physical stores past the nested page tables (issue 7). INIT and
// start-up IPIs to other CPUs never reach the hardware either: the VMM
// emulates them on the target vCPUs (kernel/smp.cpp), which trapping the
// xAPIC page already in hand makes free — and a real INIT would reset a
// CPU out of the VMM. Reads are
// not affected. The few stores that are not plain MOV/XCHG (never used by
// Linux) get #GP rather than a half-emulated result.
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/platform.hpp"
#include "kernel/smp.hpp"
#include "tv/apic_policy.hpp"
#include "tv/spinlock.hpp"
#include "virt/exit_dispatch.hpp"
#include "virt/instruction.hpp"
#include "virt/run_report.hpp"

namespace tv {
namespace {

constexpr u64 kIoapicBase = 0xFEC00000;  // QEMU's and the PC default; see docs/ARCHITECTURE.md
constexpr u32 kIoapicRegSel = 0x00;
constexpr u32 kIoapicWindow = 0x10;

volatile u32& mmio32(u64 pa) {
  return *mem::phys_to_ptr<volatile u32>(pa);
}

[[noreturn]] void guest_reset(const char* why) {
  TV_LOG("guest resets its CPU (%s); the run ends here", why);
  print_run_report("guest reset");
  end_run(RunEnd::GuestReset);
}

// Applies one decision to a 32-bit MMIO register.
void apply(const apic::Decision& d, u64 pa) {
  switch (d.verdict) {
    case apic::Verdict::Pass: mmio32(pa) = u32(d.value); return;
    case apic::Verdict::PassModified:
      TV_LOG_GUEST("guest store to %lx changed to %lx: %s", pa, d.value, d.reason);
      mmio32(pa) = u32(d.value);
      return;
    case apic::Verdict::Drop:
    case apic::Verdict::RaiseGp: TV_LOG_GUEST("guest store to %lx dropped: %s", pa, d.reason); return;
    case apic::Verdict::GuestReset: guest_reset(d.reason);
    case apic::Verdict::InitCpu: return smp::guest_init(d.target);  // emulated: kernel/smp.cpp
    case apic::Verdict::StartCpu: return smp::guest_sipi(d.target, d.sipi_vector);
  }
}

void lapic_store32(u64 gpa, u32 value) {
  const u32 offset = u32(gpa - apic::kWindowBase);
  if (apic::is_msi_write(gpa)) {
    const apic::Msi m = apic::decode_msi(gpa, value);
    if (m.mode == apic::DeliveryMode::Nmi && !smp::msi_nmi_may_reach(m.destination, m.logical)) {
      TV_LOG_GUEST("guest NMI message to %u dropped: it could reach a CPU outside the VMM", m.destination);
      return;
    }
    return apply(apic::on_msi_write(gpa, value), gpa);
  }
  const u64 page = apic::kWindowBase;
  const u32 icr_high = mmio32(page + apic::kRegIcrHigh);
  const u32 self_id = mmio32(page + apic::kRegId) >> 24;
  if ((offset & 0xFF0) == apic::kRegIcrLow) {
    const apic::Icr icr = apic::decode_xapic_icr(value, icr_high);
    if (icr.mode == apic::DeliveryMode::Nmi && !smp::nmi_may_reach(icr)) {
      TV_LOG_GUEST("guest NMI IPI dropped: it could reach a CPU outside the VMM");
      return;
    }
  }
  apply(apic::on_xapic_write(offset, value, icr_high, self_id), gpa);
}

// IOREGSEL is one register for the whole machine: reading it and writing the
// window it selects must be one step for all CPUs, or another CPU could move
// IOREGSEL in between and an entry judged as register 0x01 would land in a
// redirection entry (an INIT- or SMI-mode one).
SpinLock g_ioapic_lock;

void ioapic_store32(u64 gpa, u32 value) {
  SpinGuard g(g_ioapic_lock);
  const u32 offset = u32(gpa - kIoapicBase);
  if (offset == kIoapicWindow) {
    const u8 index = u8(mmio32(kIoapicBase + kIoapicRegSel));
    const bool redirection_low = index >= apic::kIoapicRedirFirst && index <= apic::kIoapicRedirLast && index % 2 == 0;
    if (redirection_low && apic::decode_redirection_low(value).mode == apic::DeliveryMode::Nmi &&
        smp::firmware_cpus_remain()) {
      TV_LOG_GUEST("guest IOAPIC entry %u with NMI mode masked: it could reach a CPU outside the VMM", unsigned(index));
      mmio32(gpa) = value | apic::kMasked;
      return;
    }
    return apply(apic::on_ioapic_redirection_write(index, value), gpa);
  }
  mmio32(gpa) = value;  // IOREGSEL, EOI: harmless
}

}  // namespace

bool is_interrupt_controller_page(u64 gpa) {
  return (gpa >= apic::kWindowBase && gpa < apic::kWindowBase + apic::kWindowSize) ||
         (gpa >= kIoapicBase && gpa < kIoapicBase + kPageSize);
}

void handle_interrupt_controller_store(Vcpu& vcpu, u64 gpa) {
  const DecodedInsn d = decode_at_rip(vcpu);
  Store st{};
  if (!store_of(vcpu, d, st)) {
    TV_LOG_GUEST("guest store to interrupt controller %lx at rip %lx by %s is not emulated: #GP", gpa, vcpu.rip(),
                 to_string(d.kind));
    return vcpu.inject_exception(Vector::GP, true, 0);
  }
  if ((gpa & 3) != 0 || st.size < 4) {
    // QEMU ignores sub-dword and unaligned APIC accesses; so does the VMM.
    TV_LOG_GUEST("guest %u-byte store to %lx ignored (APIC registers take aligned dwords)", unsigned(st.size), gpa);
  } else {
    const bool lapic = gpa >= apic::kWindowBase;
    u64 old = 0;
    for (u8 half = 0; half < st.size / 4; ++half) {  // a qword store is two dword stores
      const u64 at = gpa + 4u * half;
      if (!is_interrupt_controller_page(at)) break;
      if (d.kind == InsnKind::Xchg) old |= u64(mmio32(at)) << (32 * half);
      const u32 v = u32(st.value >> (32 * half));
      if (lapic)
        lapic_store32(at, v);
      else
        ioapic_store32(at, v);
    }
    if (d.kind == InsnKind::Xchg) vcpu.set_gpr(Gpr(d.reg & 15), old);  // a 32-bit write zero-extends
  }
  vcpu.advance_rip(d.length);
}

}  // namespace tv
