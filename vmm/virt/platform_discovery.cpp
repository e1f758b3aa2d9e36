// What the VMM takes from the firmware's ACPI tables before the guest runs
// (so they are still the firmware's): where the reset and sleep controls are
// (the FADT gives PM1a/PM1b control and the reset register, the DSDT's \_S5
// object the sleep type that means "power off"), and the MADT: which CPUs
// there are, and (edited) which of them the guest may start.
#include "arch/x86/cpu.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "tv/acpi.hpp"
#include "tv/aml_sleep.hpp"
#include "tv/boot_info.hpp"
#include "tv/cmdline.hpp"
#include "tv/madt.hpp"
#include "tv/rsdp.hpp"
#include "tv/str.hpp"
#include "virt/guest_memory.hpp"
#include "virt/io_ports.hpp"

namespace tv {
namespace {

constexpr usize kAcpiHeaderLen = 36;
constexpr u32 kMaxDsdtLen = 1u << 20;

// The DSDT lies in the readable view, which the VMM identity-maps: scan it in place.
Result<SleepType, AmlError> s5_from_dsdt(const GuestPhysical& mem, u64 dsdt) {
  u8 header[kAcpiHeaderLen];
  if (dsdt == 0 || !mem.read(dsdt, header, sizeof header) || mem_cmp(header, "DSDT", 4) != 0)
    return Err{AmlError::NotFound};
  u32 len = load_le32(header + 4);
  if (len <= kAcpiHeaderLen || len > kMaxDsdtLen || !mem.readable(dsdt, len)) return Err{AmlError::Truncated};
  const u8* body = reinterpret_cast<const u8*>(dsdt) + kAcpiHeaderLen;
  return find_sleep_type(body, len - kAcpiHeaderLen, 5);
}

// Chosen or searched for once: the firmware's RSDP does not move (start-up runs before the guest).
u64 g_rsdp = 0;
bool g_rsdp_known = false;

}  // namespace

void choose_firmware_rsdp(const GuestPhysical& mem, const Cmdline& cmd, const BootInfo& boot, u64 copy_page) {
  RsdpOffer offer;
  offer.efi_system_table = boot.efi_system_table;
  offer.efi_system_table_64 = boot.efi_system_table_64;
  if (const char* opt = cmd.get("acpi.rsdp")) {
    if (auto a = cmd.get_u64("acpi.rsdp", 0); a) {
      offer.cmdline_given = true;
      offer.cmdline_address = *a;
    } else {
      TV_LOG_WARN("acpi.rsdp=%s refused: %s; the VMM looks for the RSDP itself", opt, to_string(a.error()));
    }
  }
  if (copy_page != 0 && boot.rsdp_copy_len != 0) {
    // The tag holds a copy of the RSDP, not its address: it goes where the VMM
    // and the guest both find it for good (a page the guest's e820 reserves).
    u8* page = mem::phys_to_ptr<u8>(copy_page);
    mem_set(page, 0, kPageSize);
    mem_copy(page, boot.rsdp_copy, boot.rsdp_copy_len);
    offer.tag_copy_address = copy_page;
    offer.tag_source = boot.rsdp_copy_source;
  }
  // Last resort (multiboot v1 under UEFI): the firmware's ACPI memory.
  Range acpi_memory[16];
  for (usize i = 0; i < boot.region_count && offer.acpi_memory_count < 16; ++i)
    if (boot.regions[i].type == AcpiReclaim || boot.regions[i].type == AcpiNvs)
      acpi_memory[offer.acpi_memory_count++] = {boot.regions[i].base, boot.regions[i].size};
  offer.acpi_memory = acpi_memory;
  const RsdpChoice c = choose_rsdp(mem, offer);
  if (c.cmdline_refused)
    TV_LOG_WARN("acpi.rsdp=%s refused: no valid RSDP at %lx (%s); the VMM looks for the RSDP itself",
                cmd.get("acpi.rsdp"), offer.cmdline_address, to_string(c.cmdline_error));
  if (c.efi_refused)
    TV_LOG_WARN("ACPI: the EFI system table at %lx gives no RSDP (%s)", offer.efi_system_table, to_string(c.efi_error));
  if (c.tag_refused) TV_LOG_WARN("ACPI: the copy of the RSDP tag at %lx: %s", copy_page, to_string(c.tag_error));
  g_rsdp = c.address;
  g_rsdp_known = true;
  if (c.address != 0)
    TV_LOG("ACPI: RSDP at %lx, from %s", c.address, to_string(c.source));
  else
    TV_LOG_WARN(
        "ACPI: no RSDP (none from the boot loader, none in the BIOS areas): the VMM and the guest run without ACPI. "
        "On UEFI with multiboot v1 pass acpi.rsdp=ADDR (docs/running.md)");
}

Result<u64, AcpiError> firmware_rsdp(const GuestPhysical& mem) {
  if (!g_rsdp_known) {
    auto found = find_rsdp(mem);
    g_rsdp = found ? *found : 0;
    g_rsdp_known = true;
  }
  if (g_rsdp == 0) return Err{AcpiError::NoRsdp};
  return g_rsdp;
}

Result<AcpiTable, AcpiError> firmware_table(const GuestPhysical& mem, const char (&signature)[5]) {
  auto rsdp = firmware_rsdp(mem);
  if (!rsdp) return Err{rsdp.error()};
  return find_acpi_table(mem, *rsdp, signature);
}

usize madt_cpus(const GuestPhysical& mem, MadtCpu* out, usize max) {
  auto madt = firmware_table(mem, "APIC");
  if (!madt) {
    TV_LOG("ACPI: no MADT (%s): the VMM runs the boot CPU only", to_string(madt.error()));
    return 0;
  }
  if (!mem.readable(madt->address, madt->length)) {
    TV_LOG("ACPI: the MADT at %lx is outside the firmware's memory map; the VMM runs the boot CPU only", madt->address);
    return 0;
  }
  return list_madt_cpus(reinterpret_cast<const u8*>(madt->address), madt->length, out, max);
}

void keep_only_vcpus(const GuestPhysical& mem, const u32* apic_ids, usize count) {
  auto madt = firmware_table(mem, "APIC");
  if (!madt || !mem.readable(madt->address, madt->length)) return;
  // The readable view is identity-mapped: edit the firmware's table in place.
  MadtEdit e = keep_only_cpus(reinterpret_cast<u8*>(madt->address), madt->length, apic_ids, count);
  TV_LOG("ACPI: MADT at %lx lists %lu CPU(s); the guest gets %lu, %lu hidden", madt->address, e.cpus_seen, u64(count),
         e.cpus_hidden);
  if (!e.keep_found) TV_LOG("warning: the MADT lacks an entry for one of the vCPUs");
}

PlatformPortConfig platform_port_config(const GuestPhysical& mem) {
  PlatformPortConfig cfg{};
  auto rsdp = firmware_rsdp(mem);
  auto acpi = rsdp ? find_acpi_power_info(mem, *rsdp) : Result<AcpiPowerInfo, AcpiError>(Err{rsdp.error()});
  if (!acpi) {
    TV_LOG("ACPI: %s; power-off will not print a run report", to_string(acpi.error()));
    return cfg;
  }
  cfg.pm1a_control = acpi->pm1a_control_port;
  cfg.pm1b_control = acpi->pm1b_control_port;
  cfg.reset_reg_is_io = acpi->reset_io;
  cfg.reset_port = acpi->reset_port;
  cfg.reset_value = acpi->reset_value;
  TV_LOG("ACPI: FADT at %lx, PM1a control port %x, PM1b %x, reset register %s %x value %x", acpi->fadt_address,
         unsigned(cfg.pm1a_control), unsigned(cfg.pm1b_control), cfg.reset_reg_is_io ? "port" : "none",
         unsigned(cfg.reset_port), unsigned(cfg.reset_value));
  auto s5 = s5_from_dsdt(mem, acpi->dsdt_address);
  if (s5) {
    cfg.s5_known = true;
    cfg.s5_type_a = s5->a;
    cfg.s5_type_b = s5->b;
    TV_LOG("ACPI: \\_S5 sleep type %u/%u powers off; other sleep states are refused", unsigned(s5->a), unsigned(s5->b));
  } else {
    // Without \_S5 the VMM cannot tell S5 from S3, so every SLP_EN write counts as power-off.
    TV_LOG("warning: ACPI: no usable \\_S5 in the DSDT at %lx (%s): every sleep request is treated as power-off",
           acpi->dsdt_address, to_string(s5.error()));
  }
  return cfg;
}

}  // namespace tv
