#include "virt/watchpoints.hpp"

#include "kernel/log.hpp"
#include "tv/watch_spec.hpp"
#include "tv/x86/control_regs.hpp"
#include "virt/guest_memory.hpp"

namespace tv {
namespace {

// The first 16 hits of a watchpoint, then the 32nd, 64th, ...: a watch on a
// hot function must not flood the log ring.
bool worth_logging(u64 hits) {
  return hits <= 16 || (hits & (hits - 1)) == 0;
}
}  // namespace

Result<u8, DebugRegError> claim_watch(Vcpu& vcpu, u64 addr, BpType type, u8 len, WatchHandler handler,
                                      const DrContext* ctx) {
  auto slot = vcpu.debug_regs().claim(addr, type, len, ctx != nullptr ? *ctx : debug_context(vcpu));
  if (!slot) {
    TV_LOG_GUEST("watch %lx %s %u refused: %s", addr, to_string(type), unsigned(len), to_string(slot.error()));
    return slot;
  }
  vcpu.watch_handler(*slot) = handler;
  TV_LOG_GUEST("watch: slot %u watches %lx (%s, %u bytes)", unsigned(*slot), addr, to_string(type), unsigned(len));
  return slot;
}

Status<DebugRegError> release_watch(Vcpu& vcpu, u8 slot) {
  GuestDebugRegs& f = vcpu.debug_regs();
  const Watchpoint w = slot < kBreakpointSlots ? f.watchpoint(slot) : Watchpoint{};
  TV_TRY(f.release(slot));
  vcpu.watch_handler(slot) = nullptr;
  TV_LOG_GUEST("watch: slot %u released (%lx, %lu hits)", unsigned(slot), w.addr, w.hits);
  return Ok{};
}

Status<DebugRegError> release_watch_on_request(Vcpu& vcpu, u8 slot) {
  if (slot < kBreakpointSlots && vcpu.watch_handler(slot) != nullptr &&
      (vcpu.debug_regs().vmm_slots() & (1u << slot)) != 0)
    return Err{DebugRegError::VmmInternal};
  return release_watch(vcpu, slot);
}

void watch_hit(Vcpu& vcpu, u8 slot) {
  GuestDebugRegs& f = vcpu.debug_regs();
  f.count_hit(slot);
  const Watchpoint& w = f.watchpoint(slot);
  if (worth_logging(w.hits)) {
    if (w.type == BpType::Execute) {
      TV_LOG("watch hit %lu: slot %u exec %lx rip %lx rdi %lx rsi %lx", w.hits, unsigned(slot), w.addr, vcpu.rip(),
             vcpu.gpr(Gpr::Rdi), vcpu.gpr(Gpr::Rsi));
    } else {
      u64 value = 0;
      const bool read = read_guest_virtual(vcpu, w.addr, &value, w.len).ok();
      if (read)
        TV_LOG("watch hit %lu: slot %u %s %lx rip %lx value %lx", w.hits, unsigned(slot), to_string(w.type), w.addr,
               vcpu.rip(), value);
      else
        TV_LOG("watch hit %lu: slot %u %s %lx rip %lx value unreadable", w.hits, unsigned(slot), to_string(w.type),
               w.addr, vcpu.rip());
    }
  }
  if (WatchHandler h = vcpu.watch_handler(slot); h != nullptr) h(vcpu, slot, w);
}

void claim_watch_option(Vcpu& vcpu, const char* value) {
  auto spec = parse_watch_spec(value);
  if (!spec) {
    TV_LOG("watch=%s ignored: %s", value, to_string(spec.error()));
    return;
  }
  // Claimed before the guest runs: judged as for the 64-bit guest it becomes.
  const DrContext ctx{false, true, false};
  if (!claim_watch(vcpu, spec->addr, spec->type, spec->len, nullptr, &ctx)) TV_LOG("watch=%s refused", value);
}

}  // namespace tv
