// Just enough ACPI to find where the guest powers the machine off: the FADT's
// PM1a control block (ACPI 6.5 §5.2.5 RSDP, §5.2.7 RSDT, §5.2.8 XSDT,
// §5.2.9 FADT). The VMM watches that port so it can print its end-of-run report.
#pragma once
#include "tv/page_walk.hpp"
#include "tv/result.hpp"

namespace tv {

enum class AcpiError : u8 { NoRsdp = 1, BadChecksum, Unreadable, NoFadt, NoPm1aControl, NoSuchTable };
const char* to_string(AcpiError e);

struct AcpiPowerInfo {
  u64 fadt_address;
  u16 pm1a_control_port;  // I/O port of PM1a_CNT
  u16 pm1b_control_port;  // I/O port of PM1b_CNT, 0 if none
  // RESET_REG when the FADT has one, says it is supported (flags bit 10) and
  // it lies in I/O space (QEMU q35: port 0xCF9, value 0x0F; pc: none).
  bool reset_io;
  u16 reset_port;
  u8 reset_value;
  u64 dsdt_address;  // X_DSDT if set, else DSDT; 0 if neither
};

// A table the RSDT/XSDT lists: where it is and how long (checksum verified).
struct AcpiTable {
  u64 address;
  u32 length;
};
// The RSDP's address (ACPI 6.5 §5.2.5.1: the EBDA's first KiB, then 0E0000h-0FFFFFh).
Result<u64, AcpiError> find_rsdp(const PhysMemory& mem);
Result<AcpiTable, AcpiError> find_acpi_table(const PhysMemory& mem, const char (&signature)[5]);
// The same with the RSDP already found (the search reads 129 KiB; the VMM does it once).
Result<AcpiTable, AcpiError> find_acpi_table(const PhysMemory& mem, u64 rsdp, const char (&signature)[5]);

// Searches the BIOS area 0xE0000-0xFFFFF (and the first KiB of the EBDA) for
// the RSDP, then follows XSDT or RSDT to the FADT.
Result<AcpiPowerInfo, AcpiError> find_acpi_power_info(const PhysMemory& mem);
Result<AcpiPowerInfo, AcpiError> find_acpi_power_info(const PhysMemory& mem, u64 rsdp);

}  // namespace tv
