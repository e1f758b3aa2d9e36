/* strtol without errno (domain_core.h): domains have no errno, so overflow
 * saturates and the caller can compare against the limits. */
#include "domain_core.h"

#define DOM_LONG_MAX 0x7FFFFFFFFFFFFFFFl
#define DOM_LONG_MIN (-DOM_LONG_MAX - 1)

static int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

long dom_strtol(const char* s, char** end, int base) {
  const char* p = s;
  while (*p == ' ' || (*p >= '\t' && *p <= '\r')) ++p;
  int neg = 0;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  /* A prefix counts only if a digit follows it ("0x" alone parses as 0). */
  if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) < 16) {
    p += 2, base = 16;
  } else if (base == 0) {
    base = p[0] == '0' ? 8 : 10;
  }
  const char* digits = p;
  unsigned long acc = 0;
  unsigned long limit = neg ? (unsigned long)DOM_LONG_MAX + 1 : (unsigned long)DOM_LONG_MAX;
  int overflow = 0;
  if (base >= 2 && base <= 36) {
    for (int d; (d = digit_value(*p)) < base; ++p) {
      if (acc > (limit - (unsigned long)d) / (unsigned long)base)
        overflow = 1;
      else
        acc = acc * (unsigned long)base + (unsigned long)d;
    }
  }
  if (end != NULL) *end = (char*)(p == digits ? s : p);
  if (overflow) return neg ? DOM_LONG_MIN : DOM_LONG_MAX;
  return neg ? (long)(0ul - acc) : (long)acc;
}
