// Errors of protection-domain calls (vmm/domain/, domains/libdomain). Each has
// its own code; the ABI returns it in RAX with the call's value in RDX
// (tv/domain_abi.hpp), so a handler's own result is never read as an error.
#pragma once
#include "tv/types.hpp"

namespace tv {

enum class DomainError : u8 {
  BadDescriptor = 1,  // descriptor number outside 0 .. kMaxDescriptors-1
  ClosedDescriptor,   // in range, but never opened or already closed
  StaleDescriptor,    // its endpoint is gone (unregistered, or its domain exited)
  NoSuchName,         // msgopen: no endpoint has this name
  NameTaken,          // msgregister: the name is registered already
  TableFull,          // no free descriptor slot, endpoint slot or domain slot
  CalleeDied,         // the callee faulted or broke the ABI and was killed
  BadBuffer,          // a msgbuf is unmapped, not writable though rw, too long, too many
  NestingTooDeep,     // more than kMaxNesting message calls active on this CPU
  LockedDown,         // the domain called setlimit; this call is no longer allowed
  OutOfMemory,        // the VMM's page pool cannot hold what the call needs
  BadArgument,        // a bad pointer, name, number or length in a syscall
  NoSuchProgram,      // newprocess: no embedded program has this name
  NotAProcess,        // msgsenddesc: the target is not a process's entry descriptor
  NotOwner,           // msgunregister: the caller did not register this endpoint
  Count
};
const char* to_string(DomainError e);

}  // namespace tv
