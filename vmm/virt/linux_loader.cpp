// Linux by the 32-bit boot protocol (Documentation/arch/x86/boot.rst §"32-bit
// boot protocol"): protected-mode kernel at its load address, boot_params
// ("zero page") with our e820 map, command line, initrd; enter at the load
// address with ESI = boot_params, flat segments, paging off.
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "tv/linux_boot.hpp"
#include "tv/move_plan.hpp"
#include "tv/screen_info.hpp"
#include "tv/str.hpp"
#include "virt/guest_loader.hpp"
#include "virt/guest_memory.hpp"

namespace tv {
namespace {

// screen_info from the boot loader's framebuffer, when it is one Linux can
// drive as is (direct RGB); the nested tables map all of guest-physical space
// but the VMM's region, and the framebuffer is MMIO or reserved memory.
void hand_over_framebuffer(u8 (&zero_page)[kZeroPageSize], const GuestBootInfo& info) {
  if (info.framebuffer == nullptr) return;
  const Framebuffer& fb = *info.framebuffer;
  if (auto st = fill_screen_info(zero_page + kBpScreenInfo, fb, info.efi); !st) {
    TV_LOG("Linux guest: framebuffer at %lx not handed over: %s", fb.address, to_string(st.error()));
    return;
  }
  TV_LOG("Linux guest: %s framebuffer %ux%u, %u bpp, at %lx", info.efi ? "EFI" : "VESA", fb.width, fb.height,
         unsigned(fb.bpp), fb.address);
}

}  // namespace

Status<LoadError> load_linux(Vcpu& vcpu, const GuestBootInfo& info) {
  const BootModule& k = info.modules[0];
  const u8* image = mem::phys_to_ptr<const u8>(k.base);
  auto bz = parse_bzimage(image, k.size);
  if (!bz) return Err{LoadError::BadImage};
  u64 initrd_size = info.module_count > 1 ? info.modules[1].size : 0;
  u64 initrd_now = info.module_count > 1 ? info.modules[1].base : 0;
  auto layout = plan_linux_layout(*bz, initrd_size, *info.guest_e820, initrd_now);
  if (!layout) {
    TV_LOG("Linux guest layout: %s", to_string(layout.error()));
    return Err{LoadError::NoRoom};
  }
  TV_LOG("Linux guest: boot protocol %x.%02x, kernel %lu bytes at %lx (runtime %lx+%lx), initrd %lu bytes at %lx",
         bz->protocol_version >> 8, bz->protocol_version & 0xFF, u64(bz->kernel_size), layout->kernel_load_addr,
         layout->kernel_runtime_addr, layout->kernel_runtime_size, initrd_size, layout->initrd_addr);

  Move moves[2] = {{k.base + bz->kernel_offset, layout->kernel_load_addr, bz->kernel_size}};
  usize n = 1;
  if (initrd_size != 0 && layout->initrd_addr != initrd_now)
    moves[n++] = {info.modules[1].base, layout->initrd_addr, initrd_size};
  // The setup header must be read before the image may be overwritten.
  static u8 zero_page[kZeroPageSize];
  usize cmdline_len = str_len(info.guest_cmdline);
  if (cmdline_len + 1 > layout->cmdline_capacity) {
    TV_LOG("guest command line is %lu bytes; at most %lu fit", u64(cmdline_len), layout->cmdline_capacity - 1);
    return Err{LoadError::NoRoom};
  }
  LinuxBootConfig cfg{layout->cmdline_addr, u32(cmdline_len), layout->initrd_addr, initrd_size, info.acpi_rsdp};
  auto bp = build_boot_params(zero_page, image, k.size, *bz, cfg, *info.guest_e820);
  if (!bp) {
    TV_LOG("boot_params: %s", to_string(bp.error()));
    return Err{LoadError::BadImage};
  }
  if (info.acpi_rsdp != 0 && bz->protocol_version < kBootProtocolAcpiRsdp)
    TV_LOG("Linux guest: boot protocol %x.%02x ignores boot_params.acpi_rsdp_addr (2.14+); it searches for the RSDP",
           bz->protocol_version >> 8, bz->protocol_version & 0xFF);
  hand_over_framebuffer(zero_page, info);
  TV_TRY(move_payloads(moves, n));
  if (!guest_physical().write_ram(layout->cmdline_addr, info.guest_cmdline, cmdline_len + 1) ||
      !guest_physical().write_ram(layout->boot_params_addr, zero_page, sizeof zero_page))
    return Err{LoadError::CopyFailed};
  TV_LOG("Linux guest command line: %s", info.guest_cmdline);
  vcpu.enter_flat_protected_mode(
      {.rip = layout->kernel_load_addr, .rax = 0, .rbx = 0, .rsi = layout->boot_params_addr, .rdi = 0, .rsp = 0});
  return Ok{};
}

}  // namespace tv
