// PCI configuration space, as the guest reaches it: configuration mechanism #1
// (ports 0CF8h/0CFCh, PCI Local Bus Specification 3.0 §3.2.2.3.2) and the PCIe
// enhanced configuration window (ECAM, PCI Express Base Specification §7.2.2;
// ACPI's MCFG table, PCI Firmware Specification 3.2 §4.1.2, says where it is).
// The VMM owns a few functions (the IOMMU) and a few registers (those that
// would move the ECAM window away from where the VMM hides the IOMMU's page);
// ConfigGuard says, for each guest access, whether it passes to the hardware.
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv::pci {

inline constexpr u16 kConfigAddressPort = 0xCF8;
inline constexpr u16 kConfigDataPort = 0xCFC;  // 4 ports: 0CFCh-0CFFh

// A function's 16-bit ID: bus 15:8, device 7:3, function 2:0 (as the IOMMU's DeviceID).
constexpr u16 device_id(u8 bus, u8 device, u8 function) {
  return u16(u16(bus) << 8 | u16(device & 0x1F) << 3 | (function & 7));
}

// What a data-port access reaches, given the address register's value.
// Bit 31 enables; bits 23:16 bus, 15:11 device, 10:8 function, 7:2 dword.
// Bits 30:24 and 1:0 are reserved (AMD northbridges can decode 27:24 as
// register bits 11:8, EnableCf8ExtCfg; QEMU ORs bits 1:0 with the port's):
// the guard judges the access without them, and the VMM sends the hardware
// exactly what was judged (config_address_of), so no reading of those bits
// can reach a register other than the one judged. Registers at 100h and
// above are reached through the ECAM window only.
struct ConfigTarget {
  bool enabled;
  u16 device_id;
  u16 offset;  // the register's byte offset: dword offset + (port - 0CFCh), below 100h
};
ConfigTarget decode_config_address(u32 address, u16 data_port);
// The address register value that selects t's dword and nothing else.
u32 config_address_of(const ConfigTarget& t);

// What an intercepted IN/OUT of `size` bytes at `port` is to configuration
// mechanism #1: the address register (a dword at 0CF8h), the data window (an
// access within 0CFCh-0CFFh), one that straddles the window's edges (into
// 0CF8h-0CFBh or past 0CFFh: the CPU splits it, and its bytes in the window
// would be data cycles nobody judged), or none of these (e.g. the byte at
// 0CF9h, the reset control register).
enum class ConfigPortAccess : u8 { Other = 1, Address, Data, Straddling };
ConfigPortAccess classify_config_port_access(u16 port, u8 size);

// MCFG (PCI Firmware 3.2 §4.1.2 Table 4-3): 44-byte header, then 16-byte
// entries: base (8), segment (2), start bus (1), end bus (1), reserved (4).
struct EcamWindow {
  u64 base;  // the address of bus start_bus's configuration space
  u16 segment;
  u8 start_bus;
  u8 end_bus;
};
enum class McfgError : u8 { Truncated = 1, BadSignature, BadChecksum, BadEntry };
const char* to_string(McfgError e);
// Parses table[0, len); returns how many windows it lists (every entry
// validated), of which the first min(that, max) are written to out.
Result<usize, McfgError> parse_mcfg(const u8* table, usize len, EcamWindow* out, usize max);
// The 4 KiB configuration page of device_id in `w`, or 0 when its bus is outside the window.
u64 ecam_page(const EcamWindow& w, u16 device_id);
// The reverse: which function's register an address in `w` is (false if
// outside the window).
struct EcamRegister {
  u16 device_id;
  u16 offset;  // 0-FFFh
};
bool ecam_register(const EcamWindow& w, u64 address, EcamRegister& out);

// Q35's host bridge (Intel 82G33/Q35 MCH, 8086:29C0 at 00:00.0) sets the ECAM
// window's base through PCIEXBAR, config offset 60h, 8 bytes (Intel 3 Series
// Express Chipset Family datasheet §5.1.13; QEMU hw/pci-host/q35.c).
inline constexpr u16 kQ35HostBridgeVendor = 0x8086;
inline constexpr u16 kQ35HostBridgeDevice = 0x29C0;
inline constexpr u16 kQ35PciexbarOffset = 0x60;
inline constexpr u16 kQ35PciexbarBytes = 8;

enum class ConfigVerdict : u8 {
  Pass = 1,        // the access goes to the hardware as the guest made it
  Hidden,          // the function is the VMM's: reads see no device (all ones), writes are dropped
  WriteProtected,  // a register the VMM keeps: the write is dropped (reads pass)
};

class ConfigGuard {
 public:
  static constexpr usize kMaxHidden = 8;
  static constexpr usize kMaxProtected = 8;
  // false when full (the caller must then not claim protection).
  bool hide(u16 device_id);
  bool protect(u16 device_id, u16 offset, u16 bytes);
  bool is_hidden(u16 device_id) const;
  // An access of `size` bytes (1, 2, 4 or 8) at `offset` of `device_id`.
  ConfigVerdict check(u16 device_id, u16 offset, u8 size, bool write) const;
  usize hidden_count() const { return hidden_count_; }

 private:
  u16 hidden_[kMaxHidden] = {};
  usize hidden_count_ = 0;
  struct Protected {
    u16 device_id, offset, bytes;
  };
  Protected protected_[kMaxProtected] = {};
  usize protected_count_ = 0;
};

}  // namespace tv::pci
