/* First-fit heap (domain_core.h). The arena is a sequence of blocks, each a
 * 16-byte header {payload size, free flag} followed by its payload, so the
 * next block is found by adding sizes: no list to corrupt besides the headers
 * themselves. */
#include "domain_core.h"

struct block {
  size_t size; /* payload bytes, a multiple of 16 */
  size_t free; /* 1 if free */
};
#define HDR sizeof(struct block)
_Static_assert(sizeof(struct block) == 16, "payloads stay 16-byte aligned");

static struct block* first(const struct dom_heap* h) {
  return (struct block*)h->base;
}
static struct block* next(const struct dom_heap* h, struct block* b) {
  unsigned char* n = (unsigned char*)b + HDR + b->size;
  return n < h->base + h->size ? (struct block*)n : NULL;
}

void dom_heap_init(struct dom_heap* h, void* mem, size_t size) {
  /* Align the start up and the size down to 16 so every header is aligned. */
  unsigned long start = ((unsigned long)mem + 15) & ~15ul;
  size_t lost = start - (unsigned long)mem;
  h->base = (unsigned char*)start;
  h->size = size > lost ? (size - lost) & ~(size_t)15 : 0;
  if (h->size < 2 * HDR) {
    h->size = 0;
    return;
  }
  first(h)->size = h->size - HDR;
  first(h)->free = 1;
}

void* dom_heap_alloc(struct dom_heap* h, size_t n) {
  if (n == 0 || n > h->size) return NULL;
  n = (n + 15) & ~(size_t)15;
  for (struct block* b = h->size ? first(h) : NULL; b != NULL; b = next(h, b)) {
    if (!b->free || b->size < n) continue;
    if (b->size >= n + HDR + 16) { /* split off the rest when it can hold a block */
      struct block* rest = (struct block*)((unsigned char*)b + HDR + n);
      rest->size = b->size - n - HDR;
      rest->free = 1;
      b->size = n;
    }
    b->free = 0;
    return (unsigned char*)b + HDR;
  }
  return NULL;
}

void dom_heap_free(struct dom_heap* h, void* p) {
  if (p == NULL || h->size == 0) return;
  /* One pass merges every run of free blocks, so freeing in any order
   * leaves no two free neighbours. */
  for (struct block* b = first(h); b != NULL; b = next(h, b)) {
    if ((unsigned char*)b + HDR == p) b->free = 1;
    if (!b->free) continue;
    for (struct block* n = next(h, b); n != NULL && (n->free || (unsigned char*)n + HDR == p); n = next(h, b)) {
      b->size += HDR + n->size;
    }
  }
}

size_t dom_heap_free_bytes(const struct dom_heap* h) {
  size_t sum = 0;
  for (struct block* b = h->size ? first(h) : NULL; b != NULL; b = next(h, b)) {
    if (b->free) sum += b->size;
  }
  return sum;
}
