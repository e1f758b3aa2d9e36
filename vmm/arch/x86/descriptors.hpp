// The VMM's own GDT, TSS and IDT (AMD APM vol.2 §4.8 long-mode segment
// descriptors, §12.2.5 64-bit TSS, §8.9 long-mode interrupt control transfers).
#pragma once
#include "tv/types.hpp"

namespace tv::x86 {

inline constexpr u16 kKernelCs = 0x08;
inline constexpr u16 kKernelDs = 0x10;
inline constexpr u16 kTssSel = 0x18;

// Loads the GDT (with a TSS whose IST1 stack serves #DF, NMI and #MC) and an
// IDT covering vectors 0-31, each of which logs a register dump and ends the run.
void init_descriptors();

// Where the tables are, for the integrity check (kernel/integrity.hpp).
struct DescriptorTables {
  Range gdt, idt, tss;
};
DescriptorTables descriptor_tables();

}  // namespace tv::x86
