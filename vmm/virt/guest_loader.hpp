// Guest loaders: turn the boot modules into a runnable guest (Linux bzImage by
// the x86 boot protocol, or any multiboot v1 kernel) and set the vCPU's entry
// state through the Vcpu interface.
#pragma once
#include "tv/e820.hpp"
#include "tv/framebuffer.hpp"
#include "tv/result.hpp"
#include "virt/vcpu.hpp"

namespace tv {

struct BootModule {
  u64 base;
  u64 size;
  const char* string;  // the boot loader's module string (path and arguments)
};

struct GuestBootInfo {
  const BootModule* modules;  // [0] is the guest kernel
  usize module_count;
  const char* guest_cmdline;
  const E820Map* guest_e820;                 // RAM map with the VMM's region reserved
  u64 acpi_rsdp = 0;                         // the RSDP the VMM uses (0: none)
  const Framebuffer* framebuffer = nullptr;  // the boot loader's, if it gave one
  bool efi = false;                          // booted through UEFI (the loader gave an EFI system table)
};

enum class LoadError : u8 { NoKernel = 1, BadImage, NoRoom, CopyFailed, TooManyModules };
const char* to_string(LoadError e);

// Picks the loader by looking at module 0.
Status<LoadError> load_guest(Vcpu& vcpu, const GuestBootInfo& info);
Status<LoadError> load_linux(Vcpu& vcpu, const GuestBootInfo& info);
Status<LoadError> load_multiboot_guest(Vcpu& vcpu, const GuestBootInfo& info);

// Executes moves in a safe order (lib/move_plan), checking every destination is guest RAM.
struct Move;
Status<LoadError> move_payloads(const Move* moves, usize n);

}  // namespace tv
