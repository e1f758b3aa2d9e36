#include "tv/watch_spec.hpp"

#include "tv/str.hpp"

namespace tv {
namespace {

bool separator(char c) {
  return c == ',' || c == ' ' || c == '\t';
}
void skip_separators(const char*& p) {
  while (separator(*p)) ++p;
}

}  // namespace

const char* to_string(WatchSpecError e) {
  switch (e) {
    case WatchSpecError::BadAddress: return "address must be hex (at most 16 digits)";
    case WatchSpecError::BadKind: return "kind must be x, w or rw";
    case WatchSpecError::BadLength: return "length must be 1, 2, 4 or 8";
    case WatchSpecError::TrailingText: return "unexpected text after the length";
  }
  return "?";
}

Result<WatchSpec, WatchSpecError> parse_watch_spec(const char* s) {
  const char* p = s;
  skip_separators(p);
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) p += 2;
  u64 addr = 0;
  int digits = 0;
  for (; hex_digit_value(*p) >= 0; ++p, ++digits) addr = (addr << 4) | u64(hex_digit_value(*p));
  if (digits == 0 || digits > 16 || (*p != '\0' && !separator(*p))) return Err{WatchSpecError::BadAddress};
  skip_separators(p);
  WatchSpec w{addr, BpType::Execute, 1};
  if (*p == '\0') return w;
  if (p[0] == 'r' && p[1] == 'w') {
    w.type = BpType::ReadWrite;
    p += 2;
  } else if (*p == 'w' || *p == 'x') {
    w.type = *p == 'w' ? BpType::Write : BpType::Execute;
    ++p;
  } else {
    return Err{WatchSpecError::BadKind};
  }
  if (*p != '\0' && !separator(*p)) return Err{WatchSpecError::BadKind};
  w.len = w.type == BpType::Execute ? 1 : 8;
  skip_separators(p);
  if (*p == '\0') return w;
  if ((*p != '1' && *p != '2' && *p != '4' && *p != '8') || (p[1] != '\0' && !separator(p[1])))
    return Err{WatchSpecError::BadLength};
  w.len = u8(*p - '0');
  ++p;
  skip_separators(p);
  if (*p != '\0') return Err{WatchSpecError::TrailingText};
  return w;
}

}  // namespace tv
