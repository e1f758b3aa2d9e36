#include "tv/domain_error.hpp"

namespace tv {

// Short, lower-case phrases: they end up in VMM log lines ("msgopen: no such name")
// and in docs/domains.md's error table, so each code must read differently.
const char* to_string(DomainError e) {
  switch (e) {
    case DomainError::BadDescriptor: return "bad descriptor";
    case DomainError::ClosedDescriptor: return "closed descriptor";
    case DomainError::StaleDescriptor: return "stale descriptor";
    case DomainError::NoSuchName: return "no such name";
    case DomainError::NameTaken: return "name taken";
    case DomainError::TableFull: return "table full";
    case DomainError::CalleeDied: return "callee died";
    case DomainError::BadBuffer: return "bad buffer";
    case DomainError::NestingTooDeep: return "nesting too deep";
    case DomainError::LockedDown: return "locked down";
    case DomainError::OutOfMemory: return "out of memory";
    case DomainError::BadArgument: return "bad argument";
    case DomainError::NoSuchProgram: return "no such program";
    case DomainError::NotAProcess: return "not a process";
    case DomainError::NotOwner: return "not owner";
    case DomainError::Count: break;
  }
  return "unknown";
}

}  // namespace tv
