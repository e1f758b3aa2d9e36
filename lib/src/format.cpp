#include "tv/format.hpp"

namespace tv {
namespace {

struct Sink {
  char* buf;
  usize cap;
  usize len = 0;
  void put(char c) {
    if (len + 1 < cap) buf[len] = c;
    ++len;
  }
};

struct Spec {
  bool left = false;
  bool zero = false;
  unsigned width = 0;
};

void put_padded(Sink& s, const char* text, usize n, const Spec& spec) {
  usize pad = spec.width > n ? spec.width - n : 0;
  if (!spec.left)
    for (usize i = 0; i < pad; ++i) s.put(spec.zero ? '0' : ' ');
  for (usize i = 0; i < n; ++i) s.put(text[i]);
  if (spec.left)
    for (usize i = 0; i < pad; ++i) s.put(' ');
}

void put_number(Sink& s, u64 v, unsigned base, bool upper, bool negative, Spec spec) {
  char tmp[24];
  usize n = 0;
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    tmp[n++] = digits[v % base];
    v /= base;
  } while (v != 0);
  char out[25];
  usize len = 0;
  if (negative) {
    if (spec.zero && spec.width > 0) {
      s.put('-');
      --spec.width;
    } else {
      out[len++] = '-';
    }
  }
  while (n > 0) out[len++] = tmp[--n];
  put_padded(s, out, len, spec);
}

}  // namespace

usize vformat(char* buf, usize cap, const char* fmt, va_list ap) {
  Sink s{buf, cap};
  for (const char* p = fmt; *p != '\0'; ++p) {
    if (*p != '%') {
      s.put(*p);
      continue;
    }
    const char* start = p++;
    Spec spec;
    for (;; ++p) {
      if (*p == '-')
        spec.left = true;
      else if (*p == '0')
        spec.zero = true;
      else
        break;
    }
    while (*p >= '0' && *p <= '9') spec.width = spec.width * 10 + unsigned(*p++ - '0');
    int longs = 0;
    while (*p == 'l' || *p == 'z') {
      longs += (*p == 'z') ? 2 : 1;
      ++p;
    }
    switch (*p) {
      case 'd':
      case 'i': {
        i64 v = longs ? va_arg(ap, i64) : va_arg(ap, int);
        bool neg = v < 0;
        put_number(s, neg ? u64(0) - u64(v) : u64(v), 10, false, neg, spec);
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        u64 v = longs ? va_arg(ap, u64) : va_arg(ap, unsigned);
        put_number(s, v, *p == 'u' ? 10 : 16, *p == 'X', false, spec);
        break;
      }
      case 'p': {
        s.put('0');
        s.put('x');
        put_number(s, reinterpret_cast<u64>(va_arg(ap, void*)), 16, false, false, spec);
        break;
      }
      case 'c': {
        char c = char(va_arg(ap, int));
        put_padded(s, &c, 1, spec);
        break;
      }
      case 's': {
        const char* str = va_arg(ap, const char*);
        if (str == nullptr) str = "(null)";
        usize n = 0;
        while (str[n] != '\0') ++n;
        put_padded(s, str, n, spec);
        break;
      }
      case '%': s.put('%'); break;
      default:  // unknown conversion: print it verbatim
        for (const char* q = start; q <= p && *q != '\0'; ++q) s.put(*q);
        if (*p == '\0') --p;
        break;
    }
  }
  if (cap > 0) buf[s.len < cap ? s.len : cap - 1] = '\0';
  return s.len;
}

usize format(char* buf, usize cap, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  usize n = vformat(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

}  // namespace tv
