// libdomain (domains/libdomain): its C copy of the ABI must equal the C++
// contract, and its syscall-free core (formatter, heap, line editing, strtol,
// error names) is tested here on the host.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <set>
#include <string>

#include "domain_abi.h"
#include "domain_core.h"
#include "tv/domain_abi.hpp"
#include "tv/domain_error.hpp"

namespace {

using tv::DomainError;
using tv::dom::Sys;

constexpr bool sys_is(int c, Sys s) {
  return static_cast<tv::u64>(c) == static_cast<tv::u64>(s);
}
static_assert(sys_is(DOM_SYS_NOP, Sys::Nop) && sys_is(DOM_SYS_MSGREGISTER, Sys::MsgRegister) &&
              sys_is(DOM_SYS_MSGOPEN, Sys::MsgOpen) && sys_is(DOM_SYS_MSGCLOSE, Sys::MsgClose) &&
              sys_is(DOM_SYS_MSGSENDINT, Sys::MsgSendInt) && sys_is(DOM_SYS_MSGRET, Sys::MsgRet) &&
              sys_is(DOM_SYS_MSGSENDDESC, Sys::MsgSendDesc) && sys_is(DOM_SYS_NEWPROCESS, Sys::NewProcess) &&
              sys_is(DOM_SYS_MSGSENDBUF, Sys::MsgSendBuf) && sys_is(DOM_SYS_MSGUNREGISTER, Sys::MsgUnregister) &&
              sys_is(DOM_SYS_EXITPROCESS, Sys::ExitProcess) && sys_is(DOM_SYS_SETLIMIT, Sys::SetLimit) &&
              sys_is(DOM_SYS_SETLIMIT + 1, Sys::Count));

constexpr bool err_is(int c, DomainError e) {
  return c == static_cast<int>(e);
}
static_assert(err_is(DOM_E_BAD_DESCRIPTOR, DomainError::BadDescriptor) &&
              err_is(DOM_E_CLOSED_DESCRIPTOR, DomainError::ClosedDescriptor) &&
              err_is(DOM_E_STALE_DESCRIPTOR, DomainError::StaleDescriptor) &&
              err_is(DOM_E_NO_SUCH_NAME, DomainError::NoSuchName) && err_is(DOM_E_NAME_TAKEN, DomainError::NameTaken) &&
              err_is(DOM_E_TABLE_FULL, DomainError::TableFull) && err_is(DOM_E_CALLEE_DIED, DomainError::CalleeDied) &&
              err_is(DOM_E_BAD_BUFFER, DomainError::BadBuffer) &&
              err_is(DOM_E_NESTING_TOO_DEEP, DomainError::NestingTooDeep) &&
              err_is(DOM_E_LOCKED_DOWN, DomainError::LockedDown) &&
              err_is(DOM_E_OUT_OF_MEMORY, DomainError::OutOfMemory) &&
              err_is(DOM_E_BAD_ARGUMENT, DomainError::BadArgument) &&
              err_is(DOM_E_NO_SUCH_PROGRAM, DomainError::NoSuchProgram) &&
              err_is(DOM_E_NOT_A_PROCESS, DomainError::NotAProcess) && err_is(DOM_E_NOT_OWNER, DomainError::NotOwner) &&
              err_is(DOM_E_COUNT, DomainError::Count));

static_assert(sizeof(msgbuf) == sizeof(tv::dom::MsgBuf) && offsetof(msgbuf, base) == offsetof(tv::dom::MsgBuf, base) &&
              offsetof(msgbuf, len) == offsetof(tv::dom::MsgBuf, len) &&
              offsetof(msgbuf, rw) == offsetof(tv::dom::MsgBuf, rw));
static_assert(VMMINFO_EXITS == tv::i64(tv::dom::InfoReport::Exits) &&
              VMMINFO_DOMAINS == tv::i64(tv::dom::InfoReport::Domains) &&
              VMMINFO_STATUS == tv::i64(tv::dom::InfoReport::Status) &&
              VMMINFO_MEM == tv::i64(tv::dom::InfoReport::Mem) && VMMINFO_REGS == tv::i64(tv::dom::InfoReport::Regs) &&
              VMMINFO_SERVICES == tv::i64(tv::dom::InfoReport::Services) &&
              VMMINFO_PROGRAMS == tv::i64(tv::dom::InfoReport::Programs) &&
              VMMINFO_COUNT == tv::i64(tv::dom::InfoReport::Count) && VMMINFO_BAD_REQUEST == tv::dom::kInfoBadRequest);
static_assert(MSG_INT == tv::dom::kMsgInt && MSG_BUF == tv::dom::kMsgBuf);
static_assert(DOM_TTY_READ == tv::dom::kTtyRead && DOM_TTY_POLL == tv::dom::kTtyPoll &&
              DOM_TTY_NO_KEY == tv::dom::kTtyNoKey && DOM_TTY_INTERACTIVE == tv::dom::kTtyInteractive);
static_assert(DOM_MAX_NAME_BYTES == tv::dom::kMaxNameBytes && DOM_MAX_DESCRIPTORS == tv::dom::kMaxDescriptors &&
              DOM_MAX_BUFS == tv::dom::kMaxBufs && DOM_MAX_BUF_BYTES == tv::dom::kMaxBufBytes &&
              DOM_MAX_NESTING == tv::dom::kMaxNesting && DOM_USER_IMAGE_BASE == tv::dom::kUserImageBase);

TEST(LibdomainErrors, EveryCodeHasItsOwnName) {
  std::set<std::string> seen;
  for (int e = 1; e < DOM_E_COUNT; ++e) {
    std::string name = msgerror_string(e);
    EXPECT_NE(name, "unknown domain error") << e;
    EXPECT_TRUE(seen.insert(name).second) << name;
    EXPECT_EQ(name, msgerror_string(-e));  // a negated descriptor result names the same error
  }
  EXPECT_STREQ(msgerror_string(DOM_E_CALLEE_DIED), "callee died");
  EXPECT_STREQ(msgerror_string(0), "ok");
  EXPECT_STREQ(msgerror_string(DOM_E_COUNT), "unknown domain error");
}

int format_into(char* out, size_t cap, const char* f, ...) {
  va_list ap;
  va_start(ap, f);
  int n = dom_vsnprintf(out, cap, f, ap);
  va_end(ap);
  return n;
}

// Formats into a 128-byte buffer; the returned length must match what was written.
template <typename... Args>
std::string fmt(const char* f, Args... args) {
  char out[128];
  int n = format_into(out, sizeof(out), f, args...);
  EXPECT_EQ(n, static_cast<int>(std::strlen(out)));
  return out;
}

TEST(LibdomainFormat, Conversions) {
  EXPECT_EQ(fmt("%d %i %u", -42, 7, 4000000000u), "-42 7 4000000000");
  EXPECT_EQ(fmt("%ld %lu", -9223372036854775807l - 1, 18446744073709551615ul),
            "-9223372036854775808 18446744073709551615");
  EXPECT_EQ(fmt("%x %X %lx", 0xBEEFu, 0xBEEFu, 0x400000000000ul), "beef BEEF 400000000000");
  EXPECT_EQ(fmt("%p", reinterpret_cast<void*>(0x1000)), "0x1000");
  EXPECT_EQ(fmt("%s|%c|%%", "str", 'z'), "str|z|%");
  EXPECT_EQ(fmt("%s", static_cast<const char*>(nullptr)), "(null)");
}

TEST(LibdomainFormat, WidthPrecisionAndFlags) {
  EXPECT_EQ(fmt("[%5d][%-5d][%05d][%03x]", 42, 42, -42, 0xA), "[   42][42   ][-0042][00a]");
  EXPECT_EQ(fmt("[%*d][%.2s][%.*s][%-4s]", 4, 1, "abc", 1, "xyz", "ab"), "[   1][ab][x][ab  ]");
  EXPECT_EQ(fmt("%zu %lld", sizeof(int), -1ll), "4 -1");
  EXPECT_EQ(fmt("%q"), "%q");  // unknown conversions print as written
}

TEST(LibdomainFormat, TruncatesButReportsFullLength) {
  char out[4];
  EXPECT_EQ(format_into(out, sizeof(out), "ab%s", "cdef"), 6);
  EXPECT_STREQ(out, "abc");
  EXPECT_EQ(format_into(nullptr, 0, "abc"), 3);
}

TEST(LibdomainHeap, FirstFitSplitsAndCoalesces) {
  alignas(16) static unsigned char mem[1024];
  dom_heap h;
  dom_heap_init(&h, mem, sizeof(mem));
  const size_t all = dom_heap_free_bytes(&h);
  EXPECT_EQ(all, sizeof(mem) - 16);
  void* a = dom_heap_alloc(&h, 100);
  void* b = dom_heap_alloc(&h, 1);
  void* c = dom_heap_alloc(&h, 200);
  ASSERT_TRUE(a && b && c);
  for (void* p : {a, b, c}) EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  std::memset(a, 0xAA, 100);  // payloads do not overlap headers
  std::memset(c, 0xCC, 200);
  dom_heap_free(&h, a);
  EXPECT_EQ(dom_heap_alloc(&h, 50), a);  // first fit takes the freed front block
  dom_heap_free(&h, a);
  dom_heap_free(&h, c);
  dom_heap_free(&h, b);  // freeing the middle joins all three with the tail
  EXPECT_EQ(dom_heap_free_bytes(&h), all);
  EXPECT_EQ(dom_heap_alloc(&h, all), a);  // one block again, as big as at the start
}

TEST(LibdomainHeap, ExhaustionAndEdgeCases) {
  alignas(16) static unsigned char mem[256];
  dom_heap h;
  dom_heap_init(&h, mem + 1, sizeof(mem) - 1);  // misaligned arena: start rounded up
  EXPECT_EQ(reinterpret_cast<uintptr_t>(h.base) % 16, 0u);
  EXPECT_EQ(dom_heap_alloc(&h, 0), nullptr);
  EXPECT_EQ(dom_heap_alloc(&h, 1ul << 40), nullptr);
  int n = 0;
  while (dom_heap_alloc(&h, 16) != nullptr) ++n;
  EXPECT_EQ(n, 7);  // 240 usable bytes / (16 header + 16 payload), the last block taking the rest
  EXPECT_EQ(dom_heap_free_bytes(&h), 0u);
  dom_heap_free(&h, nullptr);
  dom_heap tiny;
  dom_heap_init(&tiny, mem, 16);  // no room for a header and a payload
  EXPECT_EQ(dom_heap_alloc(&tiny, 1), nullptr);
}

struct Typed {
  std::string screen;  // what the echo would show
  int done = 0;
};

Typed type_keys(dom_line& l, const std::string& keys) {
  Typed t;
  for (char k : keys) {
    dom_line_echo e;
    t.done = dom_line_feed(&l, static_cast<unsigned char>(k), &e);
    for (int i = 0; i < e.erase; ++i) t.screen += "\b \b";
    t.screen.append(e.text, e.len);
    if (t.done) break;
  }
  return t;
}

TEST(LibdomainLine, EditsAndTerminates) {
  char buf[8];
  dom_line l{buf, sizeof(buf), 0, nullptr, 0};
  Typed t = type_keys(l, "ab\bc\x7f\x7f\x7fxy\x01\r");
  EXPECT_EQ(t.done, 1);
  EXPECT_STREQ(buf, "xy");
  EXPECT_EQ(t.screen, "ab\b \bc\b \b\b \bxy\n");  // a DEL on an empty line echoes nothing
  l.len = 0;
  t = type_keys(l, "abc\x15z\n");
  EXPECT_STREQ(buf, "z");
  EXPECT_EQ(t.screen, "abc\b \b\b \b\b \bz\n");
  l.len = 0;
  t = type_keys(l, "a\x1b[Ab\n");  // without a history, an arrow is swallowed whole
  EXPECT_STREQ(buf, "ab");
  EXPECT_EQ(t.screen, "ab\n");
}

TEST(LibdomainLine, DropsInputPastTheBuffer) {
  char buf[4];
  dom_line l{buf, sizeof(buf), 0, nullptr, 0};
  Typed t = type_keys(l, "abcdef\n");
  EXPECT_STREQ(buf, "abc");
  EXPECT_EQ(t.screen, "abc\n");
}

TEST(LibdomainLine, HistoryRecallsEarlierLinesWithArrowsAndCtrlKeys) {
  char buf[16];
  dom_history h{};
  dom_line l{buf, sizeof(buf), 0, &h, 0};
  type_keys(l, "one\n");
  l.len = 0;
  type_keys(l, "two\n");
  l.len = 0;
  type_keys(l, "two\n");  // a repeat is not stored twice
  EXPECT_EQ(h.count, 2);
  l.len = 0;
  Typed t = type_keys(l, "x\x1b[A\x1b[A\n");  // Up twice: "one"
  EXPECT_STREQ(buf, "one");
  EXPECT_EQ(t.screen, "x\b \btwo\b \b\b \b\b \bone\n");
  l.len = 0;
  t = type_keys(l, "\x10\x10\x10\x0e\n");  // ^P past the oldest stays there; ^N goes newer
  EXPECT_STREQ(buf, "two");
  l.len = 0;
  t = type_keys(l, "\x1bOA\x1b[B\x1b[Cz\n");  // Down past the newest: empty; Right is ignored
  EXPECT_STREQ(buf, "z");
}

TEST(LibdomainStrtol, BasesSignsAndOverflow) {
  char* end = nullptr;
  EXPECT_EQ(dom_strtol("  -123x", &end, 10), -123);
  EXPECT_STREQ(end, "x");
  EXPECT_EQ(dom_strtol("0x1F", nullptr, 0), 31);
  EXPECT_EQ(dom_strtol("1f", nullptr, 16), 31);
  EXPECT_EQ(dom_strtol("017", nullptr, 0), 15);
  EXPECT_EQ(dom_strtol("z", nullptr, 36), 35);
  EXPECT_EQ(dom_strtol("0x", &end, 0), 0);
  EXPECT_STREQ(end, "x");  // "0x" without a hex digit is just the 0
  const char* none = "abc";
  EXPECT_EQ(dom_strtol(none, &end, 10), 0);
  EXPECT_EQ(end, none);
  EXPECT_EQ(dom_strtol("9223372036854775807", nullptr, 10), 9223372036854775807l);
  EXPECT_EQ(dom_strtol("9223372036854775808", nullptr, 10), 9223372036854775807l);
  EXPECT_EQ(dom_strtol("-9223372036854775808", nullptr, 10), -9223372036854775807l - 1);
  EXPECT_EQ(dom_strtol("-99999999999999999999", nullptr, 10), -9223372036854775807l - 1);
}

}  // namespace
