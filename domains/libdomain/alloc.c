/* alloc/free over the program's heap array. The defaults are weak, so a
 * program's DOMAIN_HEAP(bytes) replaces them (and --gc-sections drops the
 * default array). The arena is set up on the first call: the instance's data
 * persists across messages, so it is set up once per instance. */
#include "domain.h"

__attribute__((weak, aligned(16))) unsigned char domain_heap[16 * 1024];
__attribute__((weak)) const size_t domain_heap_size = sizeof(domain_heap);

static struct dom_heap heap;
static int ready;

static struct dom_heap* the_heap(void) {
  if (!ready) {
    dom_heap_init(&heap, domain_heap, domain_heap_size);
    ready = 1;
  }
  return &heap;
}

void* alloc(size_t n) {
  return dom_heap_alloc(the_heap(), n);
}
void free(void* p) {
  dom_heap_free(the_heap(), p);
}
