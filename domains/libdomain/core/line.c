/* Line editing state machine for lineinput() (domain_core.h). */
#include "domain_core.h"

int dom_line_feed(struct dom_line* l, int c, struct dom_line_echo* echo) {
  echo->erase = 0;
  echo->len = 0;
  if (c == '\r' || c == '\n') {
    l->buf[l->len] = '\0';
    echo->text[0] = '\n', echo->len = 1;
    return 1;
  }
  if (c == '\b' || c == 0x7F) {
    if (l->len > 0) --l->len, echo->erase = 1;
  } else if (c == 0x15) { /* ^U */
    echo->erase = l->len;
    l->len = 0;
  } else if (c >= 0x20 && c < 0x7F && l->len < l->cap - 1) {
    l->buf[l->len++] = (char)c;
    echo->text[0] = (char)c, echo->len = 1;
  }
  return 0;
}
