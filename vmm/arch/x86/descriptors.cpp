#include "arch/x86/descriptors.hpp"

#include "arch/x86/cpu.hpp"
#include "tv/cpu_table.hpp"

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

// The tables and stacks a CPU needs while a protection domain runs: they are
// the only VMM data mapped in a domain's address space (supervisor-only;
// vmm/domain/address_space.cpp), so they sit in their own page-aligned sections.
#define TV_TRAMP_TABLES __attribute__((section(".tramp_tables")))
#define TV_TRAMP_STACKS __attribute__((section(".tramp_stacks")))
// The IDT is the same for every CPU; each CPU has its own GDT (its TSS
// descriptor goes busy when loaded) and TSS (its own RSP0 and IST stacks).
struct CpuTables {
  u64 gdt[7];
  Tss64 tss;
};
alignas(4096) TV_TRAMP_TABLES IdtGate g_idt[256];
alignas(16) TV_TRAMP_TABLES CpuTables g_cpu_tables[smp::kMaxCpus];
alignas(4096) TV_TRAMP_STACKS u8 g_ist_stacks[smp::kMaxCpus][smp::kIstStackBytes];
alignas(4096) TV_TRAMP_STACKS u8 g_entry_stacks[smp::kMaxCpus][smp::kEntryStackBytes];
static_assert(smp::kEntryStackBytes == kEntryStackBytes);

constexpr u8 kIstVectors[] = {2, 8, 18};  // NMI, #DF, #MC run on their own stack

}  // namespace

extern "C" u64 isr_stub_table[32];
extern "C" u64 syscall_gate_stub;
extern "C" {
// Read by the trampoline on every entry from ring 3 (arch/x86/trampoline.S).
TV_TRAMP_TABLES u64 tramp_kernel_cr3 = 0;
}
extern "C" char __tramp_text_start[], __tramp_text_end[], __tramp_tables_start[], __tramp_tables_end[],
    __tramp_stacks_start[], __tramp_stacks_end[];

namespace {
void set_gate(IdtGate& g, u64 off, u8 ist, u8 type_attr) {
  g.offset_lo = u16(off);
  g.selector = kKernelCs;
  g.ist = ist;
  g.type_attr = type_attr;
  g.offset_mid = u16(off >> 16);
  g.offset_hi = u32(off >> 32);
  g.reserved = 0;
}

// A stack whose top 16 bytes hold the CPU's PerCpu address: an entry from
// ring 3 finds it right above its frame (vmm/domain/ring3.S).
u64 stack_below_cpu_slot(u8* stack, usize bytes, u64 percpu) {
  u64 top = reinterpret_cast<u64>(stack + bytes) - 16;
  *reinterpret_cast<u64*>(top) = percpu;
  return top;
}

void build_idt() {
  for (unsigned v = 0; v < 32; ++v) {
    bool ist = false;
    for (u8 iv : kIstVectors) ist = ist || iv == v;
    set_gate(g_idt[v], isr_stub_table[v], ist ? 1 : 0, 0x8E);  // present, DPL 0, 64-bit interrupt gate
  }
  set_gate(g_idt[kSyscallVector], syscall_gate_stub, 0, 0xEE);  // DPL 3: `int $0x80` from a domain
}
}  // namespace

u64 init_descriptors(u32 cpu_index, u64 percpu) {
  if (cpu_index >= smp::kMaxCpus) return 0;
  u64* gdt = g_cpu_tables[cpu_index].gdt;
  Tss64& tss = g_cpu_tables[cpu_index].tss;
  gdt[0] = 0;
  // Accessed bits preset: the CPU never writes the GDT (read-only in a domain's tables).
  gdt[1] = 0x00209B0000000000ull;  // 64-bit code, present, DPL 0
  gdt[2] = 0x0000930000000000ull;  // data, present, writable
  gdt[5] = 0x0000F30000000000ull;  // user data, DPL 3 (kUserSs)
  gdt[6] = 0x0020FB0000000000ull;  // user 64-bit code, DPL 3 (kUserCs)
  tss.rsp[0] = stack_below_cpu_slot(g_entry_stacks[cpu_index], smp::kEntryStackBytes, percpu);
  tss.ist[0] = stack_below_cpu_slot(g_ist_stacks[cpu_index], smp::kIstStackBytes, percpu);
  tss.iomap_base = sizeof(Tss64);
  // The exception entry switches to this CR3 when it differs: until dom::init
  // sets it, it must be the tables in use, or a VMM fault loads CR3 = 0 and
  // triple-faults instead of reporting. (APs start on the VMM's own tables.)
  if (cpu_index == 0) tramp_kernel_cr3 = read_cr3();
  u64 base = reinterpret_cast<u64>(&tss);
  u64 limit = sizeof(Tss64) - 1;
  gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |  // available 64-bit TSS
           (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
  gdt[4] = base >> 32;

  DescriptorPointer gdtr{sizeof g_cpu_tables[0].gdt - 1, reinterpret_cast<u64>(gdt)};
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

  if (cpu_index == 0) build_idt();  // shared: the APs load the boot CPU's
  DescriptorPointer idtr{sizeof g_idt - 1, reinterpret_cast<u64>(g_idt)};
  asm volatile("lidt %0" ::"m"(idtr));
  return tss.rsp[0];
}

void set_trampoline_kernel_cr3(u64 cr3) {
  tramp_kernel_cr3 = cr3;
}

TrampolineRegions trampoline_regions() {
  auto r = [](const char* a, const char* b) { return Range{reinterpret_cast<u64>(a), u64(b - a)}; };
  return {r(__tramp_text_start, __tramp_text_end), r(__tramp_tables_start, __tramp_tables_end),
          r(__tramp_stacks_start, __tramp_stacks_end)};
}

DescriptorTables descriptor_tables() {
  // The GDTs and TSSs of all CPUs (one array): the TSS descriptors' busy bits
  // are set by LTR, before the integrity check seals them.
  return {{reinterpret_cast<u64>(g_cpu_tables), sizeof g_cpu_tables}, {reinterpret_cast<u64>(g_idt), sizeof g_idt}};
}

}  // namespace tv::x86
