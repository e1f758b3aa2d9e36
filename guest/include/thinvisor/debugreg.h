/* thinvisor guest SDK: the debug-register services and /dev/tvdebugreg.
 *
 * The services (set_debugreg, get_debugreg, watch, unwatch, watch_info) are
 * kernel-mode only; user programs reach them through tvdebugreg.ko's device
 * (guest/kmod/tvdebugreg.c), as guest/tools/debugreg.c does. The ABI and every
 * error are in docs/debug-registers.md.
 */
#ifndef THINVISOR_DEBUGREG_H
#define THINVISOR_DEBUGREG_H

#include "vmmcall.h"

#ifdef __KERNEL__
#include <linux/ioctl.h>
#else
#include <sys/ioctl.h>
#endif

/* Refusals of the services: -(32 + reason), reason as tv::DebugRegError. */
#define TV_ERR_DR(code) ((tv_u64)(-(32 + (long long)(code))))
#define TV_DR_BAD_REGISTER 1
#define TV_DR_DR4_DR5_UNDEFINED 2
#define TV_DR_HIGH_BITS 3
#define TV_DR_GENERAL_DETECT 4
#define TV_DR_IO_WITHOUT_DE 5
#define TV_DR_EXEC_LENGTH 6
#define TV_DR_EIGHT_BYTE_OUTSIDE_LONG_MODE 7
#define TV_DR_MISALIGNED 8
#define TV_DR_NON_CANONICAL 9
#define TV_DR_VMM_RANGE 10
#define TV_DR_VMM_SLOT 11
#define TV_DR_NO_FREE_SLOT 12
#define TV_DR_NOT_WATCHED 13
#define TV_DR_BAD_LENGTH 14
#define TV_DR_BAD_KIND 15
#define TV_DR_VMM_INTERNAL 16

static inline const char* tv_dr_strerror(tv_u64 rax) {
  static const char* const text[] = {
      0,
      "no such debug register",
      "DR4/DR5 undefined with CR4.DE",
      "bits 63:32 of DR6/DR7 set",
      "DR7.GD not allowed",
      "I/O breakpoint without CR4.DE",
      "execute breakpoint with LEN != 1",
      "8-byte breakpoint outside long mode",
      "address not aligned to its length",
      "address not canonical",
      "range overlaps the VMM",
      "slot held by a VMM watchpoint",
      "no free slot",
      "slot holds no VMM watchpoint",
      "length not 1, 2, 4 or 8",
      "kind not x, w or rw",
      "slot used by the VMM itself",
  };
  for (int c = 1; c <= 16; ++c)
    if (rax == TV_ERR_DR(c)) return text[c];
  return tv_strerror(rax);
}

/* One kernel-mode hypercall made by the module for the caller. Only the
 * debug-register services and nop are allowed. */
struct tvdr_call {
  char service[32];
  tv_u64 rbx, rcx, rdx;                               /* arguments */
  tv_u64 out_rax, out_rbx, out_rcx, out_rdx, out_rsi; /* results */
};

/* Hits of the slots in `mask` taken by the calling task become SIGTRAP with
 * si_code TRAP_HWBKPT (Linux 6.1 drops #DBs on slots its perf layer did not
 * allocate; the module marks them as ptrace does). mask 0 stops it. */
struct tvdr_deliver {
  tv_u64 mask;
  tv_u64 last_dr6; /* out (TVDR_LAST): DR6 as the kernel's #DB handler saw it */
  tv_u64 hits;     /* out (TVDR_LAST): hits delivered so far */
};

/* `iterations` kernel-mode calls of `service` (RBX, RCX); out: TSC ticks in all. */
struct tvdr_bench {
  char service[32];
  tv_u64 rbx, rcx, iterations;
  tv_u64 out_ticks, out_rax;
};

#define TVDR_MAGIC 0xD7
#define TVDR_CALL _IOWR(TVDR_MAGIC, 1, struct tvdr_call)
#define TVDR_DELIVER _IOW(TVDR_MAGIC, 2, struct tvdr_deliver)
#define TVDR_LAST _IOR(TVDR_MAGIC, 3, struct tvdr_deliver)
#define TVDR_BENCH _IOWR(TVDR_MAGIC, 4, struct tvdr_bench)
/* The kernel sets DR7.GD with MOV DR7, then reads DR0: the #DB (DR6.BD) must
 * reach the kernel's handler and the MOV then complete. Out: the DR6 the
 * kernel's #DB handler saw (positive polarity, so BD is bit 13). */
#define TVDR_GD_TEST _IOR(TVDR_MAGIC, 5, tv_u64)

#endif /* THINVISOR_DEBUGREG_H */
