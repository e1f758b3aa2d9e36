// The VMM log's in-memory form: a ByteRing of text in which every line starts
// with its timestamp and level, e.g.
//   [      31415926  info] thinvisor: VMM ready: ...
// The timestamp is the TSC, in ticks since the VMM's multiboot entry, decimal,
// right-aligned in 14 columns (wider if it needs more); the level is one of
// error, warn, info, debug, right-aligned in 5. The debug console gets the text
// without this prefix (tools and tests parse it), so the prefix lives in the
// ring only: what domains read through the "log" service and what a panic shows.
#pragma once
#include "tv/result.hpp"
#include "tv/ring_buffer.hpp"

namespace tv {

enum class LogLevel : u8 { Error = 0, Warn, Info, Debug };
const char* to_string(LogLevel level);

// log.size=N on the VMM command line: N KiB, a power of two in [16, 1024].
inline constexpr usize kLogDefaultBytes = 64 * KiB;
inline constexpr usize kLogMinBytes = 16 * KiB;
inline constexpr usize kLogMaxBytes = 1024 * KiB;
enum class LogSizeError : u8 { OutOfRange = 1, NotPowerOfTwo };
const char* to_string(LogSizeError e);
Result<usize, LogSizeError> log_bytes_from_kib(u64 kib);

class LogRing {
 public:
  constexpr LogRing(char* storage, usize capacity) : ring_(storage, capacity) {}

  // Appends text; each line that begins in it gets the "[tsc level] " prefix.
  // A text without a final newline leaves its line open for the next append.
  void append(LogLevel level, u64 tsc, const char* text, usize n);
  const ByteRing& bytes() const { return ring_; }
  bool move_to(char* storage, usize capacity) { return ring_.move_to(storage, capacity); }
  // The stream offset of the first line that starts within the newest
  // `max_bytes` (for showing the tail of the log from a line boundary); the
  // oldest retained offset if no line starts there.
  u64 tail_start(usize max_bytes) const;

 private:
  void prefix(LogLevel level, u64 tsc);
  ByteRing ring_;
  bool at_line_start_ = true;
};

}  // namespace tv
