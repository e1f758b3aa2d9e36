// Issue 14: thinvisor booted the way a real machine boots it. A BIOS GRUB
// ISO (grub-mkrescue, built here from the build tree) whose entry is
//   multiboot /boot/thinvisor.bin OPTIONS -- GUEST CMDLINE
//   module --nounzip /boot/vmlinuz ; module --nounzip /boot/initrd ; ...
// boots through SeaBIOS and GRUB (GRUB honours the image's a.out kludge and
// places the modules after its reservation). --nounzip: GRUB would otherwise
// unpack gzip modules itself (and size a multi-member initrd by its last
// member). One boot runs every check.
//
// The same ISO with a multiboot2 entry (the image carries both headers):
//   multiboot2 /boot/thinvisor.bin OPTIONS -- GUEST CMDLINE
//   module2 --nounzip /boot/vmlinuz vmlinuz ; ...
// GRUB then hands over the multiboot2 information, whose ACPI RSDP tag the
// VMM uses instead of searching the BIOS areas.
//
// And both again through UEFI (OVMF, --firmware uefi): grub-mkrescue's ISO
// boots GRUB's x86_64-efi build there (package grub-efi-amd64-bin). GRUB
// calls ExitBootServices and enters the VMM in 32-bit protected mode for
// either protocol. With multiboot2 the VMM takes the RSDP from the EFI
// system table and the GOP framebuffer from the framebuffer tag (the guest
// gets it in screen_info: efifb); with multiboot v1 GRUB gives neither, the
// BIOS areas hold no RSDP, and the VMM finds it by searching the firmware's
// ACPI memory (tv/rsdp.hpp, source 5).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "system_fixture.hpp"

namespace tv::systest {
namespace {

bool copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary);
  out << in.rdbuf();
  return in.good() || in.eof() ? bool(out) : false;
}

// Builds the ISO from what linux_under_thinvisor() boots; "" or what failed.
std::string build_grub_iso(const host::RunConfig& src, const std::string& iso, bool multiboot2) {
  const std::string root = iso + ".root";
  const std::string module = multiboot2 ? "  module2 --nounzip " : "  module --nounzip ";
  const std::string boot = root + "/boot", grub = boot + "/grub";
  if (std::system(("rm -rf '" + root + "' && mkdir -p '" + grub + "'").c_str()) != 0) return "cannot make " + grub;
  if (!copy_file(src.vmm_image, boot + "/thinvisor.bin") || !copy_file(src.kernel, boot + "/vmlinuz") ||
      !copy_file(src.initrd, boot + "/initrd"))
    return "cannot copy the VMM, kernel and initramfs into " + boot;
  std::string modules = module + "/boot/vmlinuz vmlinuz\n" + module + "/boot/initrd initrd\n";
  for (size_t i = 0; i < src.extra_modules.size(); ++i) {
    const std::string path = src.extra_modules[i].substr(0, src.extra_modules[i].find(' '));
    const std::string name = "/boot/extra" + std::to_string(i);
    if (!copy_file(path, root + name)) return "cannot copy " + path;
    modules += module + name + " extra\n";
  }
  std::ofstream cfg(grub + "/grub.cfg");
  // all_video: GRUB's UEFI build sets up the GOP framebuffer only with a video driver loaded.
  cfg << "insmod all_video\nserial --unit=0 --speed=115200\nterminal_input serial\nterminal_output serial\n"
      << "set timeout=0\n"
      << "menuentry \"thinvisor\" {\n  " << (multiboot2 ? "multiboot2" : "multiboot") << " /boot/thinvisor.bin "
      << src.vmm_options << " -- " << src.guest_cmdline << "\n"
      << modules << "}\n";
  cfg.close();
  const std::string cmd = "grub-mkrescue -o '" + iso + "' '" + root + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return "grub-mkrescue failed: " + cmd;
  return "";
}

host::RunConfig grub_config(const char* iso_name, bool multiboot2, bool uefi, std::string& iso_error) {
  host::RunConfig src = linux_under_thinvisor();
  src.smp = 2;
  src.firmware = uefi ? "uefi" : "bios";
  const std::string iso = testing::TempDir() + iso_name;
  iso_error = build_grub_iso(src, iso, multiboot2);
  host::RunConfig c = src;
  c.cdrom = iso;
  return c;
}

// One boot per firmware and protocol; the checks are the same for all four,
// apart from where the RSDP comes from and the framebuffer.
struct GrubPath {
  const char* iso;
  bool multiboot2;
  bool uefi;
  const char* rsdp_source;  // the VMM's "ACPI: RSDP at X, from ..." for this path
};

template <typename Suite>
class GrubBoot : public SharedBootTest<Suite> {
 public:
  static host::RunConfig config() {
    return grub_config(Suite::kPath.iso, Suite::kPath.multiboot2, Suite::kPath.uefi, iso_error_);
  }
  static inline std::string iso_error_;

 protected:
  using Base = SharedBootTest<Suite>;
  static void expect_vmm_and_linux_started() {
    EXPECT_EQ(iso_error_, "");
    const std::string l = Base::log();
    EXPECT_NE(l.find("thinvisor: thinvisor 0.1.0 starting"), std::string::npos) << l;
    EXPECT_EQ(l.find("thinvisor: multiboot2 from GRUB") != std::string::npos, Suite::kPath.multiboot2) << l;
    EXPECT_NE(l.find("thinvisor: command line: -- console=ttyS0 panic=-1\n"), std::string::npos) << l;
    EXPECT_NE(l.find("SMP: 2 CPU(s) in the MADT, 2 started as vCPUs"), std::string::npos) << l;
    EXPECT_NE(l.find("Linux guest: boot protocol"), std::string::npos) << l;
    EXPECT_NE(l.find("modwatch: kernel profile for"), std::string::npos) << l;  // the extra module arrived whole
    EXPECT_EQ(Base::sh("nproc").output, "2\n");
  }
  static void expect_acpi_from_the_vmm() {
    const std::string l = Base::log();
    EXPECT_NE(l.find(std::string(", from ") + Suite::kPath.rsdp_source + "\n"), std::string::npos) << l;
    EXPECT_EQ(Base::sh("test -e /sys/firmware/acpi/tables/FACP && echo acpi").output, "acpi\n");
    // The kernel took the RSDP the VMM handed over (boot_params), not one of its own.
    const size_t at = l.find("ACPI: RSDP at ");
    ASSERT_NE(at, std::string::npos) << l;
    const std::string addr = l.substr(at + 14, l.find(',', at) - at - 14);
    EXPECT_NE(Base::sh("dmesg | grep -i 'ACPI: RSDP 0x0*" + addr + "'").output, "")
        << Base::sh("dmesg | grep -i rsdp").output;
    // With ACPI the VMM finds the IOMMU (IVRS) and protects DMA on every path.
    EXPECT_NE(l.find("DMA protection: on"), std::string::npos) << l;
    EXPECT_NE(Base::sh("vmmcall call hello 14").output.find("rax=0xa (10)"), std::string::npos) << l;
  }
  static void expect_power_off_with_the_run_report() {
    int status = Base::session_->poweroff(120s);
    EXPECT_EQ(status, 0) << host::describe_exit(status);
    EXPECT_EQ(count_of(Base::log(), "run report (guest power-off)"), 1u) << Base::log();
    EXPECT_NE(Base::log().find("run report: integrity intact"), std::string::npos) << Base::log();
    Base::boot_error_ = "powered off";
  }
};

class GrubBiosGuest : public GrubBoot<GrubBiosGuest> {
 public:
  static constexpr GrubPath kPath{"tv-grub-bios.iso", false, false, "the BIOS area search"};
};
TEST_F(GrubBiosGuest, GrubStartsTheVmmWhichStartsLinux) {
  expect_vmm_and_linux_started();
}
TEST_F(GrubBiosGuest, TheGuestHasAcpiAndHypercalls) {
  expect_acpi_from_the_vmm();
}
TEST_F(GrubBiosGuest, PowersOffWithTheRunReport) {
  expect_power_off_with_the_run_report();
}

class GrubBiosMultiboot2Guest : public GrubBoot<GrubBiosMultiboot2Guest> {
 public:
  // GRUB on a BIOS machine copies the RSDP into tag 14 (15 for an ACPI 2.0+ RSDP).
  static constexpr GrubPath kPath{"tv-grub-bios-mb2.iso", true, false, "the multiboot2 ACPI old RSDP tag"};
};
TEST_F(GrubBiosMultiboot2Guest, GrubStartsTheVmmByMultiboot2WhichStartsLinux) {
  expect_vmm_and_linux_started();
}
TEST_F(GrubBiosMultiboot2Guest, TheGuestHasAcpiFromTheHandedOverRsdp) {
  expect_acpi_from_the_vmm();
}
TEST_F(GrubBiosMultiboot2Guest, PowersOffWithTheRunReport) {
  expect_power_off_with_the_run_report();
}

class GrubUefiMultiboot2Guest : public GrubBoot<GrubUefiMultiboot2Guest> {
 public:
  static constexpr GrubPath kPath{"tv-grub-uefi-mb2.iso", true, true, "the EFI system table"};
};
TEST_F(GrubUefiMultiboot2Guest, GrubStartsTheVmmByMultiboot2WhichStartsLinux) {
  expect_vmm_and_linux_started();
}
TEST_F(GrubUefiMultiboot2Guest, TheGuestHasAcpiFromTheEfiSystemTable) {
  expect_acpi_from_the_vmm();
}
TEST_F(GrubUefiMultiboot2Guest, TheGuestGetsTheGopFramebuffer) {
  EXPECT_NE(log().find("Linux guest: EFI framebuffer"), std::string::npos) << log();
  EXPECT_NE(sh("dmesg | grep 'efifb: framebuffer at'").output, "") << sh("dmesg | grep -i fb").output;
}
TEST_F(GrubUefiMultiboot2Guest, PowersOffWithTheRunReport) {
  expect_power_off_with_the_run_report();
}

class GrubUefiGuest : public GrubBoot<GrubUefiGuest> {
 public:
  static constexpr GrubPath kPath{"tv-grub-uefi.iso", false, true, "a search of the firmware's ACPI memory"};
};
TEST_F(GrubUefiGuest, GrubStartsTheVmmWhichStartsLinux) {
  expect_vmm_and_linux_started();
}
TEST_F(GrubUefiGuest, TheGuestHasAcpiFromTheFirmwaresAcpiMemory) {
  expect_acpi_from_the_vmm();
}
TEST_F(GrubUefiGuest, PowersOffWithTheRunReport) {
  expect_power_off_with_the_run_report();
}

}  // namespace
}  // namespace tv::systest
