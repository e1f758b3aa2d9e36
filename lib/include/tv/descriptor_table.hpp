// One domain's message descriptors: small integers naming endpoints in the
// EndpointRegistry. Slots are handed out lowest-free-first, so a fresh receiver
// sees descriptors sent to it as 0, 1, 2 ... in arrival order (BitVisor's
// msgsenddesc convention: stdin 0, stdout 1). The table does not know whether an
// endpoint still exists: that is the registry's generation check (resolve()).
#pragma once
#include "tv/domain_abi.hpp"
#include "tv/domain_error.hpp"
#include "tv/endpoint_registry.hpp"
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

struct DescriptorEntry {
  EndpointRef endpoint;
  bool registered_here = false;  // from msgregister (msgunregister allowed)
};

class DescriptorTable {
 public:
  static constexpr usize kSize = dom::kMaxDescriptors;

  // Lowest free slot; TableFull if none.
  Result<int, DomainError> add(EndpointRef ep, bool registered_here = false);
  // BadDescriptor if desc < 0 or >= kMaxDescriptors; ClosedDescriptor if the slot is free.
  Result<DescriptorEntry, DomainError> get(i64 desc) const;
  // Same errors as get().
  Status<DomainError> close(i64 desc);
  void clear();
  usize open_count() const;

 private:
  Status<DomainError> check(i64 desc) const;

  DescriptorEntry entries_[kSize]{};
  bool open_[kSize]{};
};

}  // namespace tv
