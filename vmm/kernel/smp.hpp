// The machine's CPUs under the VMM (docs/ARCHITECTURE.md "CPUs"): the boot
// CPU finds the others in the MADT and starts each into the VMM with
// INIT-SIPI-SIPI (arch/x86/ap_start.S); each enables SVM with its own host
// save area and VMCB on the one shared nested page table, and waits, parked
// in the VMM, for the guest's own INIT and start-up IPI, which the VMM
// emulates (virt/apic_exit.cpp posts them here). A CPU that must stop what it
// is doing (INIT of a running vCPU, a VMM panic elsewhere) is sent an NMI:
// in the guest it exits (the NMI intercept), in the VMM it is taken at the
// next STGI.
#pragma once
#include "tv/apic_policy.hpp"
#include "tv/types.hpp"

namespace tv {
class GuestPhysical;
class Vcpu;
}  // namespace tv

namespace tv::smp {

// The boot CPU's PerCpu, GS base and descriptor tables; first thing in kmain.
void init_boot_cpu();
// Starts every enabled AP of the MADT (at most max_cpus CPUs in all) into the
// VMM, each with a vCPU on nested_cr3, parked for the guest; then disables in
// the MADT every CPU that did not start. Before the guest is loaded (it uses
// a page below 1 MiB for the start-up code while the guest owns nothing yet).
void start_aps(const GuestPhysical& mem, u64 nested_cr3, u32 max_cpus);

// The guest on this CPU sent an INIT / a start-up IPI to other CPUs (apic_exit.cpp, msr_exit.cpp).
void guest_init(const apic::IpiTarget& target);
void guest_sipi(const apic::IpiTarget& target, u8 vector);

// #VMEXIT(NMI) on this CPU: take the NMI, apply the guest's INIT/SIPI posted
// for this vCPU (an INIT parks it, and then this does not return), give the
// guest an NMI that was not the VMM's.
void handle_nmi_exit(Vcpu& vcpu);
// The VMM's NMI handler (exceptions.cpp), on the interrupted frame's RIP.
void on_host_nmi(u64& rip);

// A VMM panic or exception: the first CPU to call this stops all others
// (they halt at their next NMI) and returns true; any later caller halts.
bool stop_other_cpus();
// May a guest NMI with this destination be delivered? Only a CPU the VMM
// neither runs nor parked for good could take it outside SVM (an APIC ID of
// 255 or more, or a CPU that did not start): while there is one, NMIs to it,
// to logical destinations, to the broadcast ID and by all-CPU shorthands are
// refused (apic_exit.cpp, msr_exit.cpp); otherwise every NMI may pass.
bool nmi_may_reach(const apic::Icr& icr);
bool msi_nmi_may_reach(u8 destination, bool logical);
bool firmware_cpus_remain();

// This CPU's index, or 0 before the per-CPU state exists (early panics).
u32 this_cpu_index();
// selftest.fault_on_cpu=K: CPU K (an AP) faults in the VMM right after the
// guest starts it, to prove one CPU's exception stops the others (tests).
void set_fault_on_start(u32 cpu_index);

}  // namespace tv::smp
