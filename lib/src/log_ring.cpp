#include "tv/log_ring.hpp"

#include "tv/format.hpp"

namespace tv {

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Error: return "error";
    case LogLevel::Warn: return "warn";
    case LogLevel::Info: return "info";
    case LogLevel::Debug: return "debug";
  }
  return "?";
}

const char* to_string(LogSizeError e) {
  switch (e) {
    case LogSizeError::OutOfRange: return "outside 16..1024 KiB";
    case LogSizeError::NotPowerOfTwo: return "not a power of two";
  }
  return "?";
}

Result<usize, LogSizeError> log_bytes_from_kib(u64 kib) {
  if (kib < kLogMinBytes / KiB || kib > kLogMaxBytes / KiB) return Err{LogSizeError::OutOfRange};
  if ((kib & (kib - 1)) != 0) return Err{LogSizeError::NotPowerOfTwo};
  return usize(kib * KiB);
}

void LogRing::prefix(LogLevel level, u64 tsc) {
  char head[40];
  usize n = format(head, sizeof head, "[%14lu %5s] ", tsc, to_string(level));
  ring_.write(head, n < sizeof head ? n : sizeof head - 1);
}

void LogRing::append(LogLevel level, u64 tsc, const char* text, usize n) {
  usize i = 0;
  while (i < n) {
    if (at_line_start_) prefix(level, tsc);
    usize end = i;
    while (end < n && text[end] != '\n') ++end;
    at_line_start_ = end < n;
    if (at_line_start_) ++end;  // the newline belongs to its line
    ring_.write(text + i, end - i);
    i = end;
  }
}

u64 LogRing::tail_start(usize max_bytes) const {
  u64 end = ring_.total_written();
  u64 from = end - (ring_.size() < max_bytes ? ring_.size() : max_bytes);
  if (from == 0) return 0;
  // `from` starts a line if the byte before it is a newline; before the oldest
  // retained byte nothing is known, so the search starts at `from` itself.
  char c = 0;
  for (u64 o = from > ring_.oldest() ? from - 1 : from; o + 1 < end; ++o)
    if (ring_.copy_from(o, &c, 1) == 1 && c == '\n') return o + 1;
  return from;  // no line starts there: a line longer than the window
}

}  // namespace tv
