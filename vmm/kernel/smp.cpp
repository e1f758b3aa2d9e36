// AP start-up, parking, and the guest's INIT/SIPI (kernel/smp.hpp).
#include "kernel/smp.hpp"

#include "arch/x86/cpu.hpp"
#include "arch/x86/descriptors.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/percpu.hpp"
#include "kernel/platform.hpp"
#include "tv/cpu_table.hpp"
#include "tv/madt.hpp"
#include "tv/str.hpp"
#include "virt/guest_memory.hpp"
#include "virt/io_ports.hpp"
#include "virt/module_watch.hpp"
#include "virt/svm/svm.hpp"

extern "C" char ap_tramp_start[], ap_tramp_end[], ap_tramp_params[], ap_gdt[], ap_gdt_ptr[];
extern "C" char ap_long_entry[], park_wait_hlt[];
extern "C" volatile tv::u32 ap_dead_count;  // arch/x86/ap_start.S: CPUs parked for good
extern "C" void park_wait();
extern "C" void take_pending_nmi();
extern "C" [[noreturn]] void switch_stack_and_call(tv::u64 stack, tv::u64 fn, tv::u64 a0, tv::u64 a1, tv::u64 a2);
extern "C" {
// The one AP being started (arch/x86/ap_start.S reads these).
tv::u64 ap_boot_stack = 0;
tv::u64 ap_boot_cpu = 0;
}

namespace tv {
namespace {
PerCpu g_cpus[smp::kMaxCpus];
u32 g_cpu_count = 1;
bool g_percpu_ready = false;  // GS points at a PerCpu (before that, this_cpu() must not run)
}  // namespace

PerCpu& cpu_at(u32 index) {
  return g_cpus[index < smp::kMaxCpus ? index : 0];
}
u32 cpu_count() {
  return __atomic_load_n(&g_cpu_count, __ATOMIC_ACQUIRE);
}

namespace smp {
namespace {

constexpr u32 kMsrGsBase = 0xC0000101;
constexpr u64 kLapicBase = 0xFEE00000;
constexpr u64 kTrampolinePage = 0x8000;  // below 1 MiB: SIPI vector 08h
constexpr u32 kIcrDeliveryPending = 1u << 12;
constexpr u32 kIcrInit = 0x00004500;     // INIT, level assert, physical (Intel SDM vol.3 §10.6.1)
constexpr u32 kIcrStartup = 0x00004600;  // start-up, level assert, physical
constexpr u32 kIcrNmi = 0x00004400;      // NMI, level assert, physical
constexpr u64 kStartTimeoutTicks = 1ull << 27;
constexpr u32 kNoOwner = 0xFFFFFFFF;
u32 g_panic_owner = kNoOwner;
u32 g_fault_on_start = kNoOwner;  // selftest.fault_on_cpu
u32 g_firmware_cpus = 0;          // MADT CPUs neither vCPUs nor parked for good: still the firmware's

volatile u32& lapic(u32 reg) {
  return *mem::phys_to_ptr<volatile u32>(kLapicBase + reg);
}
bool x2apic_mode() {
  return (x86::rdmsr(apic::kApicBaseMsr) & apic::kApicBaseExtd) != 0;
}

// One IPI from the VMM, in whichever mode the local APIC is in; in xAPIC mode
// the guest's ICR high (its next IPI's destination) is put back.
void send_ipi(u32 apic_id, u32 icr_low) {
  if (x2apic_mode()) {
    // WRMSR to the x2APIC ICR is not serializing: the stores the target will
    // look for (mailbox, kick_pending) must be visible before the IPI.
    asm volatile("mfence; lfence" ::: "memory");
    x86::wrmsr(apic::kX2apicMsrIcr, (u64(apic_id) << 32) | icr_low);
    return;
  }
  for (u32 i = 0; i < 1000000 && (lapic(apic::kRegIcrLow) & kIcrDeliveryPending) != 0; ++i) __builtin_ia32_pause();
  const u32 guest_high = lapic(apic::kRegIcrHigh);
  lapic(apic::kRegIcrHigh) = apic_id << 24;
  lapic(apic::kRegIcrLow) = icr_low;
  for (u32 i = 0; i < 1000000 && (lapic(apic::kRegIcrLow) & kIcrDeliveryPending) != 0; ++i) __builtin_ia32_pause();
  lapic(apic::kRegIcrHigh) = guest_high;
}

// Part of what INIT does to a local APIC (Intel SDM vol.3 §10.4.7.3): its
// timer stops. The guest's INIT never reaches the hardware, so the VMM stops
// the timer itself; the parked CPU would otherwise keep taking the guest's
// timer interrupts into its IRR (Linux reports them as "Stale IRR" when it
// starts the CPU again).
void quiet_local_timer() {
  constexpr u32 kMasked = 1u << 16;
  if (x2apic_mode()) {
    x86::wrmsr(apic::kX2apicMsrBase + (apic::kRegLvtTimer >> 4), kMasked);
    x86::wrmsr(apic::kX2apicMsrBase + (apic::kRegTimerInitialCount >> 4), 0);
    return;
  }
  lapic(apic::kRegLvtTimer) = kMasked;
  lapic(apic::kRegTimerInitialCount) = 0;
}

void set_gs_base(PerCpu& cpu) {
  cpu.self = &cpu;
  x86::wrmsr(kMsrGsBase, reinterpret_cast<u64>(&cpu));
}

// What one look at the mailbox did (lib/src/cpu_start.cpp has the rules).
struct Applied {
  bool left_guest;
  bool started;
  u8 vector;
};
Applied apply_start_events(PerCpu& cpu) {
  const StartMailbox::Taken t = cpu.mailbox.take();
  Applied a{};
  StartState s = cpu.start_state;
  if (t.init) {
    const StartStep st = on_init(s);
    a.left_guest = st.leave_guest;
    s = st.next;
  }
  if (t.sipi) {
    const StartStep st = on_sipi(s);
    if (st.start) {
      a.started = true;
      a.vector = t.vector;
    }
    s = st.next;
  }
  __atomic_store_n(&cpu.start_state, s, __ATOMIC_RELEASE);
  return a;
}

[[noreturn]] void run_from(PerCpu& cpu, u8 vector) {
  TV_LOG_GUEST("CPU %u: start-up IPI from the guest, vector %02x", cpu.cpu_index, unsigned(vector));
  if (cpu.cpu_index == g_fault_on_start) {
    TV_LOG("selftest.fault_on_cpu: CPU %u reads an unmapped address", cpu.cpu_index);
    (void)*reinterpret_cast<volatile u64*>(0x7000000000ull);  // 448 GiB: never in the direct map
  }
  cpu.vcpu->start_at_sipi(vector);
  cpu.vcpu->run();
  __builtin_unreachable();  // run() is [[noreturn]]; GCC does not carry that through a virtual call
}

// Parked in the VMM with GIF set (NMIs wake it) until a start-up IPI.
[[noreturn]] void wait_for_start(PerCpu& cpu) {
  for (;;) {
    __atomic_store_n(&cpu.kick_pending, false, __ATOMIC_RELEASE);
    const Applied a = apply_start_events(cpu);
    if (a.started) run_from(cpu, a.vector);
    park_wait();
  }
}

// A vCPU the guest INITed while it ran: its old guest context and VMM stack are
// abandoned (as the CPU's are on hardware) and it starts again on a fresh stack.
[[noreturn]] void restart(u64 cpu_address, u64 started, u64 vector) {
  PerCpu& cpu = *reinterpret_cast<PerCpu*>(cpu_address);
  if (started != 0) run_from(cpu, u8(vector));
  wait_for_start(cpu);
}

bool is_target(const PerCpu& cpu, const apic::IpiTarget& t, u32 self_index) {
  if (!__atomic_load_n(&cpu.online, __ATOMIC_ACQUIRE)) return false;
  if (t.all_excluding_self) return cpu.cpu_index != self_index;
  return cpu.apic_id == t.apic_id;
}

void kick(PerCpu& cpu) {
  __atomic_store_n(&cpu.kick_pending, true, __ATOMIC_RELEASE);
  send_ipi(cpu.apic_id, kIcrNmi);
}

template <typename Post>
void post_to_targets(const apic::IpiTarget& t, const char* what, Post post) {
  const u32 self = this_cpu().cpu_index;
  bool found = false;
  for (u32 i = 0; i < cpu_count(); ++i) {
    PerCpu& cpu = g_cpus[i];
    if (!is_target(cpu, t, self)) continue;
    found = true;
    if (post(cpu.mailbox)) kick(cpu);
  }
  if (found) return;
  if (t.all_excluding_self)
    TV_LOG_GUEST("guest %s to all other CPUs: there is no other vCPU; dropped", what);
  else
    TV_LOG_GUEST("guest %s to APIC ID %u, which is not a vCPU: dropped", what, t.apic_id);
}

// Starts a CPU the VMM will not run into ap_dead (ap_start.S) and waits for it.
void park_for_good(u32 apic_id) {
  const u32 before = ap_dead_count;
  ap_boot_cpu = 0;
  send_ipi(apic_id, kIcrInit);
  send_ipi(apic_id, kIcrStartup | u8(kTrampolinePage >> 12));
  const u64 start = x86::rdtsc();
  while (ap_dead_count == before) {
    if (x86::rdtsc() - start > kStartTimeoutTicks) {
      send_ipi(apic_id, kIcrInit);  // stopped in wait-for-SIPI instead
      ++g_firmware_cpus;
      TV_LOG("SMP: CPU with APIC ID %u (not a vCPU) did not park; it is left stopped by INIT", apic_id);
      return;
    }
    __builtin_ia32_pause();
  }
  TV_LOG("SMP: CPU with APIC ID %u is not a vCPU: parked in the VMM for good", apic_id);
}

u64 alloc_stack_top(usize bytes) {
  auto pa = mem::alloc_pages(bytes / kPageSize);
  if (!pa) panic("no VMM memory for a CPU's stack");
  return *pa + bytes;
}

bool wait_online(const PerCpu& cpu, u64 ticks) {
  const u64 start = x86::rdtsc();
  while (!__atomic_load_n(&cpu.online, __ATOMIC_ACQUIRE)) {
    if (x86::rdtsc() - start > ticks) return false;
    __builtin_ia32_pause();  // under QEMU's round-robin TCG this also lets the AP run
  }
  return true;
}

// Copies the start-up code to the low page (saving what was there) and patches its parameters.
void install_trampoline(u8* saved) {
  u8* page = mem::phys_to_ptr<u8>(kTrampolinePage);
  mem_copy(saved, page, kPageSize);
  const usize len = usize(ap_tramp_end - ap_tramp_start);
  mem_copy(page, ap_tramp_start, len);
  auto patch32 = [&](const char* symbol_in_blob, usize extra, u32 value) {
    store_le32(page + (symbol_in_blob - ap_tramp_start) + extra, value);
  };
  patch32(ap_gdt_ptr, 2, u32(kTrampolinePage + usize(ap_gdt - ap_tramp_start)));  // lgdt's base
  patch32(ap_tramp_params, 0, u32(reinterpret_cast<u64>(ap_long_entry)));
  patch32(ap_tramp_params, 8, u32(mem::host_cr3()));
}

}  // namespace

void init_boot_cpu() {
  PerCpu& bsp = g_cpus[0];
  bsp.cpu_index = 0;
  bsp.apic_id = x86::cpuid(1).ebx >> 24;
  bsp.entry_stack_top = x86::init_descriptors(0, reinterpret_cast<u64>(&bsp));
  set_gs_base(bsp);
  bsp.online = true;
  bsp.start_state = StartState::Running;
  g_percpu_ready = true;
}

extern "C" [[noreturn]] void ap_main(PerCpu* cpu) {
  cpu->entry_stack_top = x86::init_descriptors(cpu->cpu_index, reinterpret_cast<u64>(cpu));
  set_gs_base(*cpu);
  if (auto st = svm::enable(false); !st) panic("CPU %u: %s", cpu->cpu_index, svm::to_string(st.error()));
  asm volatile("clgi" ::: "memory");  // as on every CPU in the VMM: NMIs only where it sets GIF (EFER.SVME is on now)
  svm::SvmVcpu& vcpu = svm::vcpu_at(cpu->cpu_index);
  if (auto st = vcpu.init(svm::boot_vcpu().nested_cr3()); !st)
    panic("CPU %u: vCPU: %s", cpu->cpu_index, svm::to_string(st.error()));
  cpu->vcpu = &vcpu;
  cpu->start_state = StartState::Parked;
  __atomic_store_n(&cpu->online, true, __ATOMIC_RELEASE);
  wait_for_start(*cpu);
}

void start_aps(const GuestPhysical& mem, u64 nested_cr3, u32 max_cpus) {
  (void)nested_cr3;
  static MadtCpu listed[kMaxCpus * 2];
  const usize in_madt = madt_cpus(mem, listed, sizeof listed / sizeof listed[0]);
  const usize seen = in_madt < sizeof listed / sizeof listed[0] ? in_madt : sizeof listed / sizeof listed[0];
  PerCpu& bsp = g_cpus[0];
  bsp.host_stack_top = alloc_stack_top(kHostStackBytes);  // where the boot CPU restarts after a guest INIT
  bsp.vcpu = &svm::boot_vcpu();
  u32 ids[kMaxCpus] = {bsp.apic_id};
  u32 started = 1;
  static u8 saved_low_page[kPageSize];
  bool installed = false;
  bool give_up = false;  // a CPU did not start: no further vCPUs (the slot stays reserved)
  for (usize i = 0; i < seen; ++i) {
    const MadtCpu& c = listed[i];
    if (!c.enabled || c.apic_id == bsp.apic_id) continue;
    if (c.apic_id >= 0xFF) {
      TV_LOG("SMP: CPU with APIC ID %u not started (xAPIC start-up reaches IDs below 255); NMIs to it are refused",
             c.apic_id);
      ++g_firmware_cpus;
      continue;
    }
    if (!installed) {
      if (!mem.is_ram(kTrampolinePage, kPageSize)) {
        TV_LOG("SMP: page %lx is not RAM; the VMM runs the boot CPU only", kTrampolinePage);
        g_firmware_cpus += u32(seen);  // an over-count: every NMI shorthand is refused
        break;
      }
      install_trampoline(saved_low_page);
      installed = true;
    }
    if (give_up || started >= max_cpus || started >= kMaxCpus) {
      park_for_good(c.apic_id);
      continue;
    }
    PerCpu& cpu = g_cpus[started];
    cpu.cpu_index = started;
    cpu.apic_id = c.apic_id;
    cpu.host_stack_top = alloc_stack_top(kHostStackBytes);
    ap_boot_stack = cpu.host_stack_top;
    ap_boot_cpu = reinterpret_cast<u64>(&cpu);
    __atomic_store_n(&g_cpu_count, started + 1, __ATOMIC_RELEASE);  // visible before the AP runs
    send_ipi(c.apic_id, kIcrInit);
    const u8 vector = u8(kTrampolinePage >> 12);
    send_ipi(c.apic_id, kIcrStartup | vector);
    if (!wait_online(cpu, kStartTimeoutTicks)) {
      send_ipi(c.apic_id, kIcrStartup | vector);  // the second SIPI of the MP protocol, only if needed
      if (!wait_online(cpu, kStartTimeoutTicks)) {
        // A late AP must not run guest memory once the page is given back:
        // INIT stops it, and one that still arrives parks for good.
        TV_LOG("SMP: CPU with APIC ID %u did not start; it is stopped and no further vCPUs are started", c.apic_id);
        ap_boot_cpu = 0;
        send_ipi(c.apic_id, kIcrInit);
        ++g_firmware_cpus;  // in wait-for-SIPI: the guest's INIT/SIPI to it are dropped, NMIs refused
        give_up = true;
        continue;
      }
    }
    TV_LOG("CPU %u (APIC ID %u): parked for the guest", started, c.apic_id);
    ids[started++] = c.apic_id;
  }
  if (installed) mem_copy(mem::phys_to_ptr<u8>(kTrampolinePage), saved_low_page, kPageSize);
  __atomic_store_n(&g_cpu_count, started, __ATOMIC_RELEASE);
  TV_LOG("SMP: %lu CPU(s) in the MADT, %u started as vCPUs", u64(in_madt), started);
  keep_only_vcpus(mem, ids, started);
}

void guest_init(const apic::IpiTarget& target) {
  post_to_targets(target, "INIT", [](StartMailbox& m) { return m.post_init(); });
}

void guest_sipi(const apic::IpiTarget& target, u8 vector) {
  post_to_targets(target, "start-up IPI", [vector](StartMailbox& m) { return m.post_sipi(vector); });
}

void handle_nmi_exit(Vcpu& vcpu) {
  PerCpu& cpu = this_cpu();
  take_pending_nmi();  // on_host_nmi() runs now (and halts here if the VMM is stopping)
  const bool kicked = __atomic_exchange_n(&cpu.kick_pending, false, __ATOMIC_ACQ_REL);
  const Applied a = apply_start_events(cpu);
  if (a.left_guest) {
    TV_LOG_GUEST("CPU %u: INIT from the guest: stopped, waiting for a start-up IPI", cpu.cpu_index);
    quiet_local_timer();
    module_watch_forget_cpu(vcpu);
    switch_stack_and_call(cpu.host_stack_top, reinterpret_cast<u64>(&restart), reinterpret_cast<u64>(&cpu),
                          a.started ? 1 : 0, a.vector);
  }
  if (!kicked) vcpu.inject_nmi();  // the guest's own (or the platform's) NMI
}

void on_host_nmi(u64& rip) {
  if (g_percpu_ready) {
    const u32 owner = __atomic_load_n(&g_panic_owner, __ATOMIC_ACQUIRE);
    if (owner != kNoOwner && owner != this_cpu().cpu_index) x86::halt_forever();  // another CPU panicked
    ++this_cpu().nmis;
  }
  if (rip == reinterpret_cast<u64>(park_wait_hlt)) ++rip;  // woken before its HLT: do not sleep (ap_start.S)
}

bool firmware_cpus_remain() {
  return g_firmware_cpus != 0;
}

bool is_vcpu_apic_id(u32 apic_id) {
  for (u32 i = 0; i < cpu_count(); ++i)
    if (__atomic_load_n(&g_cpus[i].online, __ATOMIC_ACQUIRE) && g_cpus[i].apic_id == apic_id) return true;
  return false;
}

bool nmi_may_reach(const apic::Icr& icr) {
  return apic::nmi_ipi_allowed(icr, g_firmware_cpus != 0, is_vcpu_apic_id(icr.destination));
}

bool msi_nmi_may_reach(u8 destination, bool logical) {
  return apic::nmi_msi_allowed(logical, g_firmware_cpus != 0, is_vcpu_apic_id(destination));
}

u32 this_cpu_index() {
  return g_percpu_ready ? this_cpu().cpu_index : 0;
}

void set_fault_on_start(u32 cpu_index) {
  g_fault_on_start = cpu_index;
}

bool stop_other_cpus() {
  if (!g_percpu_ready) return true;
  const u32 me = this_cpu().cpu_index;
  u32 expected = kNoOwner;
  if (!__atomic_compare_exchange_n(&g_panic_owner, &expected, me, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    if (expected == me) return true;  // a fault while reporting: carry on with the report
    x86::halt_forever();              // the other CPU's report is the one
  }
  log::break_lock_for_report();
  for (u32 i = 0; i < cpu_count(); ++i)
    if (i != me && __atomic_load_n(&g_cpus[i].online, __ATOMIC_ACQUIRE)) send_ipi(g_cpus[i].apic_id, kIcrNmi);
  return true;
}

}  // namespace smp
}  // namespace tv
