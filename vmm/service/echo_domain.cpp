// The example of a hypercall service hosted in a protection domain
// (domains/echo): RBX = v -> RAX = v, computed at ring 3.
#include "service/domain_service.hpp"

namespace tv {
TV_DOMAIN_SERVICE(echo_domain, "echo_domain", "echo", CallerPolicy::AnyMode, "RBX=v -> v, answered by a domain");
// The deliberately faulty one, for tests: RBX selects a fault (domains/faulty).
TV_DOMAIN_SERVICE(faulty_domain, "faulty_domain", "faulty", CallerPolicy::AnyMode,
                  "RBX=fault kind -> kErrServiceFailed when the domain dies");
}  // namespace tv
