// The VMM's exception path (exceptions.cpp).
#pragma once
#include "tv/types.hpp"

namespace tv {
// "#PF page fault" and so on for vectors 0-31 (AMD APM vol.2 §8.2).
const char* vector_name(u64 vector);
}  // namespace tv
