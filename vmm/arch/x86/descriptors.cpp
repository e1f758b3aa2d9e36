#include "arch/x86/descriptors.hpp"

namespace tv::x86 {
namespace {

struct [[gnu::packed]] Tss64 {  // AMD APM vol.2 §12.2.5, Figure 12-8
  u32 reserved0;
  u64 rsp[3];
  u64 reserved1;
  u64 ist[7];
  u64 reserved2;
  u16 reserved3;
  u16 iomap_base;
};
static_assert(sizeof(Tss64) == 104);

struct [[gnu::packed]] IdtGate {  // AMD APM vol.2 §4.8.4, Figure 4-24
  u16 offset_lo;
  u16 selector;
  u8 ist;
  u8 type_attr;
  u16 offset_mid;
  u32 offset_hi;
  u32 reserved;
};
static_assert(sizeof(IdtGate) == 16);

struct [[gnu::packed]] DescriptorPointer {
  u16 limit;
  u64 base;
};

alignas(16) u64 g_gdt[5];
alignas(16) Tss64 g_tss;
alignas(16) IdtGate g_idt[32];
alignas(16) u8 g_ist_stack[16 * 1024];

constexpr u8 kIstVectors[] = {2, 8, 18};  // NMI, #DF, #MC run on their own stack

}  // namespace

extern "C" u64 isr_stub_table[32];

void init_descriptors() {
  g_gdt[0] = 0;
  g_gdt[1] = 0x00209A0000000000ull;  // 64-bit code, present, DPL 0
  g_gdt[2] = 0x0000920000000000ull;  // data, present, writable
  g_tss.ist[0] = reinterpret_cast<u64>(g_ist_stack + sizeof g_ist_stack);
  g_tss.iomap_base = sizeof(Tss64);
  u64 base = reinterpret_cast<u64>(&g_tss);
  u64 limit = sizeof(Tss64) - 1;
  g_gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |  // available 64-bit TSS
             (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
  g_gdt[4] = base >> 32;

  DescriptorPointer gdtr{sizeof g_gdt - 1, reinterpret_cast<u64>(g_gdt)};
  asm volatile(
      "lgdt %0\n"
      "pushq %1\n"
      "leaq 1f(%%rip), %%rax\n"
      "pushq %%rax\n"
      "lretq\n"
      "1:\n"
      "mov %2, %%ax\n"
      "mov %%ax, %%ds\n"
      "mov %%ax, %%es\n"
      "mov %%ax, %%ss\n"
      "ltr %3\n" ::"m"(gdtr),
      "i"(u64(kKernelCs)), "i"(kKernelDs), "r"(kTssSel)
      : "rax", "memory");

  for (unsigned v = 0; v < 32; ++v) {
    u64 off = isr_stub_table[v];
    IdtGate& g = g_idt[v];
    g.offset_lo = u16(off);
    g.selector = kKernelCs;
    g.ist = 0;
    for (u8 iv : kIstVectors)
      if (iv == v) g.ist = 1;
    g.type_attr = 0x8E;  // present, DPL 0, 64-bit interrupt gate
    g.offset_mid = u16(off >> 16);
    g.offset_hi = u32(off >> 32);
    g.reserved = 0;
  }
  DescriptorPointer idtr{sizeof g_idt - 1, reinterpret_cast<u64>(g_idt)};
  asm volatile("lidt %0" ::"m"(idtr));
}

DescriptorTables descriptor_tables() {
  return {{reinterpret_cast<u64>(g_gdt), sizeof g_gdt},
          {reinterpret_cast<u64>(g_idt), sizeof g_idt},
          {reinterpret_cast<u64>(&g_tss), sizeof g_tss}};
}

}  // namespace tv::x86
