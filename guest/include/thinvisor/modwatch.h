/* thinvisor guest SDK: guest kernel-module reports (docs/module-watch.md).
 *
 *   drvhook       kernel mode only. RBX = event (TV_MOD_COMING, TV_MOD_LIVE,
 *                 TV_MOD_GOING), RCX = address of the NUL-terminated module
 *                 name (at most TV_MOD_NAME_BYTES with the NUL), RDX = text
 *                 base, RSI = size -> RAX = 0 or an error below.
 *   list_modules  any mode. RBX = index, RCX = buffer, RDX = its size -> the
 *                 entry's name copied into the buffer, RAX = number of entries,
 *                 RBX = base, RCX = size, RDX = state | detectors << 8 |
 *                 mismatch << 16, RSI = TSC of the load's first report,
 *                 RDI = TSC of its latest report. Errors: TV_ERR_BAD_ARGUMENT
 *                 (index past the end), TV_ERR_BUFFER_TOO_SMALL (RCX = bytes
 *                 needed), TV_ERR_BAD_ADDRESS.
 */
#ifndef THINVISOR_MODWATCH_H
#define THINVISOR_MODWATCH_H

#include "vmmcall.h"

#define TV_MOD_COMING 1
#define TV_MOD_LIVE 2
#define TV_MOD_GOING 3

#define TV_MOD_NAME_BYTES 56 /* Linux's MODULE_NAME_LEN */

/* list_modules: RDX & 0xff */
#define TV_MOD_STATE_COMING 1
#define TV_MOD_STATE_LIVE 2
#define TV_MOD_STATE_UNLOADED 3
#define TV_MOD_STATE_FAILED 4
/* list_modules: (RDX >> 8) & 0xff */
#define TV_MOD_BY_AGENT 1
#define TV_MOD_BY_AGENTLESS 2

/* Refusals of drvhook: -(63 + reason), -64 .. -72, reason as tv::ModuleTableError. */
#define TV_ERR_MOD(code) ((tv_u64)(-(63 + (long long)(code))))
#define TV_MOD_BAD_EVENT 1
#define TV_MOD_NAME_UNREADABLE 2
#define TV_MOD_NAME_UNTERMINATED 3
#define TV_MOD_BAD_NAME 4
#define TV_MOD_BAD_BASE 5
#define TV_MOD_BAD_SIZE 6
#define TV_MOD_RANGE_WRAPS 7
#define TV_MOD_TABLE_FULL 8
#define TV_MOD_NOT_LOADED 9

static inline const char* tv_mod_strerror(tv_u64 rax) {
  static const char* const text[] = {
      0,
      "event is not COMING (1), LIVE (2) or GOING (3)",
      "name unreadable",
      "name has no NUL within 56 bytes",
      "name empty or not [A-Za-z0-9_-]",
      "base is not a canonical kernel address",
      "size is 0 or 1 GiB or more",
      "base + size wraps",
      "module table full",
      "module is not loading or loaded",
  };
  for (int c = 1; c <= 9; ++c)
    if (rax == TV_ERR_MOD(c)) return text[c];
  return tv_strerror(rax);
}

#endif /* THINVISOR_MODWATCH_H */
