/* mbtest: a multiboot v1 kernel of thinvisor's own, booted AS THE GUEST. It
 * checks what thinvisor promises a multiboot guest and reports on COM1:
 *   "MBTEST: ok <check>" / "MBTEST: FAIL <check>" per check, then
 *   "MBTEST: PASS" or "MBTEST: FAILED n", and ends the run through QEMU's
 *   isa-debug-exit port (0x31 pass, 0x30 fail).
 * With "triplefault" on its command line it instead destroys its IDT and
 * raises an exception, which must end the run through the VMM's shutdown path. */
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
      uint32_t d = *a >= '0' && *a <= '9' ? (uint32_t)(*a - '0') : *a >= 'a' && *a <= 'f' ? (uint32_t)(*a - 'a' + 10) : 99;
      if (d >= base) return v;
      v = v * base + d;
    }
  }
  return 0;
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
  finish();
}
