// The global table of message endpoints (BitVisor's msgregister name list plus
// each process's descriptor-0 entry). A descriptor names an endpoint by
// {slot index, generation}; removing an endpoint bumps its slot's generation, so
// every descriptor still naming it fails as StaleDescriptor, even after the slot
// is reused. Fixed size and freestanding: the VMM keeps one as a global.
#pragma once
#include "tv/domain_abi.hpp"
#include "tv/domain_error.hpp"
#include "tv/result.hpp"
#include "tv/str.hpp"
#include "tv/types.hpp"

namespace tv {

struct EndpointRef {
  u16 index = 0;
  u32 generation = 0;
};

struct Endpoint {
  u32 owner = 0;                       // domain instance id that serves it; 0 = the VMM
  u64 entry = 0;                       // handler: an address in the owner's space, or a VMM function pointer
  char name[dom::kMaxNameBytes] = {};  // "" for an anonymous endpoint (a process's entry)
  u32 generation = 0;                  // bumped on removal: old EndpointRefs go stale
  bool live = false;
};

namespace endpoint_name {
// Length of a name without its NUL (nullptr is ""); BadArgument if there is no
// NUL within dom::kMaxNameBytes. Never reads past that limit.
Result<usize, DomainError> length(const char* name);
// Copies a name that length() accepted, NUL-padding the rest of dst.
void copy(char (&dst)[dom::kMaxNameBytes], const char* name, usize len);
}  // namespace endpoint_name

template <usize N>
class EndpointRegistry {
  static_assert(N > 0 && N <= 0x10000, "EndpointRef::index is 16 bits");

 public:
  static constexpr usize kCapacity = N;

  // name may be nullptr or "" for an anonymous endpoint. Named: NameTaken if a live endpoint has it.
  // BadArgument if the name is not NUL-terminated within kMaxNameBytes. TableFull if no slot.
  Result<EndpointRef, DomainError> add(u32 owner, u64 entry, const char* name) {
    auto len = endpoint_name::length(name);
    if (!len) return Err{len.error()};
    if (*len > 0 && find(name)) return Err{DomainError::NameTaken};
    for (usize i = 0; i < N; ++i) {
      if (!slots_[i].live) return claim(i, owner, entry, name, *len);
    }
    return Err{DomainError::TableFull};
  }

  // NoSuchName for an unknown, empty or over-long name: anonymous endpoints cannot be opened by name.
  Result<EndpointRef, DomainError> find(const char* name) const {
    auto len = endpoint_name::length(name);
    if (!len || *len == 0) return Err{DomainError::NoSuchName};
    for (usize i = 0; i < N; ++i) {
      if (slots_[i].live && str_eq(slots_[i].name, name)) return ref(i);
    }
    return Err{DomainError::NoSuchName};
  }

  // StaleDescriptor if the endpoint was removed (its slot may since hold another) or ref is out of range.
  Result<const Endpoint*, DomainError> resolve(EndpointRef ref) const {
    if (ref.index >= N) return Err{DomainError::StaleDescriptor};
    const Endpoint& e = slots_[ref.index];
    if (!e.live || e.generation != ref.generation) return Err{DomainError::StaleDescriptor};
    return &e;
  }

  // StaleDescriptor as resolve(); NotOwner if requester did not register it.
  Status<DomainError> remove(EndpointRef ref, u32 requester) {
    auto e = resolve(ref);
    if (!e) return Err{e.error()};
    if ((*e)->owner != requester) return Err{DomainError::NotOwner};
    release(ref.index);
    return Ok{};
  }

  // Removes all of a dying domain's endpoints; returns how many.
  usize remove_owner(u32 owner) {
    usize n = 0;
    for (usize i = 0; i < N; ++i) {
      if (slots_[i].live && slots_[i].owner == owner) {
        release(i);
        ++n;
      }
    }
    return n;
  }

  usize live_count() const {
    usize n = 0;
    for (const Endpoint& e : slots_) n += e.live ? 1 : 0;
    return n;
  }

 private:
  EndpointRef ref(usize i) const { return EndpointRef{static_cast<u16>(i), slots_[i].generation}; }

  EndpointRef claim(usize i, u32 owner, u64 entry, const char* name, usize len) {
    Endpoint& e = slots_[i];
    // Generation 0 never names a live endpoint, so a zeroed EndpointRef (an
    // uninitialised descriptor) is always stale rather than slot 0's endpoint.
    if (e.generation == 0) e.generation = 1;
    e.owner = owner;
    e.entry = entry;
    endpoint_name::copy(e.name, name, len);
    e.live = true;
    return ref(i);
  }

  void release(usize i) {
    Endpoint& e = slots_[i];
    e.live = false;
    e.name[0] = '\0';  // find() checks live anyway; this keeps a dead slot from reading as named
    ++e.generation;    // wraps to 0 after 2^32 removals; claim() skips 0 again
  }

  Endpoint slots_[N]{};
};

}  // namespace tv
