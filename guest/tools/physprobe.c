/* physprobe: reads (and optionally writes) a physical range through /dev/mem,
 * to show that the VMM's own memory is invisible and untouchable from the guest.
 *
 *   physprobe read BASE LEN        prints nonzero-byte count and an FNV-1a hash
 *   physprobe write BASE LEN BYTE  fills the range with BYTE, then re-reads it
 * Needs a kernel booted with iomem=relaxed (and the range outside System RAM). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t fnv1a(const unsigned char* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

int main(int argc, char** argv) {
  if (argc < 4 || (strcmp(argv[1], "write") == 0 && argc < 5)) {
    fprintf(stderr, "usage: physprobe read BASE LEN | write BASE LEN BYTE\n");
    return 2;
  }
  off_t base = (off_t)strtoull(argv[2], NULL, 0);
  size_t len = (size_t)strtoull(argv[3], NULL, 0);
  unsigned char* buf = malloc(len);
  int fd = open("/dev/mem", O_RDWR | O_SYNC);
  if (fd < 0 || buf == NULL) {
    perror("physprobe: /dev/mem");
    return 1;
  }
  if (strcmp(argv[1], "write") == 0) {
    memset(buf, (int)strtoul(argv[4], NULL, 0), len);
    ssize_t w = pwrite(fd, buf, len, base);
    if (w != (ssize_t)len) {
      perror("physprobe: write");
      return 1;
    }
    printf("wrote %zu bytes at %#llx\n", len, (unsigned long long)base);
  }
  ssize_t r = pread(fd, buf, len, base);
  if (r != (ssize_t)len) {
    perror("physprobe: read");
    return 1;
  }
  size_t nonzero = 0;
  for (size_t i = 0; i < len; ++i) nonzero += buf[i] != 0;
  printf("read %zu bytes at %#llx: nonzero=%zu fnv1a=%016llx first=%02x%02x%02x%02x\n", len, (unsigned long long)base,
         nonzero, (unsigned long long)fnv1a(buf, len), buf[0], buf[1], buf[2], buf[3]);
  return 0;
}
