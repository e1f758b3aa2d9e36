// The message services the VMM itself serves to domains (vmm_services.cpp).
#pragma once
#include "tv/domain_error.hpp"
#include "tv/result.hpp"

namespace tv::dom {
Status<DomainError> register_vmm_services();
// Gives a new process the VMM's ttyin and ttyout as its descriptors 0 and 1.
Status<DomainError> give_tty(int process_desc);
}  // namespace tv::dom
