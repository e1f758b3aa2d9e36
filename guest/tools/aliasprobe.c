/* aliasprobe: checks that a user-mode (CPL 3) caller cannot make the VMM read
 * or write memory through a kernel-only mapping of the caller's own page.
 *
 *   aliasprobe          (as root, in a guest booted with nokaslr, 4-level paging)
 *
 * The VMM promises (docs/hypercalls.md, "Caller policy") that memory it reads
 * or writes for a user-mode caller must be user-accessible (and writable, for
 * writes) in the guest's own page tables. To test that promise we need an
 * address that is mapped, points at RAM the caller controls, and differs from
 * a user address only in the U/S bit: the kernel's direct-map ("physmap")
 * alias of one of our own pages. Without the check the VMM would happily read
 * a service name through it, or write a status report into it.
 *
 * Prints one line per check, "aliasprobe: ok ..." or "aliasprobe: FAIL ...".
 * Exit status: 0 all checks passed, 1 some check failed, 2 the setup itself
 * failed (so a broken setup is never mistaken for a pass).
 *
 * What this relies on, and how each assumption is verified at run time:
 *  - The guest kernel is booted with nokaslr and uses 4-level paging, so its
 *    direct map starts at 0xffff888000000000 (Documentation/x86/x86_64/
 *    mm.rst) and physical address P is mapped, supervisor-only and writable,
 *    at 0xffff888000000000 + P. Verified through /proc/kcore: its ELF program
 *    headers list each RAM range with p_paddr = __pa(p_vaddr) (fs/proc/kcore.c),
 *    which must give exactly that alias; and reading the alias through
 *    /proc/kcore (the kernel copies from that very kernel address) must return
 *    the bytes we wrote through our user pointer.
 *  - The direct map is present in the page tables active while this process
 *    runs in user mode, i.e. no kernel page-table isolation (PTI). With PTI the
 *    user CR3 does not map the direct map at all, the VMM's walk would fail with
 *    "not present", and the checks below would pass even without the
 *    permission check. Verified through /sys/devices/system/cpu/vulnerabilities/
 *    meltdown (PTI is on exactly when it says "Mitigation: PTI").
 *  - Our pages stay at the same physical frame while we test: they are
 *    mlock()ed, and the PFN is read again from /proc/self/pagemap at the end.
 *  - /proc/self/pagemap shows real PFNs only to CAP_SYS_ADMIN (root); PFN 0
 *    means we are not privileged enough. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "thinvisor/vmmcall.h"

#define PAGE 4096ull
/* x86-64, 4-level paging, no KASLR: start of the direct mapping of all physical memory. */
#define DIRECT_MAP_BASE 0xffff888000000000ull

static int failures;

static void check(int ok, const char* what) {
  printf("aliasprobe: %s %s\n", ok ? "ok" : "FAIL", what);
  if (!ok) ++failures;
}

static void setup_failed(const char* fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void setup_failed(const char* fmt, ...) {
  va_list ap;
  printf("aliasprobe: SETUP FAILED: ");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf(" (nothing was tested)\n");
  fflush(stdout);
  exit(2);
}

/* An mlock()ed, page-aligned, zero-filled private page, really backed by its own frame. */
static unsigned char* locked_page(void) {
  void* p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) setup_failed("mmap: %s", strerror(errno));
  if (mlock(p, PAGE) != 0) setup_failed("mlock: %s", strerror(errno));
  memset(p, 0, PAGE); /* a write fault: our own frame, not the shared zero page */
  return p;
}

/* Physical address of the page holding `va`, from /proc/self/pagemap. */
static uint64_t phys_of(const void* va) {
  int fd = open("/proc/self/pagemap", O_RDONLY);
  if (fd < 0) setup_failed("cannot open /proc/self/pagemap: %s", strerror(errno));
  uint64_t entry = 0;
  off_t at = (off_t)(((uintptr_t)va / PAGE) * sizeof entry);
  ssize_t n = pread(fd, &entry, sizeof entry, at);
  close(fd);
  if (n != (ssize_t)sizeof entry) setup_failed("cannot read /proc/self/pagemap: %s", strerror(errno));
  if (!(entry & (1ull << 63))) setup_failed("pagemap: page not present despite mlock");
  if (entry & (1ull << 62)) setup_failed("pagemap: page is swapped");
  uint64_t pfn = entry & ((1ull << 55) - 1);
  if (pfn == 0) setup_failed("pagemap shows PFN 0 (not root / no CAP_SYS_ADMIN?)");
  return pfn * PAGE + ((uintptr_t)va & (PAGE - 1));
}

/* Refuses to run when kernel page-table isolation is on (see the header comment). */
static void require_no_pti(void) {
  char buf[256] = {0};
  int fd = open("/sys/devices/system/cpu/vulnerabilities/meltdown", O_RDONLY);
  if (fd < 0) setup_failed("cannot tell whether PTI is on: /sys/.../vulnerabilities/meltdown: %s", strerror(errno));
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) setup_failed("cannot read /sys/devices/system/cpu/vulnerabilities/meltdown");
  buf[strcspn(buf, "\n")] = 0;
  if (strstr(buf, "PTI"))
    setup_failed(
        "kernel page-table isolation is on (meltdown: %s): the direct map "
        "is not mapped in user mode, so this test could not fail",
        buf);
  printf("aliasprobe: setup meltdown: %s (no PTI: the direct map is in the user-mode page tables)\n", buf);
}

/* /proc/kcore: an ELF core image of the kernel's address space. */
struct kcore {
  int fd;
  Elf64_Phdr ph[256];
  int nph;
};

static void kcore_open(struct kcore* k) {
  Elf64_Ehdr eh;
  k->fd = open("/proc/kcore", O_RDONLY);
  if (k->fd < 0) setup_failed("cannot open /proc/kcore to verify the direct-map base: %s", strerror(errno));
  if (pread(k->fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr))
    setup_failed("/proc/kcore is not a 64-bit ELF image");
  k->nph = eh.e_phnum < 256 ? eh.e_phnum : 256;
  ssize_t want = (ssize_t)(k->nph * sizeof(Elf64_Phdr));
  if (pread(k->fd, k->ph, (size_t)want, (off_t)eh.e_phoff) != want)
    setup_failed("cannot read the program headers of /proc/kcore");
}

/* The kernel virtual address at which kcore says physical `pa` is mapped as RAM
 * (p_paddr is set only for RAM and kernel-text segments), and its file offset. */
static int kcore_ram_alias(const struct kcore* k, uint64_t pa, uint64_t* va, uint64_t* file_off) {
  for (int i = 0; i < k->nph; ++i) {
    const Elf64_Phdr* p = &k->ph[i];
    if (p->p_type != PT_LOAD || p->p_paddr == (Elf64_Addr)-1) continue;
    if (pa < p->p_paddr || pa - p->p_paddr >= p->p_memsz) continue;
    if (p->p_vaddr >= 0xffffffff80000000ull) continue; /* kernel-image mapping, not the direct map */
    *va = p->p_vaddr + (pa - p->p_paddr);
    *file_off = p->p_offset + (pa - p->p_paddr);
    return 1;
  }
  return 0;
}

/* Direct-map alias of `user`: DIRECT_MAP_BASE + its physical address, verified
 * against /proc/kcore (address and contents, see the header comment). */
static uint64_t verified_alias(const struct kcore* k, const unsigned char* user, const char* label) {
  uint64_t pa = phys_of(user);
  uint64_t alias = DIRECT_MAP_BASE + pa;
  uint64_t kva = 0, off = 0;
  if (!kcore_ram_alias(k, pa, &kva, &off))
    setup_failed("%s page: /proc/kcore has no RAM segment for phys %#llx", label, (unsigned long long)pa);
  if (kva != alias)
    setup_failed("%s page: /proc/kcore maps phys %#llx at %#llx, not at %#llx (KASLR on, or 5-level paging?)", label,
                 (unsigned long long)pa, (unsigned long long)kva, (unsigned long long)alias);
  static unsigned char seen[PAGE];
  if (pread(k->fd, seen, PAGE, (off_t)off) != (ssize_t)PAGE || memcmp(seen, user, PAGE) != 0)
    setup_failed("%s page: reading %#llx through /proc/kcore does not show our page", label, (unsigned long long)alias);
  printf("aliasprobe: setup %s page user=%p phys=%#llx direct-map alias=%#llx (verified via /proc/kcore)\n", label,
         (const void*)user, (unsigned long long)pa, (unsigned long long)alias);
  return alias;
}

static int all_zero(const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i]) return 0;
  return 1;
}

int main(void) {
  struct tv_hypercall hc;
  char what[256];
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (tv_hypercall_init(&hc) != 0) setup_failed("not running under thinvisor");
  tv_u64 status_nr = tv_lookup(&hc, "status");
  if (status_nr == 0) setup_failed("no service named \"status\"");

  require_no_pti();
  unsigned char* name = locked_page(); /* "status\0", then zeros */
  unsigned char* out = locked_page();  /* stays zero unless the VMM writes into it */
  memcpy(name, "status", 7);
  struct kcore k;
  kcore_open(&k);
  uint64_t pa_name = phys_of(name), pa_out = phys_of(out);
  uint64_t name_alias = verified_alias(&k, name, "name");
  uint64_t out_alias = verified_alias(&k, out, "output");
  close(k.fd);

  /* (a) the name through our user pointer resolves to "status". */
  tv_u64 n = tv_lookup(&hc, (const char*)name);
  snprintf(what, sizeof what, "lookup via user pointer %p -> %llu (status is %llu)", (void*)name, (unsigned long long)n,
           (unsigned long long)status_nr);
  check(n != 0 && n == status_nr, what);

  /* (b) the same bytes through the supervisor-only alias must not be read. */
  n = tv_lookup(&hc, (const char*)(uintptr_t)name_alias);
  snprintf(what, sizeof what, "lookup via kernel alias %#llx -> %llu (want 0)", (unsigned long long)name_alias,
           (unsigned long long)n);
  check(n == 0, what);

  /* (c) status must not write through the alias of our zero-filled page. */
  struct tv_regs r = {0, out_alias, PAGE, 0, 0, 0};
  tv_call(&hc, status_nr, &r);
  snprintf(what, sizeof what, "status into kernel alias %#llx -> rax=%#llx (want %#llx, bad address)",
           (unsigned long long)out_alias, (unsigned long long)r.rax, (unsigned long long)TV_ERR_BAD_ADDRESS);
  check(r.rax == TV_ERR_BAD_ADDRESS, what);
  size_t nonzero = 0;
  for (size_t i = 0; i < PAGE; ++i) nonzero += out[i] != 0;
  snprintf(what, sizeof what, "page behind the kernel alias untouched (%zu nonzero bytes%s%.40s%s)", nonzero,
           nonzero ? ", starts \"" : "", nonzero ? (const char*)out : "", nonzero ? "\"" : "");
  for (char* c = what; *c; ++c)
    if (*c == '\n') *c = ' ';
  check(all_zero(out, PAGE), what);

  /* (d) the same call through the user pointer succeeds: the alias was refused for its protections only. */
  struct tv_regs u = {0, (tv_u64)(uintptr_t)out, PAGE, 0, 0, 0};
  tv_call(&hc, status_nr, &u);
  size_t len = strnlen((const char*)out, PAGE);
  snprintf(what, sizeof what, "status into user pointer %p -> rax=%#llx rcx=%llu, %zu bytes of text", (void*)out,
           (unsigned long long)u.rax, (unsigned long long)u.rcx, len);
  check(u.rax == 0 && len > 0 && len < PAGE && u.rcx == len && strncmp((const char*)out, "version ", 8) == 0, what);

  /* The frames must not have moved under us, or the alias checks proved nothing. */
  if (phys_of(name) != pa_name || phys_of(out) != pa_out)
    setup_failed("a test page moved to another physical frame during the test");

  if (failures) {
    printf("aliasprobe: %d check(s) FAILED\n", failures);
    return 1;
  }
  printf("aliasprobe: all checks passed\n");
  return 0;
}
