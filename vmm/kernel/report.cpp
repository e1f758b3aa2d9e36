#include "kernel/report.hpp"

#include <stdarg.h>

#include "tv/format.hpp"

namespace tv {

void Report::add(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  usize at = len();
  // Past the end, format into an empty window only to learn the length.
  need_ += vformat(buf_ + at, need_ < cap_ ? cap_ - at : 0, fmt, ap);
  va_end(ap);
}

}  // namespace tv
