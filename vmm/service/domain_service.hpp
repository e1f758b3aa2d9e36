// Hypercall services whose handler is a protection domain (docs/domains.md,
// "A hypercall service in a domain"). The guest's vmmcall becomes
// msgsendint(instance, RBX) to an instance of `program`, started on first use;
// RAX gets the domain's return value. If the domain dies (or cannot be
// started) the guest gets abi::kErrServiceFailed and the next call starts a
// fresh instance, so an extension that crashes costs an error code, not the VMM.
//
//   TV_DOMAIN_SERVICE(echo_domain, "echo_domain", "echo", CallerPolicy::AnyMode, "RBX=v -> v, from a domain");
#pragma once
#include "service/service.hpp"

namespace tv {

struct DomainServiceState {
  const char* program;
  int desc = -1;  // the running instance in the VMM's descriptor table, or -1
};
u64 call_domain_service(DomainServiceState& s, HypercallContext& call);

}  // namespace tv

#define TV_DOMAIN_SERVICE(ident, service_name, program_name, policy, summary) \
  namespace {                                                                 \
  ::tv::DomainServiceState ident##_state{program_name};                       \
  ::tv::u64 ident(::tv::HypercallContext& call) {                             \
    return ::tv::call_domain_service(ident##_state, call);                    \
  }                                                                           \
  }                                                                           \
  TV_SERVICE(ident, service_name, policy, summary)
