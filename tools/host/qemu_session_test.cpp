// Unit tests for tvhost: argv construction, accelerator choice, exit-status
// descriptions, and GuestSession's console protocol against a fake "QEMU"
// (a /bin/sh script that behaves like the guest's busybox shell).
#include "qemu_session.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace {

using namespace std::chrono_literals;
using tv::host::build_qemu_argv;
using tv::host::check_disk_files;
using tv::host::choose_accel;
using tv::host::describe_exit;
using tv::host::DiskSpec;
using tv::host::escape_commas;
using tv::host::ExecResult;
using tv::host::GuestSession;
using tv::host::has_iommu;
using tv::host::max_ide_disks;
using tv::host::parse_disk_spec;
using tv::host::RunConfig;
using tv::host::validate_config;

RunConfig vmm_config() {
  RunConfig c;
  c.vmm_image = "/b/vmm/thinvisor.bin";
  c.kernel = "/boot/vmlinuz";
  c.initrd = "/b/guest/initramfs.cpio.gz";
  c.guest_cmdline = "console=ttyS0 panic=-1";
  c.accel = "tcg";
  c.vmm_log_path = "/tmp/vmm.log";
  return c;
}

// Value following `opt` in argv ("" if absent).
std::string arg_after(const std::vector<std::string>& a, const std::string& opt) {
  auto it = std::find(a.begin(), a.end(), opt);
  return it == a.end() || it + 1 == a.end() ? std::string() : *(it + 1);
}

bool has(const std::vector<std::string>& a, const std::string& s) {
  return std::find(a.begin(), a.end(), s) != a.end();
}

TEST(BuildQemuArgv, VmmModeMatchesContract) {
  auto a = build_qemu_argv(vmm_config());
  const std::vector<std::string> want = {"qemu-system-x86_64",
                                         "-machine",
                                         "q35,smm=off",
                                         "-device",
                                         "amd-iommu",
                                         "-cpu",
                                         "qemu64,+svm,+npt,+pdpe1gb",
                                         "-accel",
                                         "tcg",
                                         "-m",
                                         "1024",
                                         "-smp",
                                         "1",
                                         "-display",
                                         "none",
                                         "-no-reboot",
                                         "-monitor",
                                         "none",
                                         "-serial",
                                         "stdio",
                                         "-debugcon",
                                         "file:/tmp/vmm.log",
                                         "-device",
                                         "isa-debug-exit,iobase=0xf4,iosize=0x04",
                                         "-kernel",
                                         "/b/vmm/thinvisor.bin",
                                         "-initrd",
                                         "/boot/vmlinuz,/b/guest/initramfs.cpio.gz",
                                         "-append",
                                         "-- console=ttyS0 panic=-1"};
  EXPECT_EQ(a, want);
}

TEST(BuildQemuArgv, VmmOptionsAndModules) {
  auto c = vmm_config();
  c.vmm_options = "log=debug";
  c.extra_modules = {"/x/mod.bin arg1 arg2", "/y/other"};
  c.mem_mib = 512;
  auto a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-append"), "log=debug -- console=ttyS0 panic=-1");
  EXPECT_EQ(arg_after(a, "-initrd"), "/boot/vmlinuz,/b/guest/initramfs.cpio.gz,/x/mod.bin arg1 arg2,/y/other");
  EXPECT_EQ(arg_after(a, "-m"), "512");
}

TEST(BuildQemuArgv, EscapesCommasInModulePaths) {
  auto c = vmm_config();
  c.kernel = "/k,1/vmlinuz";
  c.initrd = "/i,,2";
  c.extra_modules = {"/m,3 a,b"};
  auto a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-initrd"), "/k,,1/vmlinuz,/i,,,,2,/m,,3 a,,b");
  EXPECT_EQ(escape_commas(","), ",,");
  EXPECT_EQ(escape_commas("abc"), "abc");
}

TEST(BuildQemuArgv, NoInitrdMeansKernelOnlyModule) {
  auto c = vmm_config();
  c.initrd.clear();
  EXPECT_EQ(arg_after(build_qemu_argv(c), "-initrd"), "/boot/vmlinuz");
}

// As on hardware: no isa-debug-exit (the VMM's exit port then does nothing;
// a panic=SECONDS reset is what ends the run).
TEST(BuildQemuArgv, WithoutTheDebugExitDevice) {
  auto c = vmm_config();
  EXPECT_TRUE(has(build_qemu_argv(c), "isa-debug-exit,iobase=0xf4,iosize=0x04"));
  c.debug_exit = false;
  EXPECT_FALSE(has(build_qemu_argv(c), "isa-debug-exit,iobase=0xf4,iosize=0x04"));
}

// Through the firmware and a boot loader on an ISO (GRUB): QEMU loads nothing itself.
TEST(BuildQemuArgv, CdromBoot) {
  auto c = vmm_config();
  c.cdrom = "/b/grub-bios.iso";
  auto a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-cdrom"), "/b/grub-bios.iso");
  EXPECT_EQ(arg_after(a, "-boot"), "d");
  EXPECT_FALSE(has(a, "-kernel"));
  EXPECT_FALSE(has(a, "-initrd"));
  EXPECT_FALSE(has(a, "-append"));
  c.kernel.clear();
  c.vmm_image.clear();
  EXPECT_EQ(validate_config(c), "");
}

TEST(BuildQemuArgv, PlainMode) {
  auto c = vmm_config();
  c.plain = true;
  c.kernel = "/boot/vmlinuz,x";  // bzImage -initrd/-kernel are literal: no escaping
  c.initrd = "/i,1.cpio.gz";
  c.vmm_log_path.clear();
  auto a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-kernel"), "/boot/vmlinuz,x");
  EXPECT_EQ(arg_after(a, "-initrd"), "/i,1.cpio.gz");
  EXPECT_EQ(arg_after(a, "-append"), "console=ttyS0 panic=-1");
  EXPECT_FALSE(has(a, "-debugcon"));
  EXPECT_EQ(arg_after(a, "-machine"), "q35,smm=off");
  EXPECT_EQ(arg_after(a, "-device"), "amd-iommu");
  EXPECT_EQ(arg_after(a, "-cpu"), "qemu64,+svm,+npt,+pdpe1gb");
}

TEST(BuildQemuArgv, MachinePcHasNoIommu) {
  auto c = vmm_config();
  c.machine = "pc";
  auto a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-machine"), "pc,smm=off");
  EXPECT_FALSE(has(a, "amd-iommu"));
}

TEST(BuildQemuArgv, UefiFirmwareBootsTheIsoWithOvmf) {
  auto c = vmm_config();
  c.firmware = "uefi";
  c.cdrom = "/tmp/tv.iso";
  EXPECT_EQ(validate_config(c), "");
  auto a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-bios"), tv::host::kOvmfImage);
  EXPECT_EQ(arg_after(a, "-cdrom"), "/tmp/tv.iso");
  c.firmware = "bios";
  EXPECT_FALSE(has(build_qemu_argv(c), "-bios"));  // SeaBIOS: QEMU's default
}

TEST(ValidateConfig, UefiNeedsAnIsoAndFirmwareIsChecked) {
  auto c = vmm_config();
  c.firmware = "uefi";  // the VMM as -kernel: OVMF has no multiboot loader
  EXPECT_NE(validate_config(c).find("--firmware uefi needs a boot loader ISO"), std::string::npos);
  c.plain = true;  // a Linux kernel's EFI stub is fine
  EXPECT_EQ(validate_config(c), "");
  c.firmware = "coreboot";
  EXPECT_NE(validate_config(c).find("--firmware must be bios or uefi"), std::string::npos);
}

TEST(ValidateConfig, UnknownMachineIsRefused) {
  auto c = vmm_config();
  c.machine = "isapc";
  EXPECT_NE(validate_config(c).find("--machine must be q35 or pc"), std::string::npos);
  c.machine = "pc";
  EXPECT_EQ(validate_config(c), "");
}

// The -drive/-device pairs of `a`, in order, each as "DRIVE | DEVICE".
std::vector<std::string> disk_args(const std::vector<std::string>& a) {
  std::vector<std::string> out;
  for (size_t i = 0; i + 3 < a.size(); ++i)
    if (a[i] == "-drive" && a[i + 2] == "-device") out.push_back(a[i + 1] + " | " + a[i + 3]);
  return out;
}

// q35 without the IOMMU: the machine a guest under thinvisor sees (tvbench's plain boots).
TEST(BuildQemuArgv, Q35WithoutIommu) {
  auto c = vmm_config();
  EXPECT_TRUE(c.iommu);  // the default
  EXPECT_TRUE(has_iommu(c));
  c.iommu = false;
  EXPECT_FALSE(has_iommu(c));
  EXPECT_EQ(validate_config(c), "");
  auto a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-machine"), "q35,smm=off");
  EXPECT_FALSE(has(a, "amd-iommu"));
  // No IOMMU to go around: a virtio disk is the plain device, as on pc.
  c.disks = {{"/d/v", "virtio"}, {"/d/a", "ide"}};
  const std::vector<std::string> want = {"file=/d/v,format=raw,if=none,id=disk0 | virtio-blk-pci,drive=disk0",
                                         "file=/d/a,format=raw,if=none,id=disk1 | ide-hd,drive=disk1,bus=ide.0"};
  EXPECT_EQ(disk_args(build_qemu_argv(c)), want);
}

// pc has no IOMMU either way: iommu=false there is valid and changes nothing.
TEST(BuildQemuArgv, IommuFalseOnPcIsANoOp) {
  auto c = vmm_config();
  c.machine = "pc";
  EXPECT_FALSE(has_iommu(c));
  const auto with = build_qemu_argv(c);
  c.iommu = false;
  EXPECT_EQ(validate_config(c), "");
  EXPECT_EQ(build_qemu_argv(c), with);
}

TEST(ParseDiskSpec, FileAndInterface) {
  DiskSpec d;
  EXPECT_EQ(parse_disk_spec("/d/a.img", d), "");
  EXPECT_EQ(d.path, "/d/a.img");
  EXPECT_EQ(d.interface, "ide");  // the default
  EXPECT_EQ(parse_disk_spec("b.img,if=virtio", d), "");
  EXPECT_EQ(d.path, "b.img");
  EXPECT_EQ(d.interface, "virtio");
  EXPECT_EQ(parse_disk_spec("/d/c.img,if=ide", d), "");
  EXPECT_EQ(d.interface, "ide");
}

// QEMU's option syntax: ",," is a comma of the file name.
TEST(ParseDiskSpec, DoubledCommasBelongToTheFileName) {
  DiskSpec d;
  EXPECT_EQ(parse_disk_spec("/d/a,,b.img,if=virtio", d), "");
  EXPECT_EQ(d.path, "/d/a,b.img");
  EXPECT_EQ(d.interface, "virtio");
  EXPECT_EQ(parse_disk_spec("/d/x,,,,y", d), "");
  EXPECT_EQ(d.path, "/d/x,,y");
}

TEST(ParseDiskSpec, Rejections) {
  DiskSpec d;
  d.path = "untouched";
  EXPECT_NE(parse_disk_spec("", d), "");
  EXPECT_NE(parse_disk_spec(",if=ide", d), "");
  EXPECT_NE(parse_disk_spec("/d/a.img,if=scsi", d).find("if= must be ide or virtio (got 'scsi')"), std::string::npos);
  EXPECT_NE(parse_disk_spec("/d/a.img,if=", d), "");
  EXPECT_NE(parse_disk_spec("/d/a.img,format=qcow2", d).find("unknown option 'format=qcow2'"), std::string::npos);
  EXPECT_NE(parse_disk_spec("/d/a,b.img", d).find("written ',,'"), std::string::npos);  // a lone comma
  EXPECT_NE(parse_disk_spec("/d/a.img,", d), "");
  EXPECT_EQ(d.path, "untouched");  // a refused spec leaves `out` alone
}

// q35: IDE disks on the ICH9 AHCI ports in order; virtio behind the IOMMU.
TEST(BuildQemuArgv, DisksOnQ35) {
  auto c = vmm_config();
  c.disks = {{"/d/a.img", "ide"}, {"/d/v,1.img", "virtio"}, {"rel.img", "ide"}};
  auto a = build_qemu_argv(c);
  const std::vector<std::string> want = {"file=/d/a.img,format=raw,if=none,id=disk0 | ide-hd,drive=disk0,bus=ide.0",
                                         "file=/d/v,,1.img,format=raw,if=none,id=disk1 | "
                                         "virtio-blk-pci,drive=disk1,iommu_platform=on,disable-legacy=on",
                                         "file=./rel.img,format=raw,if=none,id=disk2 | ide-hd,drive=disk2,bus=ide.1"};
  EXPECT_EQ(disk_args(a), want);
  // The IOMMU comes before any PCI device that should sit behind it.
  EXPECT_LT(std::find(a.begin(), a.end(), "amd-iommu") - a.begin(),
            std::find(a.begin(), a.end(), "-drive") - a.begin());
}

// pc: PIIX's two buses, master then slave; no IOMMU, so no iommu_platform.
TEST(BuildQemuArgv, DisksOnPc) {
  auto c = vmm_config();
  c.machine = "pc";
  c.disks = {{"/d/0", "ide"}, {"/d/1", "ide"}, {"/d/v", "virtio"}, {"/d/2", "ide"}};
  const std::vector<std::string> want = {"file=/d/0,format=raw,if=none,id=disk0 | ide-hd,drive=disk0,bus=ide.0,unit=0",
                                         "file=/d/1,format=raw,if=none,id=disk1 | ide-hd,drive=disk1,bus=ide.0,unit=1",
                                         "file=/d/v,format=raw,if=none,id=disk2 | virtio-blk-pci,drive=disk2",
                                         "file=/d/2,format=raw,if=none,id=disk3 | ide-hd,drive=disk3,bus=ide.1,unit=0"};
  EXPECT_EQ(disk_args(build_qemu_argv(c)), want);
}

// -cdrom keeps its own place (q35: ide.2; pc: ide.1 unit 0); disks go around it.
TEST(BuildQemuArgv, DisksBesideACdrom) {
  auto c = vmm_config();
  c.cdrom = "/b/grub.iso";
  c.disks = {{"/d/0", "ide"}, {"/d/1", "ide"}, {"/d/2", "ide"}};
  auto d = disk_args(build_qemu_argv(c));
  ASSERT_EQ(d.size(), 3u);
  EXPECT_NE(d[1].find("bus=ide.1"), std::string::npos);
  EXPECT_NE(d[2].find("bus=ide.3"), std::string::npos);  // ide.2 is the cdrom's
  c.machine = "pc";
  d = disk_args(build_qemu_argv(c));
  ASSERT_EQ(d.size(), 3u);
  EXPECT_NE(d[1].find("bus=ide.0,unit=1"), std::string::npos);
  EXPECT_NE(d[2].find("bus=ide.1,unit=1"), std::string::npos);
}

TEST(ValidateConfig, IdeDisksFitTheMachine) {
  auto c = vmm_config();
  EXPECT_EQ(max_ide_disks(c), 6u);
  c.disks.assign(6, DiskSpec{"/d/x", "ide"});
  EXPECT_EQ(validate_config(c), "");
  c.disks.push_back({"/d/v", "virtio"});  // virtio disks take no IDE place
  EXPECT_EQ(validate_config(c), "");
  c.disks.push_back({"/d/y", "ide"});
  EXPECT_NE(validate_config(c).find("too many IDE disks (7): --machine q35 has room for 6"), std::string::npos);
  c = vmm_config();
  c.cdrom = "/b/grub.iso";
  EXPECT_EQ(max_ide_disks(c), 5u);
  c.disks.assign(6, DiskSpec{"/d/x", "ide"});
  EXPECT_NE(validate_config(c).find("room for 5 beside the cdrom"), std::string::npos);
  c = vmm_config();
  c.machine = "pc";
  EXPECT_EQ(max_ide_disks(c), 4u);
  c.disks.assign(5, DiskSpec{"/d/x", "ide"});
  EXPECT_NE(validate_config(c).find("--machine pc has room for 4"), std::string::npos);
  c.cdrom = "/b/grub.iso";
  EXPECT_EQ(max_ide_disks(c), 3u);
}

TEST(ValidateConfig, DiskSpecsAreChecked) {
  auto c = vmm_config();
  c.disks = {{"/d/x", "scsi"}};
  EXPECT_NE(validate_config(c).find("if= must be ide or virtio"), std::string::npos);
  c.disks = {{"", "ide"}};
  EXPECT_NE(validate_config(c), "");
}

TEST(CheckDiskFiles, TheFilesMustBeThereAndUsable) {
  char tmpl[] = "/tmp/tvhost-disk-XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  auto c = vmm_config();
  EXPECT_EQ(check_disk_files(c), "");  // no disks
  c.disks = {{tmpl, "ide"}};
  EXPECT_EQ(check_disk_files(c), "");
  c.disks.push_back({"/nonexistent/tv-disk.img", "virtio"});
  EXPECT_EQ(check_disk_files(c), "--disk /nonexistent/tv-disk.img: No such file or directory");
  c.disks = {{"/tmp", "ide"}};
  EXPECT_NE(check_disk_files(c).find("not a regular file or block device"), std::string::npos);
  unlink(tmpl);
}

TEST(BuildQemuArgv, PlainMultibootGuestWithModules) {
  auto c = vmm_config();
  c.plain = true;
  c.kernel = "/mb/kernel.elf";
  c.initrd = "/mb/a,b";
  c.extra_modules = {"/mb/c"};
  auto a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-kernel"), "/mb/kernel.elf");
  EXPECT_EQ(arg_after(a, "-initrd"), "/mb/a,,b,/mb/c");
}

TEST(BuildQemuArgv, KvmAndIcount) {
  auto c = vmm_config();
  c.accel = "kvm";
  auto a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-accel"), "kvm");
  EXPECT_EQ(arg_after(a, "-cpu"), "host");
  EXPECT_FALSE(has(a, "-icount"));

  c.accel = "tcg";
  c.icount = true;
  a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-accel"), "tcg");
  EXPECT_EQ(arg_after(a, "-icount"), "shift=0,sleep=off");

  c.accel = "auto";  // icount forces TCG whatever the host offers
  a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-accel"), "tcg");
  EXPECT_EQ(arg_after(a, "-icount"), "shift=0,sleep=off");
}

// Issue 12: -smp N; TCG with more than one vCPU is multi-threaded (MTTCG),
// except with icount, which QEMU only runs single-threaded (round-robin).
TEST(BuildQemuArgv, SmpAndMultiThreadedTcg) {
  auto c = vmm_config();
  auto a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-smp"), "1");
  EXPECT_EQ(arg_after(a, "-accel"), "tcg");  // one vCPU: nothing to parallelize

  c.smp = 2;
  a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-smp"), "2");
  EXPECT_EQ(arg_after(a, "-accel"), "tcg,thread=multi");
  EXPECT_EQ(std::count(a.begin(), a.end(), "-smp"), 1);
  EXPECT_EQ(std::count(a.begin(), a.end(), "-accel"), 1);

  c.smp = 16;
  c.accel = "auto";
  a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-smp"), "16");
  if (arg_after(a, "-cpu") != "host") {  // auto chose TCG on this host
    EXPECT_EQ(arg_after(a, "-accel"), "tcg,thread=multi");
  }

  c.smp = 4;
  c.accel = "tcg";
  c.icount = true;
  a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-smp"), "4");
  EXPECT_EQ(arg_after(a, "-accel"), "tcg");
  EXPECT_EQ(arg_after(a, "-icount"), "shift=0,sleep=off");

  c.icount = false;
  c.accel = "kvm";
  a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-smp"), "4");
  EXPECT_EQ(arg_after(a, "-accel"), "kvm");
}

TEST(BuildQemuArgv, PlainModeKeepsTheCpuCount) {
  auto c = vmm_config();
  c.plain = true;
  c.vmm_log_path.clear();
  c.smp = 2;
  auto a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-smp"), "2");
  EXPECT_EQ(arg_after(a, "-accel"), "tcg,thread=multi");
  EXPECT_EQ(arg_after(a, "-kernel"), "/boot/vmlinuz");
  c.icount = true;
  a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-smp"), "2");
  EXPECT_EQ(arg_after(a, "-accel"), "tcg");
}

TEST(DefaultSmp, TwoWhenTheHostHasTwoOrMoreCpus) {
  EXPECT_EQ(tv::host::default_smp(-1), 1u);  // sysconf failed
  EXPECT_EQ(tv::host::default_smp(0), 1u);
  EXPECT_EQ(tv::host::default_smp(1), 1u);
  EXPECT_EQ(tv::host::default_smp(2), 2u);
  EXPECT_EQ(tv::host::default_smp(64), 2u);
  EXPECT_EQ(RunConfig{}.smp, 1u);  // a RunConfig is the same machine on any host
}

TEST(BuildQemuArgv, InteractiveMultiplexesConsole) {
  auto c = vmm_config();
  c.interactive = true;
  c.extra_qemu_args = {"-s"};
  auto a = build_qemu_argv(c);
  EXPECT_EQ(arg_after(a, "-chardev"), "stdio,id=tvcon,mux=on,signal=off");
  EXPECT_EQ(arg_after(a, "-serial"), "chardev:tvcon");
  EXPECT_EQ(a.back(), "-s");
}

TEST(ChooseAccel, ExplicitAndAuto) {
  EXPECT_EQ(choose_accel("tcg", true), "tcg");
  EXPECT_EQ(choose_accel("kvm", false), "kvm");
  EXPECT_EQ(choose_accel("auto", true), "kvm");
  EXPECT_EQ(choose_accel("auto", false), "tcg");
  EXPECT_EQ(choose_accel("bogus", true), "");
  EXPECT_EQ(choose_accel("tcg"), "tcg");
  EXPECT_EQ(choose_accel("kvm"), "kvm");
  const std::string a = choose_accel("auto");
  EXPECT_TRUE(a == "tcg" || a == "kvm");
  EXPECT_EQ(a, tv::host::host_has_nested_kvm() ? "kvm" : "tcg");
}

TEST(ValidateConfig, Rejections) {
  auto c = vmm_config();
  EXPECT_EQ(validate_config(c), "");
  for (unsigned n : {0u, 17u, 64u}) {
    c.smp = n;
    EXPECT_EQ(validate_config(c), "--smp must be 1 to 16 (got " + std::to_string(n) + ")");
  }
  for (unsigned n : {1u, 2u, 4u, 16u}) {
    c.smp = n;
    EXPECT_EQ(validate_config(c), "") << n;
  }
  c = vmm_config();
  c.accel = "xen";
  EXPECT_NE(validate_config(c), "");
  c = vmm_config();
  c.accel = "kvm";
  c.icount = true;
  EXPECT_NE(validate_config(c), "");
  c = vmm_config();
  c.kernel = "/path with space/vmlinuz";
  EXPECT_NE(validate_config(c), "");
  c.plain = true;  // bzImage -kernel is literal: spaces are fine
  EXPECT_EQ(validate_config(c), "");
  c = vmm_config();
  c.vmm_image.clear();
  EXPECT_NE(validate_config(c), "");
}

TEST(DescribeExit, KnownStatuses) {
  EXPECT_NE(describe_exit(0).find("powered off"), std::string::npos);
  EXPECT_NE(describe_exit(33).find("triple fault"), std::string::npos);
  EXPECT_NE(describe_exit(35).find("panic"), std::string::npos);
  EXPECT_NE(describe_exit(37).find("SVM not available"), std::string::npos);
  EXPECT_NE(describe_exit(0x41).find("0x20"), std::string::npos);
  EXPECT_NE(describe_exit(256 + 9).find("signal 9"), std::string::npos);
}

// --- GuestSession against a fake QEMU ----------------------------------------

// Behaves like the guest: finds -debugcon, writes two VMM log lines, prints
// some boot noise with \r\n and the ready line, then sources its stdin as a
// shell script ("poweroff -f" exits with 7 so the test can see the status).
constexpr const char* kFakeQemu = R"(#!/bin/sh
log=
prev=
for a in "$@"; do
  [ "$prev" = "-debugcon" ] && log="${a#file:}"
  prev="$a"
done
[ -n "$log" ] && printf 'vmm: hello\nvmm: second line\n' >> "$log"
printf 'Linux booting...\r\nnoise\r\n'
echo "qemu-stderr-text" >&2
case "$FAKE_MODE" in
  die) exit 35 ;;
  slow) sleep 30 ;;
esac
poweroff() { exit 7; }
stty() { :; }
case "$FAKE_MODE" in
  login)  # a getty and login: the user root, password "secret"
    printf 'Debian GNU/Linux 12 debian12 ttyS0\r\n\r\ndebian12 login: '
    read user
    printf 'Password: '
    read pw
    if [ "$user:$pw" != "root:secret" ]; then printf '\r\nLogin incorrect\r\n'; sleep 30; exit 1; fi
    printf 'Linux debian12 6.1.0-57-amd64 #1 SMP\r\n[    9.1] late kernel line\r\nroot@debian12:~# '
    . /dev/stdin ;;
  ready)  # "press Enter to activate this console"
    printf 'FakeOS up\r\n'
    read enter
    printf 'fake$ '
    . /dev/stdin ;;
esac
echo "thinvisor-guest: ready"
. /dev/stdin
)";

class FakeQemu : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tvhost-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    script_ = dir_ + "/fake-qemu";
    std::ofstream(script_) << kFakeQemu;
    ASSERT_EQ(chmod(script_.c_str(), 0755), 0);
    unsetenv("FAKE_MODE");
  }
  void TearDown() override {
    unsetenv("FAKE_MODE");
    unlink(script_.c_str());
    rmdir(dir_.c_str());
  }
  RunConfig config() {
    RunConfig c = vmm_config();
    c.qemu = script_;
    c.vmm_log_path.clear();  // session makes a temp file
    return c;
  }
  std::string dir_, script_;
};

TEST_F(FakeQemu, RunsCommandsAndPowersOff) {
  std::vector<std::string> log_lines;
  std::string log_path;
  {
    GuestSession s;
    s.set_vmm_log_listener([&](std::string_view l) { log_lines.emplace_back(l); });
    ASSERT_TRUE(s.start(config())) << s.last_error();
    log_path = s.vmm_log_path();
    EXPECT_FALSE(log_path.empty());

    ExecResult r = s.run("echo \"a'b\" | tr a-z A-Z; false", 10s);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.output, "A'B\n");

    r = s.run("printf 'no newline'", 10s);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.output, "no newline");

    r = s.run("echo one\necho two # comment\nexit 3", 10s);
    EXPECT_EQ(r.status, 3);
    EXPECT_EQ(r.output, "one\ntwo\n");

    r = s.run("echo '__TV_RC=x'; echo '__TV_RC=12'\"\"x", 10s);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.output, "__TV_RC=x\n__TV_RC=12x\n");

    EXPECT_NE(s.transcript().find("Linux booting...\nnoise\n"), std::string::npos);
    EXPECT_EQ(s.transcript().find('\r'), std::string::npos);
    EXPECT_EQ(s.transcript_tail(1), "__TV_RC=0\n");

    EXPECT_EQ(s.poweroff(10s), 7);
    EXPECT_FALSE(s.running());
    EXPECT_EQ(s.exit_status(), 7);
    EXPECT_EQ(s.vmm_log(), "vmm: hello\nvmm: second line\n");
    EXPECT_NE(s.qemu_stderr().find("qemu-stderr-text"), std::string::npos);
  }
  EXPECT_EQ(log_lines, (std::vector<std::string>{"vmm: hello", "vmm: second line"}));
  EXPECT_NE(access(log_path.c_str(), F_OK), 0) << "temp VMM log left behind";
}

TEST_F(FakeQemu, WaitForConsumesTranscript) {
  GuestSession s;
  ASSERT_TRUE(s.start(config())) << s.last_error();
  EXPECT_TRUE(s.wait_for("noise", 10s));
  EXPECT_FALSE(s.wait_for("noise", 300ms));  // already consumed
  EXPECT_TRUE(s.wait_for("thinvisor-guest: ready", 10s));
}

TEST_F(FakeQemu, CommandTimeout) {
  GuestSession s;
  ASSERT_TRUE(s.start(config())) << s.last_error();
  auto t0 = std::chrono::steady_clock::now();
  ExecResult r = s.run("echo started; sleep 20", 1500ms);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.status, -1);
  EXPECT_EQ(r.output, "started\n");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  s.kill();
  EXPECT_FALSE(s.running());
  EXPECT_EQ(s.exit_status(), 256 + 9);
}

TEST_F(FakeQemu, BootTimeout) {
  setenv("FAKE_MODE", "slow", 1);
  GuestSession s;
  ASSERT_TRUE(s.start(config())) << s.last_error();
  ExecResult r = s.run("true", 500ms);
  EXPECT_TRUE(r.timed_out);
  EXPECT_NE(s.last_error().find("timed out"), std::string::npos);
}  // destructor kills the sleeping fake

TEST_F(FakeQemu, EarlyExit) {
  setenv("FAKE_MODE", "die", 1);
  GuestSession s;
  ASSERT_TRUE(s.start(config())) << s.last_error();
  ExecResult r = s.run("true", 10s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.status, -1);
  EXPECT_FALSE(s.running());
  EXPECT_EQ(s.exit_status(), 35);
  EXPECT_NE(s.last_error().find("panic"), std::string::npos);
  EXPECT_EQ(s.transcript_tail(40), "Linux booting...\nnoise\n");
}

TEST_F(FakeQemu, MissingBinary) {
  RunConfig c = config();
  c.qemu = dir_ + "/does-not-exist";
  GuestSession s;
  EXPECT_FALSE(s.start(c));
  EXPECT_NE(s.last_error().find("cannot execute"), std::string::npos);
  EXPECT_FALSE(s.running());
}

TEST_F(FakeQemu, LogsInWithUserAndPassword) {
  setenv("FAKE_MODE", "login", 1);
  RunConfig c = config();
  c.shell.login = "root";
  c.shell.password = "secret";
  GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  ASSERT_TRUE(s.wait_ready(10s)) << s.last_error() << "\n" << s.transcript();
  ExecResult r = s.run("echo \"$TERM $PAGER\"; exit 4", 10s);
  EXPECT_EQ(r.status, 4);
  EXPECT_EQ(r.output, "dumb cat\n");
  EXPECT_EQ(s.poweroff(10s), 7);
}

TEST_F(FakeQemu, WrongPasswordIsReported) {
  setenv("FAKE_MODE", "login", 1);
  RunConfig c = config();
  c.shell.login = "root";  // an empty password: refused by the fake
  GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  EXPECT_FALSE(s.wait_ready(10s));
  EXPECT_NE(s.last_error().find("refused the login as 'root'"), std::string::npos) << s.last_error();
}

TEST_F(FakeQemu, ReadyRegexThenEnterThenPrompt) {
  setenv("FAKE_MODE", "ready", 1);
  RunConfig c = config();
  c.shell.ready = "^FakeOS (up|running)$";
  GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  ExecResult r = s.run("echo hi", 10s);
  EXPECT_EQ(r.status, 0) << s.last_error() << "\n" << s.transcript();
  EXPECT_EQ(r.output, "hi\n");
}

TEST_F(FakeQemu, LoginTimeoutNamesTheStage) {
  RunConfig c = config();  // the initramfs fake: never prints "login: "
  c.shell.login = "root";
  GuestSession s;
  ASSERT_TRUE(s.start(c)) << s.last_error();
  EXPECT_FALSE(s.wait_ready(1500ms));
  EXPECT_EQ(s.last_error(), "timed out waiting for the login prompt ('login: ')");
}

TEST_F(FakeQemu, InvalidConfigRefused) {
  RunConfig c = config();
  c.smp = 17;
  GuestSession s;
  EXPECT_FALSE(s.start(c));
  EXPECT_NE(s.last_error().find("--smp must be 1 to 16"), std::string::npos);
  EXPECT_FALSE(s.running());
}

}  // namespace

TEST(CliHelpers, ShellQuoteAndParseUnsigned) {
  EXPECT_EQ(tv::host::shell_quote("plain/path-1.bin"), "plain/path-1.bin");
  EXPECT_EQ(tv::host::shell_quote("a b"), "'a b'");
  EXPECT_EQ(tv::host::shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(tv::host::shell_quote(""), "''");
  unsigned n = 0;
  EXPECT_TRUE(tv::host::parse_unsigned("1024", n));
  EXPECT_EQ(n, 1024u);
  EXPECT_FALSE(tv::host::parse_unsigned("", n));
  EXPECT_FALSE(tv::host::parse_unsigned("-1", n));
  EXPECT_FALSE(tv::host::parse_unsigned("12x", n));
  EXPECT_FALSE(tv::host::parse_unsigned("1234567890", n));  // more than 9 digits
}

namespace {

using tv::host::apply_shell_access_option;
using tv::host::DialogStep;
using tv::host::first_shell_stage;
using tv::host::shell_dialog_step;
using tv::host::ShellAccess;
using tv::host::ShellStage;
using tv::host::validate_shell_access;

TEST(ShellAccess, OptionParsing) {
  ShellAccess a;
  EXPECT_TRUE(a.is_default());
  for (const char* o : {"--ready", "--login", "--password", "--prompt"})
    EXPECT_TRUE(tv::host::is_shell_access_option(o));
  EXPECT_FALSE(tv::host::is_shell_access_option("--exec"));
  EXPECT_EQ(apply_shell_access_option("--login", "root", a), "");
  EXPECT_EQ(a.login, "root");
  EXPECT_FALSE(a.is_default());
  EXPECT_NE(apply_shell_access_option("--login", "", a), "");
  EXPECT_NE(apply_shell_access_option("--login", "ro ot", a), "");
  EXPECT_EQ(apply_shell_access_option("--password", "", a), "");
  EXPECT_NE(apply_shell_access_option("--password", "a\nb", a), "");
  EXPECT_EQ(apply_shell_access_option("--ready", "Reached target .*Multi-User", a), "");
  EXPECT_EQ(a.ready, "Reached target .*Multi-User");
  std::string e = apply_shell_access_option("--prompt", "([", a);
  EXPECT_EQ(e.rfind("--prompt: bad regular expression '(['", 0), 0u) << e;
  EXPECT_EQ(a.prompt, tv::host::kDefaultPrompt);  // unchanged by the bad value
  EXPECT_NE(apply_shell_access_option("--ready", "", a), "");
  EXPECT_EQ(validate_shell_access(a), "");
}

TEST(ShellAccess, Validation) {
  ShellAccess a;
  EXPECT_EQ(validate_shell_access(a), "");
  a.password = "pw";
  EXPECT_EQ(validate_shell_access(a), "--password needs --login");
  a.ready = "up";
  EXPECT_EQ(validate_shell_access(a), "--password needs --login");
  a = {};
  a.prompt = "% $";
  EXPECT_EQ(validate_shell_access(a), "--prompt needs --login or --ready");
  a.ready = "(";
  EXPECT_NE(validate_shell_access(a).find("--ready: bad regular expression"), std::string::npos);
  RunConfig c = vmm_config();
  c.shell.password = "pw";
  EXPECT_EQ(validate_config(c), "--password needs --login");
}

TEST(ShellDialog, InitramfsReadyLine) {
  ShellAccess a;
  ASSERT_EQ(first_shell_stage(a), ShellStage::kInitramfsReady);
  EXPECT_EQ(shell_dialog_step(a, ShellStage::kInitramfsReady, "booting\nthinvisor-guest: rea").next,
            ShellStage::kInitramfsReady);
  DialogStep s = shell_dialog_step(a, ShellStage::kInitramfsReady, "booting\nthinvisor-guest: ready\n~ # ");
  EXPECT_EQ(s.next, ShellStage::kSettling);
  EXPECT_EQ(s.consumed, std::string("booting\nthinvisor-guest: ready").size());
  EXPECT_EQ(s.send, "stty -echo; PS1=''; PS2=''; echo '__TV_''READY'\n");  // unchanged for the initramfs
  s = shell_dialog_step(a, ShellStage::kSettling, "echo junk\n__TV_READY\n");
  EXPECT_EQ(s.next, ShellStage::kDone);
  EXPECT_EQ(s.consumed, std::string("echo junk\n__TV_READY\n").size());
}

TEST(ShellDialog, LoginWithPassword) {
  ShellAccess a;
  a.login = "root";
  a.password = "pw";
  ASSERT_EQ(first_shell_stage(a), ShellStage::kLogin);
  EXPECT_EQ(shell_dialog_step(a, ShellStage::kLogin, "[  OK  ] Started getty\n").next, ShellStage::kLogin);
  const std::string getty = "Debian GNU/Linux 12 debian12 ttyS0\n\ndebian12 login: ";
  DialogStep s = shell_dialog_step(a, ShellStage::kLogin, getty);
  EXPECT_EQ(s.next, ShellStage::kLoggingIn);
  EXPECT_EQ(s.consumed, getty.size());
  EXPECT_EQ(s.send, "root\n");
  EXPECT_EQ(shell_dialog_step(a, ShellStage::kLoggingIn, "root\n").next, ShellStage::kLoggingIn);
  s = shell_dialog_step(a, ShellStage::kLoggingIn, "root\nPassword: ");
  EXPECT_EQ(s.next, ShellStage::kPrompt);
  EXPECT_EQ(s.send, "pw\n");
  // Output that is not a prompt yet: complete lines, or a last line without a prompt's end.
  EXPECT_EQ(shell_dialog_step(a, ShellStage::kPrompt, "\nLinux debian12 6.1.0 #1 SMP\n").next, ShellStage::kPrompt);
  EXPECT_EQ(shell_dialog_step(a, ShellStage::kPrompt, "\nLinux debian12 6.1.0 #1 SM").next, ShellStage::kPrompt);
  const std::string shell = "\nLinux debian12\nroot@debian12:~# ";
  s = shell_dialog_step(a, ShellStage::kPrompt, shell);
  EXPECT_EQ(s.next, ShellStage::kSettling);
  EXPECT_EQ(s.consumed, shell.size());
  EXPECT_NE(s.send.find("stty -echo;"), std::string::npos);
  EXPECT_NE(s.send.find("set +o emacs +o vi"), std::string::npos);
  EXPECT_NE(s.send.find("TERM=dumb"), std::string::npos);
  EXPECT_EQ(s.send.back(), '\n');
  s = shell_dialog_step(a, ShellStage::kPrompt, "\nLogin incorrect\ndebian12 login: ");
  EXPECT_EQ(s.error, "the guest refused the login as 'root' (Login incorrect)");
}

TEST(ShellDialog, LoginWithoutPasswordPrompt) {
  ShellAccess a;
  a.login = "root";
  // Empty password (pam_unix nullok): no "Password:", straight to the shell.
  DialogStep s = shell_dialog_step(a, ShellStage::kLoggingIn, "root\nLinux debian12\n\x1b[?2004hroot@debian12:~# ");
  EXPECT_EQ(s.next, ShellStage::kSettling);
  s = shell_dialog_step(a, ShellStage::kLoggingIn, "root\nPassword: ");
  EXPECT_EQ(s.next, ShellStage::kPrompt);
  EXPECT_EQ(s.send, "\n");  // an empty password
}

TEST(ShellDialog, ReadyRegexThenLogin) {
  ShellAccess a;
  a.ready = "Reached target .*Multi-User";
  ASSERT_EQ(first_shell_stage(a), ShellStage::kReadyLine);
  // Only complete lines count; the ones that cannot match any more are consumed.
  DialogStep s = shell_dialog_step(a, ShellStage::kReadyLine, "one\ntwo\n[  OK  ] Reached target multi-user");
  EXPECT_EQ(s.next, ShellStage::kReadyLine);
  EXPECT_EQ(s.consumed, 8u);
  const std::string line = "x\n[  OK  ] Reached target Multi-User System.\n";
  s = shell_dialog_step(a, ShellStage::kReadyLine, line + "more");
  EXPECT_EQ(s.next, ShellStage::kPrompt);
  EXPECT_EQ(s.consumed, line.size());
  EXPECT_EQ(s.send, "\n");
  a.login = "admin";
  EXPECT_EQ(first_shell_stage(a), ShellStage::kReadyLine);
  EXPECT_EQ(shell_dialog_step(a, ShellStage::kReadyLine, line).next, ShellStage::kLogin);
  a.prompt = "^> $";
  EXPECT_EQ(shell_dialog_step(a, ShellStage::kPrompt, "x\n> ").next, ShellStage::kSettling);
  EXPECT_EQ(shell_dialog_step(a, ShellStage::kPrompt, "x\n# ").next, ShellStage::kPrompt);
}

}  // namespace
