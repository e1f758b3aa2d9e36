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
  const std::string root = testing::TempDir() + (multiboot2 ? "tv-grub-iso-mb2" : "tv-grub-iso");
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
  cfg << "serial --unit=0 --speed=115200\nterminal_input serial\nterminal_output serial\nset timeout=0\n"
      << "menuentry \"thinvisor\" {\n  " << (multiboot2 ? "multiboot2" : "multiboot") << " /boot/thinvisor.bin "
      << src.vmm_options << " -- " << src.guest_cmdline << "\n"
      << modules << "}\n";
  cfg.close();
  const std::string cmd = "grub-mkrescue -o '" + iso + "' '" + root + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return "grub-mkrescue failed: " + cmd;
  return "";
}

host::RunConfig grub_config(const char* iso_name, bool multiboot2, std::string& iso_error) {
  host::RunConfig src = linux_under_thinvisor();
  src.smp = 2;
  const std::string iso = testing::TempDir() + iso_name;
  iso_error = build_grub_iso(src, iso, multiboot2);
  host::RunConfig c = src;
  c.cdrom = iso;
  return c;
}

class GrubBiosGuest : public SharedBootTest<GrubBiosGuest> {
 public:
  static host::RunConfig config() { return grub_config("tv-grub-bios.iso", false, iso_error_); }
  static inline std::string iso_error_;
};

TEST_F(GrubBiosGuest, TheIsoIsBuilt) {
  EXPECT_EQ(iso_error_, "");
}

TEST_F(GrubBiosGuest, GrubStartsTheVmmWhichStartsLinux) {
  const std::string l = log();
  EXPECT_NE(l.find("thinvisor: thinvisor 0.1.0 starting"), std::string::npos) << l;
  EXPECT_NE(l.find("thinvisor: command line: -- console=ttyS0 panic=-1\n"), std::string::npos) << l;
  EXPECT_NE(l.find("SMP: 2 CPU(s) in the MADT, 2 started as vCPUs"), std::string::npos) << l;
  EXPECT_NE(l.find("Linux guest: boot protocol"), std::string::npos) << l;
  EXPECT_NE(l.find("modwatch: kernel profile for"), std::string::npos) << l;   // the extra module arrived whole
  EXPECT_NE(l.find(", from the BIOS area search\n"), std::string::npos) << l;  // multiboot v1 has no RSDP to give
  EXPECT_EQ(sh("nproc").output, "2\n");
}

TEST_F(GrubBiosGuest, TheGuestHasAcpiAndHypercalls) {
  EXPECT_EQ(sh("test -e /sys/firmware/acpi/tables/FACP && echo acpi").output, "acpi\n");
  EXPECT_NE(sh("vmmcall call hello 14").output.find("rax=0xa (10)"), std::string::npos) << log();
  EXPECT_NE(log().find("arg1 = 14"), std::string::npos) << log();
}

// Runs last: an ACPI power-off with the run report.
TEST_F(GrubBiosGuest, PowersOffWithTheRunReport) {
  int status = session_->poweroff(120s);
  EXPECT_EQ(status, 0) << host::describe_exit(status);
  EXPECT_EQ(count_of(log(), "run report (guest power-off)"), 1u) << log();
  EXPECT_NE(log().find("run report: integrity intact"), std::string::npos) << log();
  boot_error_ = "powered off";
}

class GrubBiosMultiboot2Guest : public SharedBootTest<GrubBiosMultiboot2Guest> {
 public:
  static host::RunConfig config() { return grub_config("tv-grub-bios-mb2.iso", true, iso_error_); }
  static inline std::string iso_error_;
};

TEST_F(GrubBiosMultiboot2Guest, TheIsoIsBuilt) {
  EXPECT_EQ(iso_error_, "");
}

TEST_F(GrubBiosMultiboot2Guest, GrubStartsTheVmmByMultiboot2WhichStartsLinux) {
  const std::string l = log();
  EXPECT_NE(l.find("thinvisor: thinvisor 0.1.0 starting"), std::string::npos) << l;
  EXPECT_NE(l.find("thinvisor: multiboot2 from GRUB"), std::string::npos) << l;
  EXPECT_NE(l.find("thinvisor: command line: -- console=ttyS0 panic=-1\n"), std::string::npos) << l;
  EXPECT_NE(l.find("SMP: 2 CPU(s) in the MADT, 2 started as vCPUs"), std::string::npos) << l;
  EXPECT_NE(l.find("Linux guest: boot protocol"), std::string::npos) << l;
  EXPECT_NE(l.find("modwatch: kernel profile for"), std::string::npos) << l;
  // GRUB on a BIOS machine copies the RSDP into tag 14 (15 for an ACPI 2.0+ RSDP).
  EXPECT_NE(l.find(", from the multiboot2 ACPI "), std::string::npos) << l;
  EXPECT_EQ(sh("nproc").output, "2\n");
}

TEST_F(GrubBiosMultiboot2Guest, TheGuestHasAcpiFromTheHandedOverRsdp) {
  EXPECT_EQ(sh("test -e /sys/firmware/acpi/tables/FACP && echo acpi").output, "acpi\n");
  // The kernel took the RSDP from boot_params (the VMM's copy), not its own search.
  const std::string l = log();
  const size_t at = l.find("ACPI: RSDP at ");
  ASSERT_NE(at, std::string::npos) << l;
  const std::string addr = l.substr(at + 14, l.find(',', at) - at - 14);
  EXPECT_NE(sh("dmesg | grep -i 'ACPI: RSDP 0x0*" + addr + "'").output, "") << sh("dmesg | grep -i rsdp").output;
}

TEST_F(GrubBiosMultiboot2Guest, PowersOffWithTheRunReport) {
  int status = session_->poweroff(120s);
  EXPECT_EQ(status, 0) << host::describe_exit(status);
  EXPECT_EQ(count_of(log(), "run report (guest power-off)"), 1u) << log();
  EXPECT_NE(log().find("run report: integrity intact"), std::string::npos) << log();
  boot_error_ = "powered off";
}

}  // namespace
}  // namespace tv::systest
