// Agentless guest kernel-module load detection (docs/module-watch.md): no code
// in the guest. With a kernel profile among the boot modules (tv/kernel_profile.hpp,
// from tools/tvprofile), the VMM waits until the guest kernel has set LSTAR,
// computes the KASLR slide from it, and puts VMM execute watchpoints
// (virt/watchpoints.hpp) on do_init_module and free_module; each hit reads
// the struct module the guest passes in RDI (tv/module_reader.hpp).
#pragma once
#include "virt/guest_loader.hpp"
#include "virt/vcpu.hpp"

namespace tv {

// At start-up, before the guest loader moves anything: finds and parses the
// profile (boot modules after the kernel and initrd).
void init_module_watch(const BootModule* modules, usize count);
// The VMM options modwatch.hash (log each module's text SHA-256) and
// modwatch.allow=NAME:HEX64,... (also judge it against that allow-list).
void init_module_policy(bool hash, const char* allow);

// This CPU's vCPU was INITed by the guest: a module init it was following
// will never return there; its return watch is given back.
void module_watch_forget_cpu(Vcpu& vcpu);

namespace modwatch_detail {
// One bit per CPU whose vCPU does not watch yet (the watchpoints live in each
// vCPU's own debug registers, so every CPU arms itself).
extern u32 g_unarmed_cpus;
void arm(Vcpu& vcpu);
}  // namespace modwatch_detail

// Called on the generic exit path: arms this CPU's watchpoints once its LSTAR is set.
inline void module_watch_poll(Vcpu& vcpu) {
  if (modwatch_detail::g_unarmed_cpus != 0) [[unlikely]]
    modwatch_detail::arm(vcpu);
}

}  // namespace tv
