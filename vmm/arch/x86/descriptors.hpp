// The VMM's own GDT, TSS and IDT (AMD APM vol.2 §4.8 long-mode segment
// descriptors, §12.2.5 64-bit TSS, §8.9 long-mode interrupt control transfers).
#pragma once
#include "tv/types.hpp"

namespace tv::x86 {

inline constexpr u16 kKernelCs = 0x08;
inline constexpr u16 kKernelDs = 0x10;
inline constexpr u16 kTssSel = 0x18;
inline constexpr u16 kUserSs = 0x28 | 3;  // ring-3 selectors of protection domains
inline constexpr u16 kUserCs = 0x30 | 3;
inline constexpr u8 kSyscallVector = 0x80;
inline constexpr usize kEntryStackBytes = 8192;  // ENTRY_STACK_BYTES in vmm/domain/ring3.S

// Loads CPU cpu_index's GDT (with a TSS whose IST1 stack serves #DF, NMI and
// #MC) and the IDT covering vectors 0-31 (and 0x80, the domains' syscall
// gate; built by CPU 0), each of which logs a register dump and ends the run
// (NMI: vmm/kernel/exceptions.cpp). percpu is stored above the top of the
// CPU's entry and IST stacks (vmm/domain/ring3.S). Returns TSS.RSP0.
u64 init_descriptors(u32 cpu_index, u64 percpu);

// The VMM pages a domain's address space maps (supervisor-only): the
// trampoline code (read-only), the tables (read-only), the entry/IST stacks.
struct TrampolineRegions {
  Range text, tables, stacks;
};
TrampolineRegions trampoline_regions();
void set_trampoline_kernel_cr3(u64 cr3);

// Where the tables are, for the integrity check (kernel/integrity.hpp).
struct DescriptorTables {
  Range gdt_and_tss, idt;
};
DescriptorTables descriptor_tables();

}  // namespace tv::x86
