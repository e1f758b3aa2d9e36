// GRUB rescue ISOs (grub-mkrescue: one ISO that boots under BIOS and UEFI)
// that boot thinvisor and its guest the way a real machine's GRUB does, or the
// same guest without thinvisor. Used by the boot-loader system tests and by
// tvbench's GRUB boot ratios (docs/running.md, "GRUB").
#pragma once
#include <string>

#include "qemu_session.hpp"

namespace tv::host {

enum class GrubLoader {
  Multiboot,   // multiboot /boot/thinvisor.bin OPTIONS -- CMDLINE; module --nounzip ...
  Multiboot2,  // multiboot2 ...; module2 --nounzip ...
  Linux,       // linux /boot/vmlinuz CMDLINE; initrd /boot/initrd (no thinvisor)
};

// The grub.cfg lines before the entry: serial console, no menu delay, and with
// `video` a video driver (GRUB's UEFI build hands over the GOP framebuffer
// only then; on BIOS it would switch to a VBE mode instead of text).
std::string grub_cfg_preamble(bool video);

// Builds `iso` from what `src` would boot (its vmm_image, kernel, initrd and
// extra_modules; its vmm_options and guest_cmdline): a staging tree at
// iso + ".root" and one menu entry for `loader`; a video driver only for
// src.firmware "uefi" (BIOS boots stay in text mode). "" or what failed.
std::string build_grub_iso(const RunConfig& src, const std::string& iso, GrubLoader loader);

// `src` booted from `iso` through its firmware instead (RunConfig::cdrom).
RunConfig boot_from_iso(const RunConfig& src, const std::string& iso);

}  // namespace tv::host
