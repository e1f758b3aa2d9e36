// The few I/O ports the VMM intercepts. Every other port passes through to the
// real device: the guest owns the platform.
#pragma once
#include "tv/acpi.hpp"
#include "tv/platform_ports.hpp"
#include "tv/types.hpp"

namespace tv {

inline constexpr u16 kDebugConsolePort = 0xE9;  // the VMM's log (QEMU debugcon)
inline constexpr u16 kDebugExitPort = 0xF4;     // QEMU isa-debug-exit (4 ports, 0xF4-0xF7): ends the run
inline constexpr u16 kDebugExitPorts = 4;
// Exit codes 0x10-0x1F belong to the VMM (kernel/platform.hpp RunEnd); a guest
// asking for one gets kGuestReservedExitCode instead, so it cannot forge them.
inline constexpr u8 kFirstVmmExitCode = 0x10;
inline constexpr u8 kLastVmmExitCode = 0x1F;
inline constexpr u8 kGuestReservedExitCode = 0x1F;

struct InterceptedPorts {
  static constexpr usize kMax = 5 + kMaxPlatformPorts + 8 + 5;  // + a console UART, the PCI configuration ports
  u16 port[kMax];
  usize count;
  bool contains(u16 p) const {
    for (usize i = 0; i < count; ++i)
      if (port[i] == p) return true;
    return false;
  }
};

// The VMM log port and the exit ports always; the platform's reset, A20 and
// ACPI sleep ports (lib/src/platform_ports.cpp) once configure_platform_ports()
// has been told where they are. Call it before the vCPU builds its I/O map.
const InterceptedPorts& intercepted_ports();
void configure_platform_ports(const PlatformPortConfig& cfg);
// The VMM's console UART (kernel/log.cpp configure_console): its 8 ports are
// the VMM's; the guest reads all ones there (no UART) and its writes are dropped.
void take_console_uart(u16 base);
// More ports the VMM handles itself (virt/pci_config_exit.cpp), before the vCPUs build their I/O maps.
void intercept_ports(const u16* ports, usize count);
class GuestPhysical;
// The firmware's RSDP and its tables (platform_discovery.cpp). choose_firmware_rsdp
// decides which RSDP the VMM uses (tv/rsdp.hpp: acpi.rsdp=, the EFI system
// table, the multiboot2 tag's copy put at copy_page, the BIOS search) and must
// run before anything asks firmware_rsdp (the platform ports, the MADT, the
// IOMMUs); without it firmware_rsdp searches the BIOS areas once.
struct BootInfo;
class Cmdline;
void choose_firmware_rsdp(const GuestPhysical& mem, const Cmdline& cmd, const BootInfo& boot, u64 copy_page);
Result<u64, AcpiError> firmware_rsdp(const GuestPhysical& mem);
Result<AcpiTable, AcpiError> firmware_table(const GuestPhysical& mem, const char (&signature)[5]);
// Finds the ports from the firmware's ACPI tables (platform_discovery.cpp).
class GuestPhysical;
PlatformPortConfig platform_port_config(const GuestPhysical& mem);
// The firmware's MADT processor entries (platform_discovery.cpp); 0 if there is no MADT.
struct MadtCpu;
usize madt_cpus(const GuestPhysical& mem, MadtCpu* out, usize max);
// Disables, in the firmware's MADT, every CPU that is not a vCPU, so the guest
// never waits for a CPU the VMM does not run (kernel/smp.cpp).
void keep_only_vcpus(const GuestPhysical& mem, const u32* apic_ids, usize count);

}  // namespace tv
