/* compat32: thinvisor hypercalls from a 32-bit program, i.e. from
 * compatibility mode under the guest's 64-bit kernel (CS 0x23, EFER.LMA set,
 * CS.L clear). Freestanding, no libc: write(2), exit(2) and mmap through
 * int $0x80. Built by guest/CMakeLists.txt with -m32, installed as /bin/compat32.
 *
 * In compatibility mode the VMM must read only the low halves of the registers
 * (docs/hypercalls.md) and treat guest addresses as 32-bit; the upper halves
 * are not architecturally visible to this code but do survive in the CPU, so
 * one check sets them to garbage in a short 64-bit excursion (far jump to CS
 * 0x33) and makes the call in compatibility mode without touching them.
 * Checks, each printed as "compat32: ok <what>" or "compat32: FAIL <what>":
 *   - CS is the 32-bit user code segment 0x23 (compatibility mode);
 *   - "hello" is found by name (a 32-bit pointer), called with 7 returns 10;
 *   - an unknown number (0x7FFFFFFF) gives EAX = 0xFFFFFFFF, the low half of
 *     TV_ERR_UNKNOWN_SERVICE, the only part a 32-bit caller sees;
 *   - name pointers 0xFFFFF000 and 0xFFFFFFFF (unmapped, the last page below
 *     4 GiB) give 0, and the name "hello" ending at 0xFFFFDFFF, the last byte
 *     a 32-bit process can map, is found;
 *   - the lookup and a hello call with 0xDEADBEEF in the upper halves of RAX
 *     and RBX still work (hello logs arg1 = 77077), and the upper halves were
 *     really still set at the call;
 *   - a prefixed CPUID (2E 3E 0F A2) and prefixed VMMCALL (3E 0F 01 D9), and a
 *     CPUID and VMMCALL split across two pages, are skipped exactly.
 * Ends with "compat32: all checks passed" (exit 0) or "compat32: N FAILED". */
#include <stdint.h>

#include "thinvisor/vmmcall.h"

void* memset(void* d, int c, unsigned n) {
  unsigned char* p = d;
  while (n--) *p++ = (unsigned char)c;
  return d;
}
void* memcpy(void* d, const void* s, unsigned n) {
  unsigned char* p = d;
  const unsigned char* q = s;
  while (n--) *p++ = *q++;
  return d;
}

static long sys3(long nr, long a, long b, long c) {
  long r;
  __asm__ __volatile__("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}
enum { SYS_exit = 1, SYS_write = 4, SYS_old_mmap = 90, SYS_mprotect = 125 };

static unsigned slen(const char* s) {
  unsigned n = 0;
  while (s[n]) ++n;
  return n;
}
static void out(const char* s) {
  sys3(SYS_write, 1, (long)s, (long)slen(s));
}
static void out_hex(uint32_t v) {
  char b[11] = "0x00000000";
  for (int i = 0; i < 8; ++i) b[9 - i] = "0123456789abcdef"[(v >> (4 * i)) & 0xF];
  out(b);
}

static int failures;
static void check(int ok, const char* what) {
  out(ok ? "compat32: ok " : "compat32: FAIL ");
  out(what);
  out("\n");
  if (!ok) ++failures;
}
static void check_val(int ok, const char* what, uint32_t got) {
  out(ok ? "compat32: ok " : "compat32: FAIL ");
  out(what);
  out(" (got ");
  out_hex(got);
  out(")\n");
  if (!ok) ++failures;
}

/* old_mmap(2) takes its six arguments in memory. */
struct mmap_args {
  uint32_t addr, len, prot, flags, fd, offset;
};
static void* map(uint32_t addr, uint32_t len, uint32_t prot, uint32_t flags) {
  struct mmap_args a = {addr, len, prot, flags, (uint32_t)-1, 0};
  long r = sys3(SYS_old_mmap, (long)&a, 0, 0);
  return (unsigned long)r >= (unsigned long)-4095 ? 0 : (void*)r;
}
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20

/* dirty_call(number, arg1, out): in a 64-bit excursion sets the upper halves
 * of RAX and RBX to 0xDEADBEEF, returns to compatibility mode and issues
 * VMMCALL there with EAX = number, EBX = arg1 untouched since; then stores the
 * full 64-bit RAX and RBX as seen right after the call into out[0..3]. */
void dirty_call(uint32_t number, uint32_t arg1, uint32_t* out);
__asm__(
    ".text\n"
    ".code32\n"
    ".globl dirty_call\n"
    "dirty_call:\n"
    "  push %ebx\n  push %esi\n  push %edi\n  push %ebp\n"
    "  mov 20(%esp), %eax\n  mov 24(%esp), %ebx\n  mov 28(%esp), %edi\n"
    "  ljmp $0x33, $1f\n"
    ".code64\n"
    "1:\n"
    "  mov %esp, %esp\n"
    "  movabs $0xDEADBEEF00000000, %rcx\n"
    "  or %rcx, %rax\n"
    "  or %rcx, %rbx\n"
    "  pushq $0x23\n"
    "  sub $8, %rsp\n"
    "  movl $2f, (%rsp)\n"
    "  movl $0, 4(%rsp)\n"
    "  lretq\n"
    ".code32\n"
    "2:\n"
    "  .byte 0x0f, 0x01, 0xd9\n" /* vmmcall, in compatibility mode */
    "  ljmp $0x33, $3f\n"
    ".code64\n"
    "3:\n"
    "  mov %esp, %esp\n"
    "  mov %edi, %edi\n"
    "  mov %rax, (%rdi)\n"
    "  mov %rbx, 8(%rdi)\n"
    "  pushq $0x23\n"
    "  sub $8, %rsp\n"
    "  movl $4f, (%rsp)\n"
    "  movl $0, 4(%rsp)\n"
    "  lretq\n"
    ".code32\n"
    "4:\n"
    "  pop %ebp\n  pop %edi\n  pop %esi\n  pop %ebx\n"
    "  ret\n");

/* Calls code with EAX = eax, ECX = 0; returns EAX..EDX in r, and EDI = 1 if the
 * code after the instruction ran (each stub ends "mov edi, 1; ret"). */
static void call_code(const void* code, uint32_t eax, uint32_t r[5]) {
  uint32_t a = eax, b, c = 0, d, ran = 0;
  __asm__ __volatile__("call *%5" : "+a"(a), "=b"(b), "+c"(c), "=d"(d), "+D"(ran) : "S"(code) : "memory");
  r[0] = a, r[1] = b, r[2] = c, r[3] = d, r[4] = ran;
}

static const unsigned char kTail[] = {0xBF, 1, 0, 0, 0, 0xC3}; /* mov edi, 1; ret */

/* Writes prefix+op+tail so that `before` bytes of the instruction are at the
 * end of the first page of `pages`, and runs it. */
static void run_bytes(unsigned char* pages, const unsigned char* insn, unsigned n, unsigned before, uint32_t eax,
                      uint32_t r[5]) {
  for (unsigned i = 0; i < 8192; ++i) pages[i] = 0xCC;
  unsigned char* code = pages + 4096 - before;
  memcpy(code, insn, n);
  memcpy(code + n, kTail, sizeof kTail);
  call_code(code, eax, r);
}

static int same_cpuid(const uint32_t r[5], const uint32_t ref[4]) {
  return r[0] == ref[0] && r[1] == ref[1] && r[2] == ref[2] && r[3] == ref[3] && r[4] == 1;
}

static int main32(void) {
  uint16_t cs;
  __asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
  check_val(cs == 0x23, "running in compatibility mode, cs 0x23", cs);

  struct tv_hypercall hc;
  int present = tv_hypercall_init(&hc) == 0 && hc.insn == TV_INSN_VMMCALL;
  check(present, "thinvisor present (cpuid 0x40000000), vmmcall");
  if (!present) return 1;

  tv_u64 hello = tv_lookup(&hc, "hello");
  check_val(hello != 0 && hello <= 0xFFFF, "lookup hello by 32-bit name pointer", (uint32_t)hello);
  struct tv_regs r = {0, 7, 0, 0, 0, 0};
  tv_call(&hc, hello, &r);
  check_val(r.rax == 10, "hello(7) returns 10", (uint32_t)r.rax);

  struct tv_regs u = {0, 0x1234, 0, 0, 0, 0};
  tv_call(&hc, 0x7FFFFFFF, &u);
  check_val(u.rax == (tv_u32)TV_ERR_UNKNOWN_SERVICE && u.rbx == 0x1234,
            "unknown number 0x7fffffff gives eax 0xffffffff (TV_ERR_UNKNOWN_SERVICE's low half)", (uint32_t)u.rax);

  check_val(tv_lookup(&hc, (const char*)0xFFFFF000u) == 0, "name pointer 0xfffff000 (unmapped) gives 0",
            (uint32_t)tv_lookup(&hc, (const char*)0xFFFFF000u));
  check_val(tv_lookup(&hc, (const char*)0xFFFFFFFFu) == 0, "name pointer 0xffffffff (last byte below 4 GiB) gives 0",
            (uint32_t)tv_lookup(&hc, (const char*)0xFFFFFFFFu));
  unsigned char* top = map(0xFFFFD000u, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
  if (top == (unsigned char*)0xFFFFD000u) {
    memcpy(top + 4096 - 6, "hello", 6);
    tv_u64 n = tv_lookup(&hc, (const char*)(top + 4096 - 6));
    check_val(n == hello, "name \"hello\" ending at 0xffffdfff, the top mapped byte, is found", (uint32_t)n);
    top[4095] = 'x'; /* no NUL before the unmapped page at 0xffffe000 */
    n = tv_lookup(&hc, (const char*)(top + 4096 - 6));
    check_val(n == 0, "name running into the unmapped page at 0xffffe000 gives 0", (uint32_t)n);
  } else {
    check(0, "mmap at 0xffffd000 (setup)");
  }

  uint32_t o[4];
  static const char hello_name[] = "hello";
  dirty_call(0, (uint32_t)hello_name, o);
  check_val(o[0] == (uint32_t)hello && o[1] == 0, "lookup with 0xdeadbeef in the upper halves of rax/rbx", o[0]);
  check_val(o[3] == 0xDEADBEEFu, "upper half of rbx really was set during that call", o[3]);
  dirty_call((uint32_t)hello, 77077, o);
  check_val(o[0] == 10 && o[1] == 0, "hello(77077) with 0xdeadbeef in the upper halves of rax/rbx returns 10", o[0]);

  /* Prefixed and page-crossing instructions in compatibility mode. */
  uint32_t ref[4], res[5];
  tv_cpuid(0, ref);
  unsigned char* pages = map(0, 8192, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS);
  if (!pages) {
    check(0, "mmap of two code pages (setup)");
    return 1;
  }
  static const unsigned char pcpuid[] = {0x2E, 0x3E, 0x0F, 0xA2}, pvmmcall[] = {0x3E, 0x0F, 0x01, 0xD9};
  static const unsigned char cpuid[] = {0x0F, 0xA2}, vmmcall[] = {0x0F, 0x01, 0xD9};
  run_bytes(pages, pcpuid, sizeof pcpuid, 2000, 0, res);
  check_val(same_cpuid(res, ref), "prefixed cpuid 2e 3e 0f a2", res[0]);
  run_bytes(pages, cpuid, sizeof cpuid, 1, 0, res);
  check_val(same_cpuid(res, ref), "cpuid split 0f | a2 across pages", res[0]);
  run_bytes(pages, pcpuid, sizeof pcpuid, 3, 0, res);
  check_val(same_cpuid(res, ref), "prefixed cpuid split 2e 3e 0f | a2 across pages", res[0]);
  run_bytes(pages, pvmmcall, sizeof pvmmcall, 2000, 0x7FFFFFFF, res);
  check_val(res[0] == 0xFFFFFFFFu && res[4] == 1, "prefixed vmmcall 3e 0f 01 d9, unknown number", res[0]);
  run_bytes(pages, vmmcall, sizeof vmmcall, 1, 0x7FFFFFFF, res);
  check_val(res[0] == 0xFFFFFFFFu && res[4] == 1, "vmmcall split 0f | 01 d9 across pages", res[0]);
  run_bytes(pages, vmmcall, sizeof vmmcall, 2, 0x7FFFFFFF, res);
  check_val(res[0] == 0xFFFFFFFFu && res[4] == 1, "vmmcall split 0f 01 | d9 across pages", res[0]);

  if (failures == 0) {
    out("compat32: all checks passed\n");
    return 0;
  }
  out("compat32: ");
  out_hex((uint32_t)failures);
  out(" FAILED\n");
  return 1;
}

void start_c(void) {
  sys3(SYS_exit, main32(), 0, 0);
}
__asm__(
    ".text\n"
    ".code32\n"
    ".globl _start\n"
    "_start:\n"
    "  xor %ebp, %ebp\n"
    "  and $-16, %esp\n"
    "  call start_c\n"
    "  hlt\n");
