// The hypercall service table, hardware-free: validation at start-up (capacity,
// duplicate or malformed names) and lookup by name or number.
#pragma once
#include "tv/hypercall_abi.hpp"
#include "tv/page_walk.hpp"
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

enum class RegistryError : u8 { TooMany = 1, DuplicateName, EmptyName, NameTooLong, NotFirst };
const char* to_string(RegistryError e);

// Who may call a service (docs/hypercalls.md "Caller policy").
enum class CallerPolicy : u8 { AnyMode, KernelOnly };

// Name table view: names[i] is service number i. Returns the index of the
// first bad entry through bad_index.
Status<RegistryError> validate_service_names(const char* const* names, usize count, usize& bad_index);
// Linear lookup (the table is small); -1 if absent.
i64 find_service(const char* const* names, usize count, const char* name);

enum class NameError : u8 { Unreadable = 1, Unterminated };
// Reads a NUL-terminated name of at most `cap` bytes (including the NUL; cap >= 1)
// byte by byte through read_byte(addr, out) -> bool, so a name that runs into an
// unmapped page fails cleanly instead of faulting. Returns the length without NUL;
// out is always NUL-terminated.
template <typename ReadByte>
Result<usize, NameError> read_guest_name(ReadByte&& read_byte, u64 addr, char* out, usize cap) {
  for (usize i = 0; i < cap; ++i) {
    u8 c = 0;
    if (!read_byte(addr + i, c)) {
      out[i] = '\0';
      return Err{NameError::Unreadable};
    }
    out[i] = char(c);
    if (c == 0) return i;
  }
  out[cap - 1] = '\0';
  return Err{NameError::Unterminated};
}
// The same with cap = abi::kMaxNameBytes (service names).
template <typename ReadByte>
Result<usize, NameError> read_guest_name(ReadByte&& read_byte, u64 addr, char (&out)[abi::kMaxNameBytes]) {
  return read_guest_name(read_byte, addr, out, abi::kMaxNameBytes);
}

// The same, over guest memory: translates through the guest's page tables
// (once per page), applies the caller's page protections (as_user: a CPL 3
// caller needs user pages), and never reads past the name's limit. A
// non-canonical, unmapped or forbidden byte before the NUL is Unreadable.
Result<usize, NameError> read_guest_name(const PhysMemory& mem, const PagingState& st, u64 gva, bool as_user, char* out,
                                         usize cap);
inline Result<usize, NameError> read_guest_name(const PhysMemory& mem, const PagingState& st, u64 gva, bool as_user,
                                                char (&out)[abi::kMaxNameBytes]) {
  return read_guest_name(mem, st, gva, as_user, out, abi::kMaxNameBytes);
}

// Hypercall registers as a service sees them: outside 64-bit mode only the
// low 32 bits of each register are defined.
struct HypercallArgs {
  u64 number;
  u64 arg[5];  // RBX, RCX, RDX, RSI, RDI
};
HypercallArgs hypercall_args(u64 rax, const u64 (&regs)[5], bool long_mode);
// The service number alone (RAX), as hypercall_args gives it.
inline u64 hypercall_number(u64 rax, bool long_mode) {
  return long_mode ? rax : rax & 0xFFFFFFFFull;
}
// One argument register, as hypercall_args gives it.
inline u64 hypercall_arg(u64 reg, bool long_mode) {
  return long_mode ? reg : reg & 0xFFFFFFFFull;
}

}  // namespace tv
