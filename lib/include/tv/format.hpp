// printf-style formatting into a caller-supplied buffer, with no libc.
// Supports %s %c %d %i %u %x %X %p %%, the l/ll/z length modifiers,
// a field width, '0' padding and '-' left alignment. Unknown conversions
// are printed literally so a typo in a log line never loses the rest of it.
#pragma once
#include <stdarg.h>

#include "tv/types.hpp"

namespace tv {
// Writes at most cap-1 characters plus a NUL; returns the length the full
// output would have had (like vsnprintf), so callers can detect truncation.
usize vformat(char* buf, usize cap, const char* fmt, va_list ap);
usize format(char* buf, usize cap, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
}  // namespace tv
