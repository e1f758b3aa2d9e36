// How a vCPU starts, stops and restarts, as the guest drives it with INIT and
// start-up IPIs (Intel SDM vol.3 §8.4 "Multiple-Processor (MP) Initialization",
// §10.6.1 ICR delivery modes; AMD APM vol.2 §16.5 "Interprocessor Interrupts").
// Hardware-free: the VMM's apic_exit.cpp posts the events into the target's
// mailbox from whichever CPU sent them, and the target applies them itself
// (vmm/kernel/smp.cpp), so only the owner ever changes a vCPU's state.
#pragma once
#include "tv/types.hpp"

namespace tv::smp {

// What a vCPU is doing, as the guest sees its CPU.
enum class StartState : u8 {
  Parked,       // an AP before the guest's first INIT: a start-up IPI is ignored (as after firmware)
  WaitForSipi,  // INIT received: the next start-up IPI starts it
  Running,      // running guest code (the boot CPU from the start)
};
const char* to_string(StartState s);

// What the owner must do for one event.
struct StartStep {
  StartState next;
  bool leave_guest;  // it was running: stop the guest code (INIT of a running CPU)
  bool start;        // enter real mode at the SIPI vector (start_cs_selector / start_cs_base)
};
// INIT: any state -> WaitForSipi (a running CPU stops; Intel SDM §8.4.1 INIT state).
StartStep on_init(StartState s);
// Start-up IPI: WaitForSipi -> Running at the vector; ignored in every other state
// (SDM §10.6.1: a SIPI to a CPU not in wait-for-SIPI is ignored).
StartStep on_sipi(StartState s);

// SDM §8.4.4.1 / APM §16.5: after a start-up IPI with vector VV the CPU runs in
// real mode at CS:IP = VV00:0000, CS base VV000h.
constexpr u16 start_cs_selector(u8 vector) {
  return u16(u16(vector) << 8);
}
constexpr u64 start_cs_base(u8 vector) {
  return u64(vector) << 12;
}

// The events other CPUs send one vCPU, waiting until it looks. Any CPU may
// post; only the owner takes. An INIT cancels a start-up IPI posted before it
// (that SIPI belonged to the CPU's previous life); a second SIPI before the
// owner looked is dropped (the first already starts the CPU). Lock-free:
// one 32-bit word changed with compare-and-swap.
class StartMailbox {
 public:
  struct Taken {
    bool init;  // apply on_init first
    bool sipi;  // then on_sipi with `vector`
    u8 vector;
  };
  // Both return true if the event changed the mailbox (the owner must be woken).
  bool post_init();
  bool post_sipi(u8 vector);
  Taken take();
  bool empty() const { return __atomic_load_n(&word_, __ATOMIC_ACQUIRE) == 0; }

 private:
  static constexpr u32 kInit = 1u << 0;
  static constexpr u32 kSipi = 1u << 1;
  static constexpr u32 kVectorShift = 8;
  u32 word_ = 0;
};

}  // namespace tv::smp
