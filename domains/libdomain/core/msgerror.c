/* Names of the DomainError codes (domain_abi.h). */
#include "domain_abi.h"
#include "domain_core.h"

static const char* const names[DOM_E_COUNT] = {
    [DOM_OK] = "ok",
    [DOM_E_BAD_DESCRIPTOR] = "bad descriptor",
    [DOM_E_CLOSED_DESCRIPTOR] = "closed descriptor",
    [DOM_E_STALE_DESCRIPTOR] = "stale descriptor",
    [DOM_E_NO_SUCH_NAME] = "no such name",
    [DOM_E_NAME_TAKEN] = "name taken",
    [DOM_E_TABLE_FULL] = "table full",
    [DOM_E_CALLEE_DIED] = "callee died",
    [DOM_E_BAD_BUFFER] = "bad buffer",
    [DOM_E_NESTING_TOO_DEEP] = "nesting too deep",
    [DOM_E_LOCKED_DOWN] = "locked down",
    [DOM_E_OUT_OF_MEMORY] = "out of memory",
    [DOM_E_BAD_ARGUMENT] = "bad argument",
    [DOM_E_NO_SUCH_PROGRAM] = "no such program",
    [DOM_E_NOT_A_PROCESS] = "not a process",
    [DOM_E_NOT_OWNER] = "not owner",
};

const char* msgerror_string(int error) {
  if (error < 0) error = -error;
  return error < DOM_E_COUNT ? names[error] : "unknown domain error";
}
