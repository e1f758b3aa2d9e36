#include "tv/cpu_start.hpp"

namespace tv::smp {

const char* to_string(StartState s) {
  switch (s) {
    case StartState::Parked: return "parked";
    case StartState::WaitForSipi: return "wait-for-sipi";
    case StartState::Running: return "running";
  }
  return "unknown";
}

StartStep on_init(StartState s) {
  return {.next = StartState::WaitForSipi, .leave_guest = s == StartState::Running, .start = false};
}

StartStep on_sipi(StartState s) {
  if (s != StartState::WaitForSipi) return {.next = s, .leave_guest = false, .start = false};
  return {.next = StartState::Running, .leave_guest = false, .start = true};
}

// Posters publish with release, the owner's take() reads with acquire: whatever the
// sender wrote before posting (e.g. the trampoline the SIPI vector points at) is
// visible to the owner once it sees the event.
bool StartMailbox::post_init() {
  u32 old = __atomic_load_n(&word_, __ATOMIC_RELAXED);
  for (;;) {
    if (old == kInit) return false;  // already pending, no SIPI to cancel
    // kInit alone: a SIPI posted before this INIT (and its vector) is cancelled.
    if (__atomic_compare_exchange_n(&word_, &old, kInit, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) return true;
  }
}

bool StartMailbox::post_sipi(u8 vector) {
  u32 old = __atomic_load_n(&word_, __ATOMIC_RELAXED);
  for (;;) {
    if ((old & kSipi) != 0) return false;  // the pending one already starts the CPU
    const u32 next = old | kSipi | (u32(vector) << kVectorShift);
    if (__atomic_compare_exchange_n(&word_, &old, next, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) return true;
  }
}

StartMailbox::Taken StartMailbox::take() {
  const u32 w = __atomic_exchange_n(&word_, 0, __ATOMIC_ACQUIRE);
  const bool sipi = (w & kSipi) != 0;
  return {.init = (w & kInit) != 0, .sipi = sipi, .vector = sipi ? u8(w >> kVectorShift) : u8(0)};
}

}  // namespace tv::smp
