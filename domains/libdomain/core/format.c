/* printf-style formatting (domain_core.h). No floating point: domains are
 * built -mgeneral-regs-only. */
#include "domain_core.h"

struct spec {
  int left;  /* '-': pad on the right */
  int zero;  /* '0': pad numbers with zeros */
  int width; /* minimum field width */
  int prec;  /* %s: maximum bytes; -1 if none */
  int lng;   /* number of 'l' (or 'z') modifiers */
};

static int pad(dom_sink_fn sink, void* ctx, char c, int n) {
  for (int i = 0; i < n; ++i) sink(ctx, c);
  return n > 0 ? n : 0;
}

/* Emits digits (most significant first) with sign/prefix, padded to width. */
static int emit_number(dom_sink_fn sink, void* ctx, const struct spec* sp, unsigned long v, int neg, unsigned base,
                       int upper, const char* prefix) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = digits[v % base];
    v /= base;
  } while (v != 0);
  int plen = 0;
  while (prefix[plen] != '\0') ++plen;
  int body = n + plen + (neg ? 1 : 0);
  int out = 0;
  if (!sp->left && !sp->zero) out += pad(sink, ctx, ' ', sp->width - body);
  if (neg) sink(ctx, '-'), ++out;
  for (int i = 0; i < plen; ++i) sink(ctx, prefix[i]), ++out;
  if (!sp->left && sp->zero) out += pad(sink, ctx, '0', sp->width - body);
  while (n > 0) sink(ctx, tmp[--n]), ++out;
  if (sp->left) out += pad(sink, ctx, ' ', sp->width - body);
  return out;
}

static int emit_string(dom_sink_fn sink, void* ctx, const struct spec* sp, const char* s) {
  if (s == NULL) s = "(null)";
  int n = 0;
  while (s[n] != '\0' && (sp->prec < 0 || n < sp->prec)) ++n;
  int out = 0;
  if (!sp->left) out += pad(sink, ctx, ' ', sp->width - n);
  for (int i = 0; i < n; ++i) sink(ctx, s[i]), ++out;
  if (sp->left) out += pad(sink, ctx, ' ', sp->width - n);
  return out;
}

/* Parses flags, width, precision and length after '%'; returns the conversion character's position. */
static const char* parse_spec(const char* f, struct spec* sp, va_list* ap) {
  *sp = (struct spec){0, 0, 0, -1, 0};
  for (;; ++f) {
    if (*f == '-')
      sp->left = 1;
    else if (*f == '0')
      sp->zero = 1;
    else
      break;
  }
  if (*f == '*') {
    sp->width = va_arg(*ap, int);
    if (sp->width < 0) sp->left = 1, sp->width = -sp->width;
    ++f;
  }
  while (*f >= '0' && *f <= '9') sp->width = sp->width * 10 + (*f++ - '0');
  if (*f == '.') {
    sp->prec = 0;
    if (*++f == '*') {
      sp->prec = va_arg(*ap, int);
      if (sp->prec < 0) sp->prec = -1; /* C: a negative precision is taken as none */
      ++f;
    }
    for (; *f >= '0' && *f <= '9'; ++f) sp->prec = sp->prec * 10 + (*f - '0');
  }
  while (*f == 'l' || *f == 'z') ++sp->lng, ++f;
  return f;
}

static unsigned long arg_unsigned(const struct spec* sp, va_list* ap) {
  return sp->lng > 0 ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned int);
}

int dom_format(dom_sink_fn sink, void* ctx, const char* fmt, va_list ap_in) {
  va_list ap;
  va_copy(ap, ap_in);
  int out = 0;
  for (const char* f = fmt; *f != '\0'; ++f) {
    if (*f != '%') {
      sink(ctx, *f), ++out;
      continue;
    }
    struct spec sp;
    f = parse_spec(f + 1, &sp, &ap);
    switch (*f) {
      case 'd':
      case 'i': {
        long v = sp.lng > 0 ? va_arg(ap, long) : va_arg(ap, int);
        /* Negate in unsigned arithmetic so LONG_MIN does not overflow. */
        unsigned long mag = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
        out += emit_number(sink, ctx, &sp, mag, v < 0, 10, 0, "");
        break;
      }
      case 'u': out += emit_number(sink, ctx, &sp, arg_unsigned(&sp, &ap), 0, 10, 0, ""); break;
      case 'x': out += emit_number(sink, ctx, &sp, arg_unsigned(&sp, &ap), 0, 16, 0, ""); break;
      case 'X': out += emit_number(sink, ctx, &sp, arg_unsigned(&sp, &ap), 0, 16, 1, ""); break;
      case 'p': out += emit_number(sink, ctx, &sp, (unsigned long)va_arg(ap, void*), 0, 16, 0, "0x"); break;
      case 's': out += emit_string(sink, ctx, &sp, va_arg(ap, const char*)); break;
      case 'c': {
        char c = (char)va_arg(ap, int);
        if (!sp.left) out += pad(sink, ctx, ' ', sp.width - 1);
        sink(ctx, c), ++out;
        if (sp.left) out += pad(sink, ctx, ' ', sp.width - 1);
        break;
      }
      case '%': sink(ctx, '%'), ++out; break;
      case '\0': --f; break; /* a lone '%' at the end: stop at the NUL */
      default: /* unknown conversion: print it as written */ sink(ctx, '%'), sink(ctx, *f), out += 2; break;
    }
  }
  va_end(ap);
  return out;
}

struct buf_sink {
  char* out;
  size_t cap;
  size_t len;
};

static void to_buffer(void* ctx, char c) {
  struct buf_sink* b = ctx;
  if (b->len + 1 < b->cap) b->out[b->len] = c;
  ++b->len;
}

int dom_vsnprintf(char* out, size_t cap, const char* fmt, va_list ap) {
  struct buf_sink b = {out, cap, 0};
  int n = dom_format(to_buffer, &b, fmt, ap);
  if (cap > 0) out[b.len < cap ? b.len : cap - 1] = '\0';
  return n;
}
