/* assert's failure path (domain.h). */
#include "domain.h"

void __domain_assert_fail(const char* expr, const char* file, int line) {
  printf("assertion failed: %s (%s:%d)\n", expr, file, line);
  /* UD2: the VMM kills this instance and logs the RIP; the sender gets
   * DOM_E_CALLEE_DIED, which no return value can imitate. */
  __builtin_trap();
}
