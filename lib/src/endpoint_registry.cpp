#include "tv/endpoint_registry.hpp"

namespace tv::endpoint_name {

Result<usize, DomainError> length(const char* name) {
  const usize len = str_nlen(name, dom::kMaxNameBytes);
  if (len == dom::kMaxNameBytes) return Err{DomainError::BadArgument};  // no room for the NUL
  return len;
}

void copy(char (&dst)[dom::kMaxNameBytes], const char* name, usize len) {
  mem_set(dst, 0, sizeof dst);
  if (len > 0) mem_copy(dst, name, len);
}

}  // namespace tv::endpoint_name
