/* Line editing state machine for lineinput() (domain_core.h). */
#include "domain_core.h"

/* core/ has no libc names (domain_core.h): a local comparison. */
static int same(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) ++a, ++b;
  return *a == *b;
}

static void history_add(struct dom_history* h, const char* line, int len) {
  h->back = 0;
  if (len == 0) return;
  int newest = (h->count - 1) % DOM_HISTORY_LINES;
  if (h->count > 0 && same(h->lines[newest], line)) return; /* no repeats */
  char* slot = h->lines[h->count % DOM_HISTORY_LINES];
  int n = len < DOM_HISTORY_BYTES - 1 ? len : DOM_HISTORY_BYTES - 1;
  for (int i = 0; i < n; ++i) slot[i] = line[i];
  slot[n] = '\0';
  ++h->count;
}

/* Replaces the line with the history entry `back` lines back (0: empty). */
static void history_show(struct dom_line* l, int back, struct dom_line_echo* echo) {
  struct dom_history* h = l->hist;
  int stored = h->count < DOM_HISTORY_LINES ? h->count : DOM_HISTORY_LINES;
  if (back < 0 || back > stored) return;
  h->back = back;
  echo->erase = l->len;
  l->len = 0;
  const char* src = back == 0 ? "" : h->lines[(h->count - back) % DOM_HISTORY_LINES];
  while (src[l->len] != '\0' && l->len < l->cap - 1) l->buf[l->len] = src[l->len], ++l->len;
  echo->text = l->buf, echo->len = l->len;
}

/* Returns 1 if c was part of an escape sequence (or a history key) and is consumed. */
static int history_key(struct dom_line* l, int c, struct dom_line_echo* echo) {
  int up = c == 0x10, down = c == 0x0E; /* ^P, ^N */
  if (l->esc == 1) {
    l->esc = (c == '[' || c == 'O') ? 2 : 0;
    return 1;
  }
  if (l->esc == 2) {
    l->esc = 0;
    up = c == 'A', down = c == 'B';
    if (!up && !down) return 1;
  }
  if (c == 0x1B) {
    l->esc = 1;
    return 1;
  }
  if (!up && !down) return 0;
  if (l->hist != 0) history_show(l, l->hist->back + (up ? 1 : -1), echo);
  return 1;
}

int dom_line_feed(struct dom_line* l, int c, struct dom_line_echo* echo) {
  static const char kNewline[] = "\n";
  echo->erase = 0;
  echo->len = 0;
  echo->text = "";
  if (history_key(l, c, echo)) return 0;
  if (c == '\r' || c == '\n') {
    l->buf[l->len] = '\0';
    if (l->hist != 0) history_add(l->hist, l->buf, l->len);
    echo->text = kNewline, echo->len = 1;
    return 1;
  }
  if (c == '\b' || c == 0x7F) {
    if (l->len > 0) --l->len, echo->erase = 1;
  } else if (c == 0x15) { /* ^U */
    echo->erase = l->len;
    l->len = 0;
  } else if (c >= 0x20 && c < 0x7F && l->len < l->cap - 1) {
    l->buf[l->len++] = (char)c;
    echo->text = &l->buf[l->len - 1], echo->len = 1;
  }
  return 0;
}
