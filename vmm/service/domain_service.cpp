#include "service/domain_service.hpp"

#include "domain/domain.hpp"
#include "domain/vmm_services.hpp"
#include "kernel/log.hpp"

namespace tv {

u64 call_domain_service(DomainServiceState& s, HypercallContext& call) {
  if (s.desc < 0) {
    auto d = dom::newprocess(nullptr, s.program);
    if (!d) {
      TV_LOG_GUEST("domain service %s: cannot start: %s", s.program, to_string(d.error()));
      return abi::kErrServiceFailed;
    }
    s.desc = *d;
    (void)dom::give_tty(s.desc);
  }
  auto r = dom::msgsendint(nullptr, s.desc, i64(call.arg(0)));
  if (r) return u64(*r);
  TV_LOG_GUEST("domain service %s: %s; the next call starts a fresh instance", s.program, to_string(r.error()));
  (void)dom::msgclose(nullptr, s.desc);
  s.desc = -1;
  return abi::kErrServiceFailed;
}

}  // namespace tv
