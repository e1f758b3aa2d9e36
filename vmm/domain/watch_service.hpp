// The `watch` message service for the debug shell (watch_service.cpp).
#pragma once
#include "tv/domain_error.hpp"
#include "tv/result.hpp"

namespace tv::dom {
Status<DomainError> register_watch_service();
}  // namespace tv::dom
