// The `watch` message service: the debug shell's watch/unwatch commands
// (docs/debug-registers.md, docs/dbgsh.md). Buffer messages only:
//   value 0: claim a VMM watchpoint; buffer 0 holds the spec text
//            "ADDR [x|w|rw] [LEN]" (tv/watch_spec.hpp)
//   value 1: release; buffer 0 holds the slot number as text
// Buffer 1 (read-write) gets one line saying what happened, NUL-terminated.
// Returns the slot (0-3), or -1 with the reason in buffer 1.
#include "domain/watch_service.hpp"

#include "domain/domain.hpp"
#include "kernel/percpu.hpp"
#include "kernel/report.hpp"
#include "tv/watch_spec.hpp"
#include "virt/svm/svm.hpp"
#include "virt/watchpoints.hpp"

namespace tv::dom {
namespace {

constexpr usize kSpecBytes = 64;

i64 answer(const BufView& out, i64 result, const Report& text) {
  if (!out.rw || out.len == 0) return result;
  const usize n = text.len() + 1 < out.len ? text.len() + 1 : usize(out.len);
  if (!out.write(0, text.text(), n)) return -1;
  return result;
}

i64 watch_service(int type, i64 value, const BufView* bufs, usize n) {
  if (type != kMsgBuf || n < 2 || (value != 0 && value != 1)) return -1;
  char spec[kSpecBytes] = {};
  const usize len = bufs[0].len < kSpecBytes - 1 ? usize(bufs[0].len) : kSpecBytes - 1;
  if (!bufs[0].read(0, spec, len)) return -1;
  spec[len] = '\0';
  char line[160];
  Report r(line, sizeof line);
  Vcpu& vcpu = current_vcpu();
  if (value == 1) {
    auto slot = parse_watch_spec(spec);  // the slot is a hex digit: parse it as an address
    if (!slot || slot->addr > 3) {
      r.add("unwatch: give a slot, 0-3");
      return answer(bufs[1], -1, r);
    }
    if (auto st = release_watch_on_request(vcpu, u8(slot->addr)); !st) {
      r.add("unwatch %lu: %s", slot->addr, to_string(st.error()));
      return answer(bufs[1], -1, r);
    }
    r.add("unwatch: slot %lu released", slot->addr);
    return answer(bufs[1], i64(slot->addr), r);
  }
  auto w = parse_watch_spec(spec);
  if (!w) {
    r.add("watch: %s", to_string(w.error()));
    return answer(bufs[1], -1, r);
  }
  auto slot = claim_watch(vcpu, w->addr, w->type, w->len);
  if (!slot) {
    r.add("watch %lx: %s", w->addr, to_string(slot.error()));
    return answer(bufs[1], -1, r);
  }
  r.add("watch: slot %u watches %lx (%s, %u bytes)", unsigned(*slot), w->addr, to_string(w->type), unsigned(w->len));
  return answer(bufs[1], *slot, r);
}

}  // namespace

Status<DomainError> register_watch_service() {
  if (auto d = msgregister_vmm("watch", watch_service); !d) return Err{d.error()};
  return Ok{};
}

}  // namespace tv::dom
