// The vmminfo message service (info_services.cpp), registered at start-up
// by register_vmm_services().
#pragma once
#include "tv/domain_error.hpp"
#include "tv/result.hpp"

namespace tv::dom {
Status<DomainError> register_info_services();
}  // namespace tv::dom
