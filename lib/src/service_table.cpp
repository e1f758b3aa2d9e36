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

}  // namespace tv
