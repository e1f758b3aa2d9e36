/* selftest: exercises libdomain and the VMM's messaging against echo (and
 * faulty, for one kill), printing each failed check. Returns the number of
 * failed checks, so 0 means all passed. */
#include "domain.h"

static int passed, failed;

static void check(int ok, const char* what, int line) {
  if (ok)
    ++passed;
  else
    ++failed, printf("selftest: FAILED %s (line %d)\n", what, line);
}
#define CHECK(e) check((e), #e, __LINE__)

static unsigned char big[64 * 1024]; /* a 64 KiB buffer message: mapped, not copied */

static long self_handler(int type, long arg, struct msgbuf* bufs, int n) {
  (void)bufs, (void)n;
  return type == MSG_INT ? arg * 2 : -1;
}

static void int_messages(int echo) {
  static const long values[] = {0, 1, -1, 0x7FFFFFFFFFFFFFFFl, -0x7FFFFFFFFFFFFFFFl - 1};
  for (unsigned i = 0; i < sizeof(values) / sizeof(values[0]); ++i) {
    struct msg_reply r = msgsendint(echo, values[i]);
    CHECK(r.error == 0 && r.value == values[i]);
  }
}

static void buffer_messages(int echo) {
  for (unsigned long i = 0; i < sizeof(big); ++i) big[i] = (unsigned char)i;
  struct msgbuf rw = {(unsigned long)big, sizeof(big), 1};
  struct msg_reply r = msgsendbuf(echo, 0, &rw, 1);
  CHECK(r.error == 0 && r.value == 255l * 256 / 2 * 256);
  CHECK(big[0] == 1 && big[255] == 0 && big[sizeof(big) - 1] == 0);
  struct msgbuf ro = {(unsigned long)big, 16, 0};
  r = msgsendbuf(echo, 0, &ro, 1);
  CHECK(r.error == 0 && r.value == 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12 + 13 + 14 + 15 + 16);
  CHECK(big[0] == 1);
  struct msgbuf empty = {(unsigned long)big, 0, 0};
  CHECK(msgsendbuf(echo, 0, &empty, 1).error == DOM_E_BAD_BUFFER);
  struct msgbuf many[DOM_MAX_BUFS + 1];
  for (int i = 0; i < DOM_MAX_BUFS + 1; ++i) many[i] = ro;
  CHECK(msgsendbuf(echo, 0, many, DOM_MAX_BUFS + 1).error == DOM_E_BAD_BUFFER);
}

static void descriptor_errors(void) {
  CHECK(msgsendint(-1, 0).error == DOM_E_BAD_DESCRIPTOR);
  CHECK(msgsendint(DOM_MAX_DESCRIPTORS, 0).error == DOM_E_BAD_DESCRIPTOR);
  CHECK(msgsendint(DOM_MAX_DESCRIPTORS - 1, 0).error == DOM_E_CLOSED_DESCRIPTOR);
  CHECK(msgopen("selftest-no-such-name") == -DOM_E_NO_SUCH_NAME);
  CHECK(newprocess("selftest-no-such-program") == -DOM_E_NO_SUCH_PROGRAM);
  int echo = newprocess("echo");
  CHECK(echo >= 0 && msgclose(echo) == 0);
  CHECK(msgsendint(echo, 0).error == DOM_E_CLOSED_DESCRIPTOR);
}

/* A handler of our own, called through the VMM while we are in a message: re-entry. */
static void registry(void) {
  int ep = msgregister("selftest-ep", self_handler);
  CHECK(ep >= 0);
  CHECK(msgregister("selftest-ep", self_handler) == -DOM_E_NAME_TAKEN);
  int d = msgopen("selftest-ep");
  struct msg_reply r = msgsendint(d, 21);
  CHECK(d >= 0 && r.error == 0 && r.value == 42);
  CHECK(msgunregister(ep) == 0);
  CHECK(msgsendint(d, 21).error == DOM_E_STALE_DESCRIPTOR);
  CHECK(msgclose(d) == 0);
}

static void fault_kills_only_the_callee(void) {
  int f = newprocess("faulty");
  CHECK(f >= 0);
  CHECK(msgsendint(f, 9).error == DOM_E_CALLEE_DIED);
  CHECK(msgsendint(f, 0).error == DOM_E_STALE_DESCRIPTOR);
  msgclose(f);
}

static void heap(void) {
  char* a = alloc(100);
  char* b = alloc(200);
  CHECK(a != NULL && b != NULL && a != b && ((unsigned long)a & 15) == 0);
  free(a);
  CHECK(alloc(64) == a); /* first fit reuses the freed block */
  CHECK(alloc(1ul << 30) == NULL);
}

static int contains(const unsigned char* hay, long n, const char* needle) {
  long k = 0;
  while (needle[k]) ++k;
  for (long i = 0; i + k <= n; ++i)
    if (memcmp(hay + i, needle, (size_t)k) == 0) return 1;
  return 0;
}

/* The "log" service's read protocol (vmm/domain/vmm_services.cpp): the ring
 * read at once into 64 KiB and paged through 4 KiB must agree, and carry the
 * level and timestamp prefix. Nothing is printed meanwhile (printf logs). */
static unsigned char page[4096];
static void log_service(void) {
  int log = msgopen("log");
  CHECK(log >= 0);
  if (log < 0) return;
  long oldest = msgsendint(log, 1).value, end = msgsendint(log, 0).value, cap = msgsendint(log, 2).value;
  CHECK(cap >= 16 * 1024 && oldest >= 0 && oldest <= end && end - oldest <= cap);
  struct msgbuf all = {(unsigned long)big, sizeof(big), 1};
  long got = msgsendbuf(log, 1, &all, 1).value;
  long paged = 0, bad = 0;
  for (long off = oldest, k;
       (k = msgsendbuf(log, 2 + off, &(struct msgbuf){(unsigned long)page, sizeof(page), 1}, 1).value) > 0; off += k) {
    if (paged + k > got || memcmp(page, big + paged, (size_t)k) != 0) ++bad;
    paged += k;
  }
  struct msgbuf ro = {(unsigned long)page, sizeof(page), 0};
  long past_end = msgsendbuf(log, 2 + end + 1, &all, 1).value, read_only = msgsendbuf(log, 1, &ro, 1).value;
  CHECK(got == (end - oldest < (long)sizeof(big) ? end - oldest : (long)sizeof(big)));
  CHECK(bad == 0 && paged == end - oldest);
  CHECK(contains(big, got, " info] thinvisor: VMM ready"));
  CHECK(past_end == -1 && read_only == -1);
  msgclose(log);
}

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  (void)type, (void)arg, (void)bufs, (void)n;
  passed = failed = 0;
  int echo = newprocess("echo");
  CHECK(echo >= 0);
  if (echo >= 0) {
    int_messages(echo);
    buffer_messages(echo);
    msgclose(echo);
  }
  descriptor_errors();
  registry();
  fault_kills_only_the_callee();
  heap();
  log_service();
  printf("selftest: %d passed, %d failed\n", passed, failed);
  return failed;
}
