// Flow 1 of docs/ARCHITECTURE.md: the backend turns a VM exit into an Exit and
// calls handle_exit; the handler edits the Vcpu; the backend resumes the guest.
#pragma once
#include "virt/exit.hpp"
#include "virt/vcpu.hpp"

namespace tv {

void handle_exit(Vcpu& vcpu, const Exit& exit);
// The same for the two exits a guest makes most, which carry nothing but their
// reason: a backend may call these straight from its exit code, without
// building an Exit.
void handle_cpuid_exit(Vcpu& vcpu);
void handle_vmmcall_exit(Vcpu& vcpu);

// Individual handlers (one file each).
void handle_cpuid(Vcpu& vcpu);
void handle_msr(Vcpu& vcpu, bool write);
// The MSRs whose writes handle_msr must see besides EFER and the SVM MSRs:
// IA32_APIC_BASE, and the x2APIC ICR/LVTs when the CPU has x2APIC. Writes
// up to max to out; returns how many there are.
usize write_policed_msrs(u32* out, usize max);
void handle_io(Vcpu& vcpu, const IoExit& io);
void handle_hypercall(Vcpu& vcpu, InsnKind instruction);
void handle_invalid_opcode(Vcpu& vcpu);
void handle_general_protection(Vcpu& vcpu, u32 error_code);
[[noreturn]] void handle_shutdown(Vcpu& vcpu);
void handle_nested_page_fault(Vcpu& vcpu, const Exit& exit);
void handle_cr0_write(Vcpu& vcpu);
// The local APIC window and the IOAPIC page, write-protected in the nested tables (apic_exit.cpp).
bool is_interrupt_controller_page(u64 gpa);
void handle_interrupt_controller_store(Vcpu& vcpu, u64 gpa);
void handle_debug_register_access(Vcpu& vcpu, u8 dr, bool write);
void handle_debug_exception(Vcpu& vcpu);

}  // namespace tv
