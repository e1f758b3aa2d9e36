// The hypercall ABI shared by the VMM and guest programs (documented in
// docs/hypercalls.md). RAX holds the service number on entry and the result
// on return; arguments are in RBX, RCX, RDX, RSI, RDI.
#pragma once
#include "tv/types.hpp"

namespace tv::abi {

inline constexpr usize kMaxNameBytes = 256;  // including the terminating NUL
inline constexpr usize kMaxServices = 64;

// Result values in RAX for failures of the call itself (not of a service's
// own logic). get_vmmcall_number is the exception: it returns 0 on any error,
// because 0 is its own number and never a valid answer to a lookup.
inline constexpr u64 kErrUnknownService = ~0ull;      // -1: no service has this number
inline constexpr u64 kErrDenied = ~0ull - 1;          // -2: caller's privilege level not allowed
inline constexpr u64 kErrBadAddress = ~0ull - 2;      // -3: a guest pointer could not be used
inline constexpr u64 kErrBadArgument = ~0ull - 3;     // -4: an argument is out of range
inline constexpr u64 kErrBufferTooSmall = ~0ull - 4;  // -5: the output buffer cannot hold the answer
inline constexpr u64 kErrServiceFailed = ~0ull - 5;   // -6: the service's domain died (the next call restarts it)
// -33 .. -48: the debug-register services' refusals, -(32 + tv::DebugRegError)
// (docs/debug-registers.md has the table).
inline constexpr u64 kErrDebugRegBase = 32;
constexpr u64 debug_reg_error(u8 code) {
  return ~0ull - (kErrDebugRegBase + code - 1);
}
// -64 .. -72: the module-watch services' refusals, -(63 + tv::ModuleTableError)
// (-48 .. -63 stay free for the debug-register services)
// (docs/module-watch.md has the table).
inline constexpr u64 kErrModuleBase = 63;
constexpr u64 module_error(u8 code) {
  return ~0ull - (kErrModuleBase + code - 1);
}

}  // namespace tv::abi
