#include "tv/cmdline.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(CmdlineError e) {
  switch (e) {
    case CmdlineError::TooLong: return "command line too long";
    case CmdlineError::TooManyOptions: return "too many command line options";
    case CmdlineError::UnterminatedQuote: return "unterminated quote in command line";
    case CmdlineError::BadNumber: return "malformed number";
    case CmdlineError::NumberOverflow: return "number too large";
    case CmdlineError::EmptyKey: return "empty option name";
  }
  return "unknown command line error";
}

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int digit_value(char c, unsigned base) {
  int v = -1;
  if (c >= '0' && c <= '9')
    v = c - '0';
  else if (c >= 'a' && c <= 'f')
    v = c - 'a' + 10;
  else if (c >= 'A' && c <= 'F')
    v = c - 'A' + 10;
  return v >= 0 && static_cast<unsigned>(v) < base ? v : -1;
}

}  // namespace

Result<Cmdline, CmdlineError> Cmdline::parse(const char* s, usize len) {
  const usize n = str_nlen(s, len);
  Cmdline c;
  usize i = 0;

  // Appends one byte to the string storage; the only way bytes enter buf_.
  auto put = [&c](char ch) -> bool {
    if (c.used_ >= kStorage) return false;
    c.buf_[c.used_++] = ch;
    return true;
  };

  for (;;) {
    while (i < n && is_blank(s[i])) ++i;
    if (i >= n) break;

    // A bare `--` separates our options from the guest's command line.
    if (s[i] == '-' && i + 1 < n && s[i + 1] == '-' && (i + 2 == n || is_blank(s[i + 2]))) {
      i += 2;
      while (i < n && is_blank(s[i])) ++i;
      c.guest_ = static_cast<u16>(c.used_);
      for (; i < n; ++i) {
        if (!put(s[i])) return Err{CmdlineError::TooLong};
      }
      if (!put('\0')) return Err{CmdlineError::TooLong};
      c.has_guest_ = true;
      break;
    }

    if (c.count_ == kMaxOptions) return Err{CmdlineError::TooManyOptions};
    Option opt{static_cast<u16>(c.used_), 0};  // value 0 = buf_[0] = "" for a bare key
    bool in_quote = false;
    bool seen_eq = false;
    for (; i < n; ++i) {
      const char ch = s[i];
      if (ch == '"') {
        in_quote = !in_quote;
        continue;
      }
      if (!in_quote && is_blank(ch)) break;
      if (!in_quote && ch == '=' && !seen_eq) {
        seen_eq = true;
        if (!put('\0')) return Err{CmdlineError::TooLong};
        opt.value = static_cast<u16>(c.used_);
        continue;
      }
      if (!put(ch)) return Err{CmdlineError::TooLong};
    }
    if (in_quote) return Err{CmdlineError::UnterminatedQuote};
    if (!put('\0')) return Err{CmdlineError::TooLong};
    if (c.buf_[opt.key] == '\0') return Err{CmdlineError::EmptyKey};
    c.opts_[c.count_++] = opt;
  }
  return c;
}

const Cmdline::Option* Cmdline::find(const char* key) const {
  if (key == nullptr) return nullptr;
  for (usize i = count_; i > 0; --i) {  // backwards: the last occurrence wins
    if (str_eq(buf_ + opts_[i - 1].key, key)) return &opts_[i - 1];
  }
  return nullptr;
}

bool Cmdline::has(const char* key) const {
  return find(key) != nullptr;
}

const char* Cmdline::get(const char* key) const {
  const Option* o = find(key);
  return o != nullptr ? buf_ + o->value : nullptr;
}

Result<u64, CmdlineError> Cmdline::get_u64(const char* key, u64 fallback) const {
  const char* p = get(key);
  if (p == nullptr) return fallback;

  unsigned base = 10;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    base = 16;
    p += 2;
  }
  u64 v = 0;
  usize digits = 0;
  for (int d; (d = digit_value(*p, base)) >= 0; ++p, ++digits) {
    if (v > (~u64{0} - static_cast<u64>(d)) / base) return Err{CmdlineError::NumberOverflow};
    v = v * base + static_cast<u64>(d);
  }
  if (digits == 0) return Err{CmdlineError::BadNumber};

  unsigned shift = 0;
  switch (*p) {
    case 'k':
    case 'K':
      shift = 10;
      ++p;
      break;
    case 'm':
    case 'M':
      shift = 20;
      ++p;
      break;
    case 'g':
    case 'G':
      shift = 30;
      ++p;
      break;
    default: break;
  }
  if (*p != '\0') return Err{CmdlineError::BadNumber};
  if (v > (~u64{0} >> shift)) return Err{CmdlineError::NumberOverflow};
  return v << shift;
}

}  // namespace tv
