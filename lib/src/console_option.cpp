#include "tv/console_option.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(ConsoleError e) {
  switch (e) {
    case ConsoleError::Empty: return "empty value";
    case ConsoleError::UnknownName: return "not debugcon, com1-com4 or a 0xPORT";
    case ConsoleError::BadPort: return "a UART port must be 8-aligned, 0x100-0xFFF8 and clear of 0xCF8-0xCFF";
    case ConsoleError::BadBaud: return "baud must be 50-115200 and divide 115200";
  }
  return "unknown console error";
}

namespace {

bool equals(const char* s, usize n, const char* word) {
  const usize w = str_len(word);
  return n == w && mem_cmp(s, word, n) == 0;
}

// Digits of one base, no sign, no suffix; false on anything else or overflow past 32 bits.
bool parse_number(const char* s, usize n, u32 base, u32& out) {
  if (n == 0) return false;
  u64 v = 0;
  for (usize i = 0; i < n; ++i) {
    const int d = base == 16 ? hex_digit_value(s[i]) : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);
    if (d < 0) return false;
    v = v * base + u64(d);
    if (v > 0xFFFFFFFFull) return false;
  }
  out = u32(v);
  return true;
}

Result<u16, ConsoleError> parse_port(const char* s, usize n) {
  static constexpr struct {
    const char* name;
    u16 port;
  } kNamed[] = {{"com1", 0x3F8}, {"com2", 0x2F8}, {"com3", 0x3E8}, {"com4", 0x2E8}};
  for (const auto& c : kNamed)
    if (equals(s, n, c.name)) return c.port;
  u32 v = 0;
  if (n < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !parse_number(s + 2, n - 2, 16, v))
    return Err{ConsoleError::UnknownName};
  const bool over_pci = v + 7 >= 0xCF8 && v <= 0xCFF;
  if (v % 8 != 0 || v < 0x100 || v > 0xFFF8 || over_pci) return Err{ConsoleError::BadPort};
  return u16(v);
}

}  // namespace

Result<ConsoleSpec, ConsoleError> parse_console_option(const char* s, usize n) {
  if (s == nullptr || n == 0) return Err{ConsoleError::Empty};
  if (equals(s, n, "debugcon")) return ConsoleSpec{ConsoleKind::Debugcon, kDebugconPort, 0};
  usize comma = n;
  for (usize i = 0; i < n; ++i)
    if (s[i] == ',') {
      comma = i;
      break;
    }
  auto port = parse_port(s, comma);
  if (!port) return Err{port.error()};
  u32 baud = kDefaultBaud;
  if (comma != n) {
    if (!parse_number(s + comma + 1, n - comma - 1, 10, baud) || baud < 50 || baud > kUartClockBaud ||
        kUartClockBaud % baud != 0)
      return Err{ConsoleError::BadBaud};
  }
  return ConsoleSpec{ConsoleKind::Uart, *port, baud};
}

}  // namespace tv
