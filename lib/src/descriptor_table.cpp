#include "tv/descriptor_table.hpp"

namespace tv {

Result<int, DomainError> DescriptorTable::add(EndpointRef ep, bool registered_here) {
  for (usize i = 0; i < kSize; ++i) {
    if (!open_[i]) {
      entries_[i] = DescriptorEntry{ep, registered_here};
      open_[i] = true;
      return static_cast<int>(i);
    }
  }
  return Err{DomainError::TableFull};
}

// desc arrives straight from a syscall register, so every i64 must be safe here.
Status<DomainError> DescriptorTable::check(i64 desc) const {
  if (desc < 0 || desc >= static_cast<i64>(kSize)) return Err{DomainError::BadDescriptor};
  if (!open_[desc]) return Err{DomainError::ClosedDescriptor};
  return Ok{};
}

Result<DescriptorEntry, DomainError> DescriptorTable::get(i64 desc) const {
  TV_TRY(check(desc));
  return entries_[desc];
}

Status<DomainError> DescriptorTable::close(i64 desc) {
  TV_TRY(check(desc));
  open_[desc] = false;
  entries_[desc] = DescriptorEntry{};
  return Ok{};
}

void DescriptorTable::clear() {
  for (usize i = 0; i < kSize; ++i) {
    open_[i] = false;
    entries_[i] = DescriptorEntry{};
  }
}

usize DescriptorTable::open_count() const {
  usize n = 0;
  for (bool o : open_) n += o ? 1 : 0;
  return n;
}

}  // namespace tv
