/* mbtest: a multiboot v1 kernel of thinvisor's own, booted AS THE GUEST. It
 * checks what thinvisor promises a multiboot guest and reports on COM1:
 *   "MBTEST: ok <check>" / "MBTEST: FAIL <check>" per check, then
 *   "MBTEST: PASS" or "MBTEST: FAILED n", and ends the run through QEMU's
 *   isa-debug-exit port (0x31 pass, 0x30 fail).
 * With "triplefault" on its command line it instead destroys its IDT and
 * raises an exception, which must end the run through the VMM's shutdown path.
 * With "smp" it starts every other CPU the ACPI MADT lists itself (INIT, SIPI,
 * SIPI through the local APIC, as Linux does) and checks each one checks in;
 * "smp ap-triplefault" makes the first AP triple-fault instead. */
#include <stdint.h>

#include "thinvisor/vmmcall.h"

volatile uint32_t last_vector;
volatile uint32_t db_eip, db_count;
extern void db_handler(void);
volatile uint32_t fault_skip;
extern void ud_handler(void);
extern void gp_handler(void);

static inline void outb(uint16_t port, uint8_t v) {
  __asm__ __volatile__("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static void putc_serial(char c) {
  while ((inb(0x3F8 + 5) & 0x20) == 0) {
  }
  outb(0x3F8, (uint8_t)c);
}
static void puts_serial(const char* s) {
  for (; *s; ++s) {
    if (*s == '\n') putc_serial('\r');
    putc_serial(*s);
  }
}
static void put_hex(uint32_t v) {
  char b[11] = "0x00000000";
  for (int i = 0; i < 8; ++i) b[9 - i] = "0123456789abcdef"[(v >> (4 * i)) & 0xF];
  puts_serial(b);
}

static int failures;
static void check(int ok, const char* what) {
  puts_serial(ok ? "MBTEST: ok " : "MBTEST: FAIL ");
  puts_serial(what);
  puts_serial("\n");
  if (!ok) ++failures;
}

static int contains(const char* s, const char* needle) {
  for (; *s; ++s) {
    const char* a = s;
    const char* b = needle;
    while (*a && *b && *a == *b) ++a, ++b;
    if (*b == 0) return 1;
  }
  return 0;
}

struct __attribute__((packed)) mb_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
};
struct __attribute__((packed)) mb_mmap {
  uint32_t size;
  uint64_t addr, len;
  uint32_t type;
};
struct mb_mod {
  uint32_t start, end, string, reserved;
};

struct __attribute__((packed)) idt_gate {
  uint16_t off_lo, sel;
  uint8_t zero, attr;
  uint16_t off_hi;
};
static struct idt_gate idt[32];
struct __attribute__((packed)) idtr {
  uint16_t limit;
  uint32_t base;
};

static void set_gate(int v, void (*h)(void)) {
  uint16_t cs;
  __asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
  idt[v].off_lo = (uint16_t)(uint32_t)h;
  idt[v].sel = cs;
  idt[v].zero = 0;
  idt[v].attr = 0x8E;
  idt[v].off_hi = (uint16_t)((uint32_t)h >> 16);
}

static void load_idt(uint16_t limit) {
  struct idtr r = {limit, (uint32_t)idt};
  __asm__ __volatile__("lidt %0" ::"m"(r));
}

static void finish(void) {
  if (failures == 0) {
    puts_serial("MBTEST: PASS\n");
    outb(0xF4, 0x31);
  } else {
    puts_serial("MBTEST: FAILED ");
    put_hex((uint32_t)failures);
    puts_serial("\n");
    outb(0xF4, 0x30);
  }
}

/* The number after `key` in text (hex with a 0x prefix, else decimal); 0 if absent. */
static uint32_t number_after(const char* text, const char* key) {
  for (const char* s = text; *s; ++s) {
    const char* a = s;
    const char* b = key;
    while (*a && *b && *a == *b) ++a, ++b;
    if (*b != 0) continue;
    uint32_t base = 10, v = 0;
    if (a[0] == '0' && a[1] == 'x') base = 16, a += 2;
    for (;; ++a) {
      uint32_t d = *a >= '0' && *a <= '9'   ? (uint32_t)(*a - '0')
                   : *a >= 'a' && *a <= 'f' ? (uint32_t)(*a - 'a' + 10)
                                            : 99;
      if (d >= base) return v;
      v = v * base + d;
    }
  }
  return 0;
}

/* --- CPUs: the ACPI MADT, the local APIC, the PIT ----------------------- */

#define LAPIC_BASE 0xFEE00000u
#define LAPIC_ID 0x20u
#define LAPIC_SVR 0xF0u
#define LAPIC_ICR_LOW 0x300u
#define LAPIC_ICR_HIGH 0x310u
#define MAX_CPUS 64
#define AP_MAX 32 /* entry.S: AP_MAX slots (and stacks) */
/* Where the APs' real-mode start-up code goes: a SIPI vector names a page
 * below 1 MiB. 0x8000 is conventional RAM that neither thinvisor (its boot
 * information is at 0x10000-0x20000) nor QEMU's multiboot loader uses;
 * smp_mode() checks that against the memory map and the boot information. */
#define AP_TRAMPOLINE 0x8000u

static inline uint32_t lapic_read(uint32_t reg) {
  return *(volatile uint32_t*)(LAPIC_BASE + reg);
}
/* A plain MOV, as Linux does: the VMM emulates MOV and XCHG stores to the
 * interrupt controllers, not read-modify-write instructions (GCC may fold a
 * volatile read, OR and write into one). */
static inline void lapic_write(uint32_t reg, uint32_t v) {
  __asm__ __volatile__("movl %1, (%0)" ::"r"(LAPIC_BASE + reg), "r"(v) : "memory");
}
static uint32_t this_apic_id(void) {
  return lapic_read(LAPIC_ID) >> 24;
}

/* Busy-waits `us` microseconds (at most 50,000) on PIT channel 2 in mode 0
 * (port 0x61 bit 5 is its output), so delays and timeouts are the machine's
 * time, not a loop count. Bounded even if the PIT never counts down. */
static void pit_delay_us(uint32_t us) {
  uint32_t count = us * 1193u / 1000u + 1; /* 1.193182 MHz */
  if (count > 0xFFFF) count = 0xFFFF;
  outb(0x61, (uint8_t)((inb(0x61) & ~0x02u) | 0x01u)); /* gate on, speaker off */
  outb(0x43, 0xB0);                                    /* channel 2, lo/hi byte, mode 0 */
  outb(0x42, (uint8_t)count);
  outb(0x42, (uint8_t)(count >> 8));
  for (uint32_t i = 0; i < 10000000u && (inb(0x61) & 0x20) == 0; ++i) {
  }
}

struct cpu_list {
  uint32_t count;   /* processor entries in the MADT */
  uint32_t enabled; /* of those, enabled */
  uint32_t apic_id[MAX_CPUS];
  uint8_t is_enabled[MAX_CPUS];
};

static int bytes_equal(const void* a, const char* b, uint32_t n) {
  const char* p = (const char*)a;
  for (uint32_t i = 0; i < n; ++i)
    if (p[i] != b[i]) return 0;
  return 1;
}
static uint8_t byte_sum(const void* a, uint32_t n) {
  uint8_t sum = 0;
  for (uint32_t i = 0; i < n; ++i) sum = (uint8_t)(sum + ((const uint8_t*)a)[i]);
  return sum;
}

/* The RSDP: in the first KiB of the EBDA, else in the BIOS area 0xE0000-0xFFFFF (ACPI 6.5 §5.2.5.1). */
static const uint8_t* find_rsdp(void) {
  uint32_t ebda;
  /* The BIOS data area's EBDA segment at 0x40E (asm: GCC takes a constant that low for a null pointer). */
  __asm__ __volatile__("movzwl 0x40E, %0" : "=r"(ebda));
  ebda <<= 4;
  uint32_t ranges[2][2] = {{ebda, ebda + 1024}, {0xE0000, 0x100000}};
  for (int r = 0; r < 2; ++r) {
    if (ranges[r][0] == 0) continue;
    for (uint32_t a = ranges[r][0]; a + 20 <= ranges[r][1]; a += 16)
      if (bytes_equal((const void*)a, "RSD PTR ", 8) && byte_sum((const void*)a, 20) == 0) return (const uint8_t*)a;
  }
  return 0;
}

/* The processor entries of the MADT (type 0, local APIC; type 9, local x2APIC). 0 if there is none. */
static int read_madt(struct cpu_list* out) {
  out->count = out->enabled = 0;
  const uint8_t* rsdp = find_rsdp();
  if (rsdp == 0) return 0;
  const uint8_t* rsdt = (const uint8_t*)*(const uint32_t*)(rsdp + 16);
  if (rsdt == 0 || !bytes_equal(rsdt, "RSDT", 4)) return 0;
  uint32_t rsdt_len = *(const uint32_t*)(rsdt + 4);
  for (uint32_t off = 36; off + 4 <= rsdt_len; off += 4) {
    const uint8_t* t = (const uint8_t*)*(const uint32_t*)(rsdt + off);
    if (t == 0 || !bytes_equal(t, "APIC", 4)) continue;
    uint32_t len = *(const uint32_t*)(t + 4);
    for (uint32_t e = 44; e + 2 <= len;) {
      uint8_t type = t[e], elen = t[e + 1];
      if (elen < 2 || e + elen > len) break;
      uint32_t id = 0, flags = 0;
      int cpu = 0;
      if (type == 0 && elen >= 8) {
        id = t[e + 3];
        flags = *(const uint32_t*)(t + e + 4);
        cpu = 1;
      } else if (type == 9 && elen >= 16) {
        id = *(const uint32_t*)(t + e + 4);
        flags = *(const uint32_t*)(t + e + 8);
        cpu = 1;
      }
      if (cpu && out->count < MAX_CPUS) {
        out->apic_id[out->count] = id;
        out->is_enabled[out->count] = (uint8_t)(flags & 1);
        out->enabled += flags & 1;
        ++out->count;
      }
      e += elen;
    }
    return 1;
  }
  return 0;
}

static void put_dec(uint32_t v) {
  char b[11];
  int n = 0;
  do b[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  char s[2] = {0, 0};
  while (n) s[0] = b[--n], puts_serial(s);
}

/* "MBTEST: MADT lists N CPU(s), E enabled; this CPU has APIC ID X". */
static int report_madt(struct cpu_list* cpus) {
  int found = read_madt(cpus);
  check(found, "ACPI MADT found");
  puts_serial("MBTEST: MADT lists ");
  put_dec(cpus->count);
  puts_serial(" CPU(s), ");
  put_dec(cpus->enabled);
  puts_serial(" enabled; this CPU has APIC ID ");
  put_dec(this_apic_id());
  puts_serial("\n");
  return found;
}

/* Filled in by each AP that runs ap_main (entry.S); ap_started last. */
volatile uint32_t ap_started;
volatile uint32_t ap_apic_id[AP_MAX];  /* its local APIC ID register */
volatile uint32_t ap_cpuid_id[AP_MAX]; /* CPUID.1:EBX[31:24], its initial APIC ID */
volatile uint32_t ap_hello[AP_MAX];    /* what hello answered there; 0xFFFFFFFF: not under thinvisor */
extern volatile uint32_t cpus_entered; /* entry.S: CPUs that came in through the multiboot entry */
extern const uint8_t ap_trampoline[], ap_trampoline_end[];

volatile uint32_t ap_triplefault; /* "smp ap-triplefault": the first AP destroys its IDT and faults */

void ap_main(uint32_t slot) {
  if (ap_triplefault && slot == 0) {
    load_idt(0);
    __asm__ __volatile__("int3");
  }
  uint32_t r[4];
  ap_apic_id[slot] = this_apic_id();
  tv_cpuid(1, r);
  ap_cpuid_id[slot] = r[1] >> 24;
  uint32_t hello = 0xFFFFFFFFu;
  struct tv_hypercall hc;
  if (tv_hypercall_init(&hc) == 0) {
    struct tv_regs regs = {0, 1000 + ap_apic_id[slot], 0, 0, 0, 0};
    tv_call(&hc, tv_lookup(&hc, "hello"), &regs);
    hello = (uint32_t)regs.rax;
  }
  ap_hello[slot] = hello;
  __asm__ __volatile__("lock incl %0" : "+m"(ap_started)::"memory");
}

/* Sends one IPI through the xAPIC ICR and waits (bounded) until it is sent. */
static void send_ipi(uint32_t apic_id, uint32_t icr_low) {
  lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
  lapic_write(LAPIC_ICR_LOW, icr_low);
  for (int i = 0; i < 100000 && (lapic_read(LAPIC_ICR_LOW) & (1u << 12)) != 0; ++i) {
  }
}

static int overlaps(uint32_t base, uint32_t len, uint32_t b2, uint32_t len2) {
  return base < b2 + len2 && b2 < base + len;
}

/* The page the trampoline goes to is usable RAM and holds no boot information. */
static int trampoline_page_is_free(const struct mb_info* mbi) {
  const uint32_t page = AP_TRAMPOLINE, size = 0x1000;
  int usable = 0;
  for (uint32_t off = 0; off + 24 <= mbi->mmap_length;) {
    const struct mb_mmap* e = (const struct mb_mmap*)(mbi->mmap_addr + off);
    if (e->type == 1 && e->addr <= page && e->addr + e->len >= page + size) usable = 1;
    off += e->size + 4;
  }
  int clash =
      overlaps((uint32_t)mbi, sizeof *mbi, page, size) || overlaps(mbi->mmap_addr, mbi->mmap_length, page, size);
  if (mbi->flags & (1u << 2)) clash |= overlaps(mbi->cmdline, 4096, page, size);
  if (mbi->flags & (1u << 3)) {
    const struct mb_mod* m = (const struct mb_mod*)mbi->mods_addr;
    clash |= overlaps(mbi->mods_addr, mbi->mods_count * sizeof *m, page, size);
    for (uint32_t i = 0; i < mbi->mods_count; ++i)
      clash |= overlaps(m[i].start, m[i].end - m[i].start, page, size) || overlaps(m[i].string, 256, page, size);
  }
  return usable && !clash;
}

static void start_cpu(uint32_t apic_id) {
  send_ipi(apic_id, 0x0000C500u); /* INIT, level-triggered, assert */
  pit_delay_us(10000);
  send_ipi(apic_id, 0x00008500u); /* INIT de-assert (Linux sends it too) */
  for (int k = 0; k < 2; ++k) {
    send_ipi(apic_id, 0x00000600u | (AP_TRAMPOLINE >> 12)); /* start-up IPI */
    pit_delay_us(200);
  }
}

/* "smp restart": INIT and start again the APs that started, now halted in
 * mbtest's code (cli; hlt): as a CPU re-onlined by an OS, each must come back
 * through the trampoline and check in a second time. */
static void smp_restart(const struct cpu_list* cpus, uint32_t started) {
  const uint32_t self = this_apic_id();
  for (uint32_t i = 0; i < cpus->count; ++i)
    if (cpus->is_enabled[i] && cpus->apic_id[i] != self) start_cpu(cpus->apic_id[i]);
  for (int i = 0; i < 500 && ap_started < 2 * started; ++i) pit_delay_us(10000);
  const uint32_t again = ap_started - started;
  puts_serial("MBTEST: smp restarted ");
  put_dec(again);
  puts_serial(" of ");
  put_dec(started);
  puts_serial("\n");
  check(again == started, "every started AP came back after a second INIT and start-up IPI");
}

/* "smp hidden": INIT and start-up IPIs to every CPU the MADT lists as
 * disabled (the VMM hides CPUs it does not run): none may start. */
static void smp_hidden(const struct cpu_list* cpus) {
  /* First an NMI: a CPU left in firmware would take it through the real-mode
   * IVT, which the guest owns, and run the guest's code outside the VMM. The
   * handler here counts and halts (a stub at 0x8800, its counter at 0x8F00). */
  volatile uint8_t* stub = (volatile uint8_t*)0x8800;
  static const uint8_t code[] = {0x2E, 0xF0, 0xFF, 0x06, 0x00, 0x07, /* lock inc word cs:[0x700] */
                                 0xFA, 0xF4, 0xEB, 0xFD};            /* cli; hlt; jmp hlt */
  for (uint32_t i = 0; i < sizeof code; ++i) stub[i] = code[i];
  volatile uint16_t* counter = (volatile uint16_t*)0x8F00;
  *counter = 0;
  uintptr_t ivt_at = 8;       /* IVT[2]: offset 0, segment 0x0880 */
  __asm__("" : "+r"(ivt_at)); /* a real address, not a null-pointer offset (GCC's -Warray-bounds) */
  volatile uint32_t* ivt_nmi = (volatile uint32_t*)ivt_at;
  const uint32_t old_ivt = *ivt_nmi;
  *ivt_nmi = 0x08800000u;
  uint32_t tried = 0;
  for (uint32_t i = 0; i < cpus->count; ++i)
    if (!cpus->is_enabled[i]) {
      send_ipi(cpus->apic_id[i], 0x00004400u); /* NMI, physical */
      ++tried;
    }
  pit_delay_us(50000);
  puts_serial("MBTEST: smp hidden CPUs took the guest's NMI ");
  put_dec(*counter);
  puts_serial(" time(s) of ");
  put_dec(tried);
  puts_serial("\n");
  check(*counter == 0, "no CPU the MADT lists as disabled ran the guest's NMI handler");
  *ivt_nmi = old_ivt;

  const uint32_t before = ap_started;
  uint32_t hidden = 0;
  for (uint32_t i = 0; i < cpus->count; ++i)
    if (!cpus->is_enabled[i]) {
      start_cpu(cpus->apic_id[i]);
      ++hidden;
    }
  pit_delay_us(50000);
  puts_serial("MBTEST: smp hidden CPUs started ");
  put_dec(ap_started - before);
  puts_serial(" of ");
  put_dec(hidden);
  puts_serial("\n");
  check(hidden >= 1, "the MADT lists a disabled CPU");
  check(ap_started == before, "no CPU the MADT lists as disabled started");
}

/* mbtest smp: start every other enabled CPU of the MADT with INIT, SIPI, SIPI
 * (Intel SDM vol. 3 §9.4.4.1, AMD APM vol. 2 §16.5: INIT, 10 ms, SIPI,
 * 200 us, SIPI) and wait, at most 5 s, for each to check in. */
static void smp_mode(const struct mb_info* mbi) {
  struct cpu_list cpus;
  report_madt(&cpus);
  const uint32_t self = this_apic_id();
  check(cpus_entered == 1, "no CPU but this one entered mbtest before it started any");
  check(trampoline_page_is_free(mbi), "the AP start-up page 0x8000 is usable RAM and holds no boot information");
  uint32_t n = (uint32_t)(ap_trampoline_end - ap_trampoline);
  for (uint32_t i = 0; i < n; ++i) ((volatile uint8_t*)AP_TRAMPOLINE)[i] = ap_trampoline[i];
  lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | 0x100u | 0xFFu); /* software-enable the APIC */

  uint32_t want = 0;
  for (uint32_t i = 0; i < cpus.count; ++i)
    if (cpus.is_enabled[i] && cpus.apic_id[i] != self) ++want;
  check(want >= 1, "the MADT lists another enabled CPU to start");
  for (uint32_t i = 0; i < cpus.count; ++i) {
    if (!cpus.is_enabled[i] || cpus.apic_id[i] == self) continue;
    start_cpu(cpus.apic_id[i]);
  }
  for (int i = 0; i < 500 && ap_started < want; ++i) pit_delay_us(10000);
  const uint32_t got = ap_started;
  puts_serial("MBTEST: smp started ");
  put_dec(got);
  puts_serial(" of ");
  put_dec(want);
  puts_serial("\n");

  int ids_ok = got == want, cpuid_ok = 1, hello_ok = 1;
  const int under_tv = tv_present();
  for (uint32_t k = 0; k < got && k < AP_MAX; ++k) {
    puts_serial("MBTEST: AP ");
    put_dec(k);
    puts_serial(": APIC ID ");
    put_dec(ap_apic_id[k]);
    puts_serial(", CPUID APIC ID ");
    put_dec(ap_cpuid_id[k]);
    puts_serial(", hello ");
    put_hex(ap_hello[k]);
    puts_serial("\n");
    /* Its ID is one the MADT lists as enabled, not this CPU's, and no other AP's. */
    int listed = 0;
    for (uint32_t i = 0; i < cpus.count; ++i) listed |= cpus.is_enabled[i] && cpus.apic_id[i] == ap_apic_id[k];
    for (uint32_t j = 0; j < k; ++j) listed &= ap_apic_id[j] != ap_apic_id[k];
    ids_ok &= listed && ap_apic_id[k] != self;
    cpuid_ok &= ap_cpuid_id[k] == ap_apic_id[k];
    hello_ok &= ap_hello[k] == (under_tv ? 10u : 0xFFFFFFFFu);
  }
  check(got == want, "every other CPU the MADT lists started and checked in");
  check(ids_ok, "each AP checked in once, with an APIC ID the MADT lists");
  check(cpuid_ok, "CPUID.1:EBX[31:24] is each AP's own APIC ID");
  check(hello_ok, under_tv ? "hello returns 10 on every AP" : "no hypercalls attempted (not under thinvisor)");
  check(cpus_entered == 1, "no CPU entered mbtest at its multiboot entry but this one");
  const char* cmdline = (mbi->flags & (1u << 2)) ? (const char*)mbi->cmdline : "";
  if (contains(cmdline, "restart")) smp_restart(&cpus, got);
  if (contains(cmdline, "hidden")) smp_hidden(&cpus);
  finish();
}

static char status_text[4096];

/* The VMM says where it is (status: vmm_base, vmm_reserved_bytes); the memory
 * map must keep that range out of usable RAM, and RAM from 1 MiB up to it must
 * be one contiguous usable range (the VMM sits at the top of RAM below 4 GiB). */
static void check_memory_map(const struct mb_info* mbi) {
  struct tv_hypercall hc;
  uint32_t base = 0, size = 0;
  if (tv_hypercall_init(&hc) == 0) {
    struct tv_regs r = {0, (tv_u64)(uint32_t)status_text, sizeof status_text, 0, 0, 0};
    tv_call(&hc, tv_lookup(&hc, "status"), &r);
    if (r.rax == 0) {
      base = number_after(status_text, "vmm_base ");
      size = number_after(status_text, "vmm_reserved_bytes ");
    }
  }
  check(base != 0 && size != 0, "status names the VMM's region");
  int vmm_hidden = 1, low_ram_contiguous = 0;
  for (uint32_t off = 0; off + 24 <= mbi->mmap_length;) {
    struct mb_mmap* e = (struct mb_mmap*)(mbi->mmap_addr + off);
    if (e->type == 1 && e->addr < (uint64_t)base + size && e->addr + e->len > base) vmm_hidden = 0;
    if (e->type == 1 && e->addr == 0x100000 && e->addr + e->len == base) low_ram_contiguous = 1;
    off += e->size + 4;
  }
  check(vmm_hidden, "VMM region is not usable RAM in the memory map");
  check(low_ram_contiguous, "usable RAM runs from 1 MiB up to the VMM");
  check(base > 0x1000000u, "the VMM sits above 16 MiB, at the top of RAM");
}

static void kbd_wait_input_empty(void) {
  for (int i = 0; i < 100000 && (inb(0x64) & 2) != 0; ++i) {
  }
}

/* Platform resets a hostile guest would use to leave the VMM (issue 7): each
 * must end the run as "guest reset" (QEMU status 41). Without the defence the
 * machine resets, firmware boots the VMM again and this mode repeats forever. */
static void try_reset(const char* cmdline) {
  volatile uint32_t* icr_low = (volatile uint32_t*)0xFEE00300u;
  volatile uint32_t* icr_high = (volatile uint32_t*)0xFEE00310u;
  if (contains(cmdline, "reset-92")) {
    puts_serial("MBTEST: fast reset through port 0x92\n");
    outb(0x92, inb(0x92) | 1);
  } else if (contains(cmdline, "reset-cf9")) {
    puts_serial("MBTEST: reset through port 0xCF9\n");
    outb(0xCF9, 0x06);
  } else if (contains(cmdline, "reset-8042-pulse")) {
    puts_serial("MBTEST: reset through the 8042 (command 0xFE)\n");
    kbd_wait_input_empty();
    outb(0x64, 0xFE);
  } else if (contains(cmdline, "reset-8042-outport")) {
    puts_serial("MBTEST: reset through the 8042 output port (0xD1, then 0x00)\n");
    kbd_wait_input_empty();
    outb(0x64, 0xD1);
    kbd_wait_input_empty();
    outb(0x60, 0x00);
  } else if (contains(cmdline, "reset-init-self")) {
    puts_serial("MBTEST: INIT IPI to this CPU\n");
    *icr_high = 0;
    *icr_low = 0x00044500u; /* INIT, level assert, shorthand self */
  } else {
    return;
  }
  for (volatile int i = 0; i < 1000000; ++i) {
  }
  puts_serial("MBTEST: FAIL still running after the reset\n");
  outb(0xF4, 0x30);
}

void mbtest_main(uint32_t magic, struct mb_info* mbi) {
  puts_serial("MBTEST: start\n");
  check(magic == 0x2BADB002u, "magic in EAX");
  check((mbi->flags & (1u << 6)) != 0, "memory map present");
  check((mbi->flags & (1u << 2)) != 0, "command line present");
  const char* cmdline = (mbi->flags & (1u << 2)) ? (const char*)mbi->cmdline : "";
  puts_serial("MBTEST: cmdline '");
  puts_serial(cmdline);
  puts_serial("'\n");

  if (contains(cmdline, "forge-exit")) {
    /* Ask QEMU to exit with the VMM's "triple fault" code, and through a
     * port other than the device's base: the VMM must not let either through. */
    puts_serial("MBTEST: forging the VMM's exit code\n");
    outb(0xF5, 0x10);
    outb(0xF4, 0x10);
    puts_serial("MBTEST: FAIL still running after the exit write\n");
  }

  try_reset(cmdline);

  if (contains(cmdline, "cpuid-loop")) {
    /* A steady stream of the cheapest exit, for profiling the exit path
     * (e.g. under QEMU -singlestep -d exec,nochain). */
    uint32_t r[4];
    for (int i = 0; i < 2000; ++i) tv_cpuid(0, r);
    puts_serial("MBTEST: cpuid-loop done\n");
    outb(0xF4, 0x30);
  }

  if (contains(cmdline, "ap-triplefault")) ap_triplefault = 1;
  if (contains(cmdline, "smp")) {
    smp_mode(mbi);
    return;
  }

  if (contains(cmdline, "com2probe")) {
    /* With console=com2 the VMM keeps COM2: the guest must find no UART there. */
    outb(0x2F8 + 7, 0x5A); /* the scratch register: a real 16550 reads it back */
    const uint8_t scratch = inb(0x2F8 + 7), lsr = inb(0x2F8 + 5);
    puts_serial("MBTEST: COM2 scratch ");
    put_hex(scratch);
    puts_serial(", line status ");
    put_hex(lsr);
    puts_serial("\n");
    check(scratch == 0xFF && lsr == 0xFF, "no UART at COM2 for the guest (the VMM's console)");
  }
  if (contains(cmdline, "triplefault")) {
    puts_serial("MBTEST: triple-faulting now\n");
    load_idt(0);
    __asm__ __volatile__("int3");
    puts_serial("MBTEST: FAIL still running after the triple fault\n");
    outb(0xF4, 0x30);
  }

  check_memory_map(mbi);

  int module_ok = 0;
  if ((mbi->flags & (1u << 3)) && mbi->mods_count >= 1) {
    struct mb_mod* m = (struct mb_mod*)mbi->mods_addr;
    const char* data = (const char*)m->start;
    module_ok = m->end > m->start && contains(data, "thinvisor-module-payload") && m->string != 0 &&
                contains((const char*)m->string, "role=payload");
  }
  check(module_ok, "module delivered with its data and string");

  uint32_t r[4];
  tv_cpuid(1, r);
  check((r[2] & (1u << 31)) != 0, "CPUID.1:ECX.hypervisor set");
  tv_cpuid(0x80000001u, r);
  check((r[2] & (1u << 2)) == 0, "CPUID.80000001h:ECX.SVM hidden");
  check(tv_present(), "thinvisor signature at CPUID 0x40000000");

  uint32_t lo, hi;
  __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xC0000080u));
  check((lo & (1u << 12)) == 0, "EFER.SVME reads as 0");

  set_gate(6, ud_handler);
  set_gate(13, gp_handler);
  load_idt(sizeof idt - 1);
  last_vector = 0xFF;
  fault_skip = 3;
  __asm__ __volatile__(".byte 0x0f, 0x01, 0xd8" ::"a"(0) : "memory"); /* VMRUN */
  check(last_vector == 6, "VMRUN raises #UD");
  last_vector = 0xFF;
  fault_skip = 3;
  __asm__ __volatile__(".byte 0x0f, 0x01, 0xdf" ::"a"(0), "c"(0) : "memory"); /* INVLPGA */
  check(last_vector == 6, "INVLPGA raises #UD");
  last_vector = 0xFF;
  fault_skip = 3;
  __asm__ __volatile__(".byte 0x0f, 0x01, 0xdc" ::: "memory"); /* STGI */
  check(last_vector == 6, "STGI raises #UD");
  last_vector = 0xFF;
  fault_skip = 2;
  __asm__ __volatile__("wrmsr" ::"c"(0xC0000080u), "a"(lo | (1u << 12)), "d"(hi) : "memory");
  check(last_vector == 13, "setting EFER.SVME raises #GP");
  /* qemu64 has neither FFXSR nor TCE: setting them must fault like on that CPU
   * (and must never reach the VMCB, where VMRUN would reject it). */
  last_vector = 0xFF;
  fault_skip = 2;
  __asm__ __volatile__("wrmsr" ::"c"(0xC0000080u), "a"(lo | (1u << 14)), "d"(hi) : "memory");
  check(last_vector == 13, "setting EFER.FFXSR (absent on this CPU) raises #GP");
  last_vector = 0xFF;
  fault_skip = 2;
  __asm__ __volatile__("wrmsr" ::"c"(0xC0000080u), "a"(lo | (1u << 15)), "d"(hi) : "memory");
  check(last_vector == 13, "setting EFER.TCE (absent on this CPU) raises #GP");
  last_vector = 0xFF;
  fault_skip = 2;
  __asm__ __volatile__("wrmsr" ::"c"(0xC0010117u), "a"(0x1000), "d"(0) : "memory"); /* VM_HSAVE_PA */
  check(last_vector == 13, "writing VM_HSAVE_PA raises #GP");
  last_vector = 0xFF;
  fault_skip = 2;
  __asm__ __volatile__("wrmsr" ::"c"(0xC0010118u), "a"(0x1234), "d"(0) : "memory"); /* SVM-Lock key */
  check(last_vector == 13, "writing the SVM-Lock key raises #GP");

  /* Single-step over an instruction the VMM emulates (CPUID): the trap must
   * arrive right after it, exactly as on hardware. */
  set_gate(1, db_handler);
  load_idt(sizeof idt - 1);
  uint32_t after_cpuid;
  db_count = 0;
  __asm__ __volatile__(
      "movl $1f, %0\n"
      "pushf\n"
      "orl $0x100, (%%esp)\n"
      "popf\n"
      "cpuid\n"
      "1: nop\n"
      : "=m"(after_cpuid)
      : "a"(0)
      : "ebx", "ecx", "edx", "memory");
  check(db_count == 1 && db_eip == after_cpuid, "single-step trap lands right after an emulated CPUID");

  struct tv_hypercall hc;
  check(tv_hypercall_init(&hc) == 0, "hypercall init");
  tv_u64 hello = tv_lookup(&hc, "hello");
  check(hello != 0, "lookup of 'hello' from 32-bit mode");
  struct tv_regs regs = {0, 7, 0, 0, 0, 0};
  tv_call(&hc, hello, &regs);
  check(regs.rax == 10, "hello returns 10");

  /* Issue 12: the MADT lists every CPU, but until the guest starts one only
   * the boot CPU runs it (the check-in count of entry.S). */
  struct cpu_list cpus;
  report_madt(&cpus);
  check(cpus_entered == 1, "only this CPU runs mbtest (1 check-in at the multiboot entry)");
  finish();
}
