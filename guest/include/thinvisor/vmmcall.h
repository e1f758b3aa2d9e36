/* thinvisor guest SDK: call the VMM's named hypercall services.
 *
 * Header-only C that compiles as C99, as C++ and inside a Linux kernel module
 * (no libc). See docs/hypercalls.md for the ABI and docs/tutorial-add-a-vmmcall.md.
 *
 *   struct tv_hypercall hc;
 *   if (tv_hypercall_init(&hc) != 0) -> not running under thinvisor
 *   uint64_t n = tv_lookup(&hc, "hello");      // 0 = unknown
 *   struct tv_regs r = {0}; r.rbx = 42;
 *   tv_call(&hc, n, &r);                        // r.rax == 10
 */
#ifndef THINVISOR_VMMCALL_H
#define THINVISOR_VMMCALL_H

#ifdef __KERNEL__
#include <linux/types.h>
typedef u64 tv_u64;
typedef u32 tv_u32;
#else
#include <stdint.h>
typedef uint64_t tv_u64;
typedef uint32_t tv_u32;
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Failures of the call itself, returned in RAX (docs/hypercalls.md). */
#define TV_ERR_UNKNOWN_SERVICE ((tv_u64)-1)
#define TV_ERR_DENIED ((tv_u64)-2)
#define TV_ERR_BAD_ADDRESS ((tv_u64)-3)
#define TV_ERR_BAD_ARGUMENT ((tv_u64)-4)
#define TV_ERR_BUFFER_TOO_SMALL ((tv_u64)-5)
#define TV_MAX_NAME 256 /* bytes, including the NUL */

enum tv_instruction { TV_INSN_NONE = 0, TV_INSN_VMCALL = 1 /* Intel */, TV_INSN_VMMCALL = 2 /* AMD */ };

struct tv_regs {
  tv_u64 rax, rbx, rcx, rdx, rsi, rdi;
};

struct tv_hypercall {
  enum tv_instruction insn;
};

static inline void tv_cpuid(tv_u32 leaf, tv_u32 out[4]) {
  __asm__ __volatile__("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3]) : "a"(leaf), "c"(0));
}

/* 1 if CPUID leaf 0x40000000 carries the thinvisor signature "thinvisorVMM". */
static inline int tv_present(void) {
  tv_u32 r[4];
  tv_cpuid(1, r);
  if (!(r[2] & (1u << 31))) return 0; /* no hypervisor bit */
  tv_cpuid(0x40000000u, r);
  return r[1] == 0x6e696874u /* "thin" */ && r[2] == 0x6f736976u /* "viso" */ && r[3] == 0x4d4d5672u /* "rVMM" */;
}

/* Picks the instruction from the CPU vendor: VMMCALL on AMD/Hygon, VMCALL on
 * Intel. (thinvisor on AMD also accepts VMCALL.) No SIGILL probing, so this
 * works in the kernel too. Returns 0, or -1 when thinvisor is absent. */
static inline int tv_hypercall_init(struct tv_hypercall* hc) {
  tv_u32 r[4];
  hc->insn = TV_INSN_NONE;
  if (!tv_present()) return -1;
  tv_cpuid(0, r);
  hc->insn = (r[1] == 0x756e6547u /* "Genu" ineIntel */) ? TV_INSN_VMCALL : TV_INSN_VMMCALL;
  return 0;
}

/* Raw call: RAX = number, arguments RBX, RCX, RDX, RSI, RDI; all six come back.
 * From 32-bit code the registers are 32 bits wide (EAX..EDI), and the VMM
 * reads only their low halves. */
static inline void tv_call(const struct tv_hypercall* hc, tv_u64 number, struct tv_regs* r) {
  unsigned long rax = (unsigned long)number, rbx = (unsigned long)r->rbx, rcx = (unsigned long)r->rcx,
                rdx = (unsigned long)r->rdx, rsi = (unsigned long)r->rsi, rdi = (unsigned long)r->rdi;
  if (hc->insn == TV_INSN_VMCALL)
    __asm__ __volatile__(".byte 0x0f, 0x01, 0xc1" /* vmcall */
                         : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx), "+S"(rsi), "+D"(rdi)
                         :
                         : "memory");
  else
    __asm__ __volatile__(".byte 0x0f, 0x01, 0xd9" /* vmmcall */
                         : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx), "+S"(rsi), "+D"(rdi)
                         :
                         : "memory");
  r->rax = rax;
  r->rbx = rbx;
  r->rcx = rcx;
  r->rdx = rdx;
  r->rsi = rsi;
  r->rdi = rdi;
}

/* Service number by name via get_vmmcall_number (service 0); 0 if unknown. */
static inline tv_u64 tv_lookup(const struct tv_hypercall* hc, const char* name) {
  struct tv_regs r = {0, 0, 0, 0, 0, 0};
  r.rbx = (tv_u64)(unsigned long)name;
  tv_call(hc, 0, &r);
  return r.rax;
}

/* Convenience: look up and call with one argument; TV_ERR_UNKNOWN_SERVICE if absent. */
static inline tv_u64 tv_call_named1(const struct tv_hypercall* hc, const char* name, tv_u64 arg1) {
  struct tv_regs r = {0, 0, 0, 0, 0, 0};
  tv_u64 n = tv_lookup(hc, name);
  if (n == 0) return TV_ERR_UNKNOWN_SERVICE;
  r.rbx = arg1;
  tv_call(hc, n, &r);
  return r.rax;
}

static inline const char* tv_strerror(tv_u64 rax) {
  if (rax == TV_ERR_UNKNOWN_SERVICE) return "unknown service number";
  if (rax == TV_ERR_DENIED) return "not allowed from this privilege level";
  if (rax == TV_ERR_BAD_ADDRESS) return "bad guest address";
  if (rax == TV_ERR_BAD_ARGUMENT) return "bad argument";
  if (rax == TV_ERR_BUFFER_TOO_SMALL) return "buffer too small";
  return 0;
}

#ifdef __cplusplus
}
#endif
#endif /* THINVISOR_VMMCALL_H */
