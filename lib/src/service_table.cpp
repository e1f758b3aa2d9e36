#include "tv/service_table.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(RegistryError e) {
  switch (e) {
    case RegistryError::TooMany: return "more services than the table holds";
    case RegistryError::DuplicateName: return "two services share a name";
    case RegistryError::EmptyName: return "a service has an empty name";
    case RegistryError::NameTooLong: return "a service name is longer than 255 bytes";
    case RegistryError::NotFirst: return "service 0 must be get_vmmcall_number";
  }
  return "unknown registry error";
}

Status<RegistryError> validate_service_names(const char* const* names, usize count, usize& bad_index) {
  bad_index = 0;
  if (count > abi::kMaxServices) {
    bad_index = abi::kMaxServices;
    return Err{RegistryError::TooMany};
  }
  if (count == 0 || !str_eq(names[0], "get_vmmcall_number")) return Err{RegistryError::NotFirst};
  for (usize i = 0; i < count; ++i) {
    bad_index = i;
    if (names[i] == nullptr || names[i][0] == '\0') return Err{RegistryError::EmptyName};
    if (str_nlen(names[i], abi::kMaxNameBytes) >= abi::kMaxNameBytes) return Err{RegistryError::NameTooLong};
    for (usize j = 0; j < i; ++j)
      if (str_eq(names[i], names[j])) return Err{RegistryError::DuplicateName};
  }
  return Ok{};
}

i64 find_service(const char* const* names, usize count, const char* name) {
  for (usize i = 0; i < count; ++i)
    if (str_eq(names[i], name)) return i64(i);
  return -1;
}

Result<usize, NameError> read_guest_name(const PhysMemory& mem, const PagingState& st, u64 gva, bool as_user, char* out,
                                         usize cap) {
  u64 page = ~0ull, gpa_base = 0;
  return read_guest_name(
      [&](u64 va, u8& c) {
        if ((va & ~(kPageSize - 1)) != page) {
          auto t = walk(mem, st, va);
          if (!t || !access_permitted(*t, {false, as_user}, st)) return false;
          page = va & ~(kPageSize - 1);
          gpa_base = t->gpa - (va & (kPageSize - 1));
        }
        return mem.read(gpa_base + (va & (kPageSize - 1)), &c, 1);
      },
      gva, out, cap);
}

HypercallArgs hypercall_args(u64 rax, const u64 (&regs)[5], bool long_mode) {
  HypercallArgs a{hypercall_number(rax, long_mode), {}};
  for (usize i = 0; i < 5; ++i) a.arg[i] = hypercall_arg(regs[i], long_mode);
  return a;
}

}  // namespace tv
