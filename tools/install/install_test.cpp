// Unit tests of `thinvisor install` (issue 14): the kernel scan and GRUB
// entries over a fake /boot, install/uninstall over a scratch root, and the
// installed /etc/grub.d script run as update-grub would run it. Nothing here
// touches the machine's /boot or /etc.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "grub_entries.hpp"
#include "installer.hpp"

namespace tv::install {
namespace {
namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void put(const std::string& path, const std::string& data = "x") {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}
// Output of a shell command line (stderr to /dev/null) and its status.
std::string capture(const std::string& cmd, int& status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  for (size_t n; p && (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  int raw = p ? pclose(p) : -1;
  status = raw >= 0 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}
// grub-script-check's verdict (grub-common) on a grub.cfg text: "" if it parses.
std::string grub_syntax_error(const std::string& cfg) {
  const std::string path = testing::TempDir() + "tv-check.cfg";
  put(path, cfg);
  int status = 0;
  std::string out = capture("grub-script-check '" + path + "' 2>&1", status);
  return status == 0 ? "" : out + "\n" + cfg;
}

class Scratch : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "tvinstall-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST(KernelOrder, AsTenLinuxSortsThem) {
  EXPECT_GT(compare_kernel_names("vmlinuz-6.1.0-10-amd64", "vmlinuz-6.1.0-9-amd64"), 0);
  EXPECT_GT(compare_kernel_names("vmlinuz-6.10.0-1-amd64", "vmlinuz-6.9.0-1-amd64"), 0);
  EXPECT_GT(compare_kernel_names("vmlinuz-6.1.0-57-amd64", "vmlinuz-6.1.0-57-amd64.old"), 0);  // .old is ~old
  EXPECT_GT(compare_kernel_names("vmlinuz-6.2.0", "vmlinuz-6.2.0-rc7"), 0);  // -rc is ~rc: before the release
  EXPECT_GT(compare_kernel_names("vmlinuz-6.1.0-57-rt-amd64", "vmlinuz-6.1.0-57-amd64"), 0);  // 'r' > 'a'
  EXPECT_EQ(compare_kernel_names("vmlinuz-6.1.0-57-amd64", "vmlinuz-6.1.0-57-amd64"), 0);
}

TEST_F(Scratch, ScanFindsKernelsWithInitrdsNewestFirst) {
  const std::string b = dir_ + "/boot";
  for (const char* v : {"6.1.0-9-amd64", "6.1.0-57-amd64", "6.1.0-57-rt-amd64", "6.1.0-10-amd64"}) {
    put(b + "/vmlinuz-" + std::string(v));
    put(b + "/initrd.img-" + std::string(v));
  }
  put(b + "/vmlinuz-6.1.0-8-amd64");  // no initrd
  put(b + "/vmlinuz-6.0.0-1-amd64");
  put(b + "/initrd-6.0.0-1-amd64.img");  // another of 10_linux's initrd names
  put(b + "/vmlinuz-6.1.0-57-amd64.dpkg-tmp");
  put(b + "/initrd.img-6.1.0-57-amd64.dpkg-tmp");
  fs::create_directories(b + "/vmlinuz-7.0.0-1-amd64");  // not a file
  put(b + "/initrd.img-7.0.0-1-amd64");
  KernelScan s = scan_boot_dir(b);
  std::vector<std::string> got;
  for (const BootKernel& k : s.kernels) got.push_back(k.version + " " + k.kernel + " " + k.initrd);
  EXPECT_EQ(got, (std::vector<std::string>{
                     "6.1.0-57-rt-amd64 vmlinuz-6.1.0-57-rt-amd64 initrd.img-6.1.0-57-rt-amd64",
                     "6.1.0-57-amd64 vmlinuz-6.1.0-57-amd64 initrd.img-6.1.0-57-amd64",
                     "6.1.0-10-amd64 vmlinuz-6.1.0-10-amd64 initrd.img-6.1.0-10-amd64",
                     "6.1.0-9-amd64 vmlinuz-6.1.0-9-amd64 initrd.img-6.1.0-9-amd64",
                     "6.0.0-1-amd64 vmlinuz-6.0.0-1-amd64 initrd-6.0.0-1-amd64.img",
                 }));
  EXPECT_EQ(s.notes, std::vector<std::string>{"no thinvisor entry for vmlinuz-6.1.0-8-amd64: it has no initrd"});
  EXPECT_TRUE(scan_boot_dir(dir_ + "/nothing").kernels.empty());
}

TEST(RootDevice, AsTenLinuxComputesIt) {
  GrubSettings s;
  s.device = "/dev/sda2";
  s.device_uuid = "1234-abcd";
  s.device_partuuid = "pp-11";
  auto all = [](const std::string&) { return true; };
  auto none = [](const std::string&) { return false; };
  EXPECT_EQ(linux_root_device(s, all), "UUID=1234-abcd");
  EXPECT_EQ(linux_root_device(s, none), "/dev/sda2");  // no /dev/disk/by-uuid link: the device
  std::string asked;
  linux_root_device(s, [&](const std::string& p) { return asked += p + ";", false; });
  EXPECT_EQ(asked, "/dev/disk/by-uuid/1234-abcd;/dev/disk/by-partuuid/pp-11;");
  s.disable_linux_uuid = true;
  EXPECT_EQ(linux_root_device(s, all), "/dev/sda2");  // PARTUUID stays off unless asked for
  s.disable_linux_partuuid = false;
  EXPECT_EQ(linux_root_device(s, all), "PARTUUID=pp-11");
  GrubSettings bare;
  bare.device = "/dev/vda1";
  EXPECT_EQ(linux_root_device(bare, all), "/dev/vda1");
}

TEST(Settings, FromTheEnvironmentGrubMkconfigExports) {
  std::map<std::string, std::string> env = {{"GRUB_DEVICE", "/dev/sda2"},
                                            {"GRUB_DEVICE_UUID", "u"},
                                            {"GRUB_DISABLE_LINUX_UUID", "true"},
                                            {"GRUB_CMDLINE_LINUX", "a=1"},
                                            {"GRUB_CMDLINE_LINUX_DEFAULT", "quiet"},
                                            {"GRUB_DISTRIBUTOR", "Debian"}};
  GrubSettings s = grub_settings_from([&](const char* n) { return env.count(n) ? env[n].c_str() : nullptr; });
  EXPECT_EQ(s.device, "/dev/sda2");
  EXPECT_EQ(s.device_uuid, "u");
  EXPECT_TRUE(s.disable_linux_uuid);
  EXPECT_TRUE(s.disable_linux_partuuid);  // unset: 10_linux's default
  EXPECT_EQ(s.cmdline_linux, "a=1");
  EXPECT_EQ(s.cmdline_linux_default, "quiet");
  env["GRUB_DISABLE_LINUX_PARTUUID"] = "false";
  EXPECT_FALSE(grub_settings_from([&](const char* n) {
                 return env.count(n) ? env[n].c_str() : nullptr;
               }).disable_linux_partuuid);
}

GrubSettings debian() {
  GrubSettings s;
  s.device = "/dev/sda2";
  s.distributor = "Debian";
  s.cmdline_linux_default = "quiet";
  return s;
}

TEST(Entries, OnePerKernelWithMultiboot2AndModule2) {
  EntryOptions o;
  o.root_device = "UUID=1234-abcd";
  o.prepare = "insmod part_gpt\ninsmod ext2\nsearch --no-floppy --fs-uuid --set=root 1234-abcd\n";
  std::vector<BootKernel> k = {{"6.1.0-57-amd64", "vmlinuz-6.1.0-57-amd64", "initrd.img-6.1.0-57-amd64"},
                               {"6.1.0-9-amd64", "vmlinuz-6.1.0-9-amd64", "initrd.img-6.1.0-9-amd64"}};
  const std::string e = grub_entries(k, debian(), o);
  EXPECT_EQ(e,
            "menuentry 'Debian GNU/Linux, with Linux 6.1.0-57-amd64 under thinvisor' --class thinvisor --class debian "
            "--class gnu-linux --class gnu --class os $menuentry_id_option 'thinvisor-6.1.0-57-amd64' {\n"
            "\tinsmod all_video\n"
            "\tinsmod part_gpt\n\tinsmod ext2\n\tsearch --no-floppy --fs-uuid --set=root 1234-abcd\n"
            "\techo\t'Loading thinvisor and Linux 6.1.0-57-amd64 ...'\n"
            "\tmultiboot2\t/boot/thinvisor.bin console=com1 panic=30 -- root=UUID=1234-abcd ro quiet\n"
            "\tmodule2\t--nounzip /boot/vmlinuz-6.1.0-57-amd64\n"
            "\tmodule2\t--nounzip /boot/initrd.img-6.1.0-57-amd64\n"
            "}\n"
            "menuentry 'Debian GNU/Linux, with Linux 6.1.0-9-amd64 under thinvisor' --class thinvisor --class debian "
            "--class gnu-linux --class gnu --class os $menuentry_id_option 'thinvisor-6.1.0-9-amd64' {\n"
            "\tinsmod all_video\n"
            "\tinsmod part_gpt\n\tinsmod ext2\n\tsearch --no-floppy --fs-uuid --set=root 1234-abcd\n"
            "\techo\t'Loading thinvisor and Linux 6.1.0-9-amd64 ...'\n"
            "\tmultiboot2\t/boot/thinvisor.bin console=com1 panic=30 -- root=UUID=1234-abcd ro quiet\n"
            "\tmodule2\t--nounzip /boot/vmlinuz-6.1.0-9-amd64\n"
            "\tmodule2\t--nounzip /boot/initrd.img-6.1.0-9-amd64\n"
            "}\n");
  EXPECT_EQ(grub_syntax_error(e), "");
  EXPECT_EQ(grub_entries({}, debian(), o), "");
}

TEST(Entries, BootOnItsOwnPartitionAndOddPaths) {
  EntryOptions o;
  o.root_device = "/dev/sda2";
  o.boot_prefix = "/";  // grub-mkrelpath /boot when /boot is a partition
  o.vmm_options = "";
  std::vector<BootKernel> k = {{"6.1.0-57-amd64", "vmlinuz-6.1.0-57-amd64", "initrd.img-6.1.0-57-amd64"}};
  std::string e = grub_entries(k, GrubSettings{}, o);
  EXPECT_NE(e.find("menuentry 'GNU/Linux, with Linux 6.1.0-57-amd64 under thinvisor' --class thinvisor --class "
                   "gnu-linux"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("\tmultiboot2\t/thinvisor.bin -- root=/dev/sda2 ro\n"), std::string::npos) << e;
  EXPECT_NE(e.find("\tmodule2\t--nounzip /vmlinuz-6.1.0-57-amd64\n"), std::string::npos) << e;
  o.boot_prefix = "/my boot's";
  e = grub_entries(k, GrubSettings{}, o);
  EXPECT_NE(e.find("\tmultiboot2\t'/my boot'\\''s/thinvisor.bin' -- "), std::string::npos) << e;
  EXPECT_NE(e.find("\tmodule2\t--nounzip '/my boot'\\''s/initrd.img-6.1.0-57-amd64'\n"), std::string::npos) << e;
  EXPECT_EQ(grub_syntax_error(e), "");
}

TEST(Entries, KernelArgumentsStayInGrubSyntaxAsTenLinuxWritesThem) {
  GrubSettings s = debian();
  s.cmdline_linux = "  console=ttyS1,115200 acpi_osi=\"Windows 2015\" ";
  s.cmdline_linux_default = "quiet splash";
  EntryOptions o;
  o.root_device = "UUID=u";
  o.guest_append = "break=top";
  EXPECT_EQ(guest_cmdline(s, o),
            "root=UUID=u ro console=ttyS1,115200 acpi_osi=\"Windows 2015\" quiet splash break=top");
  std::string e = grub_entries({{"6.1.0-57-amd64", "vmlinuz-6.1.0-57-amd64", "initrd.img-6.1.0-57-amd64"}}, s, o);
  EXPECT_NE(e.find(" -- root=UUID=u ro console=ttyS1,115200 acpi_osi=\"Windows 2015\" quiet splash break=top\n"),
            std::string::npos)
      << e;
  EXPECT_EQ(grub_syntax_error(e), "");
  EXPECT_EQ(grub_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(grub_word("/boot/vmlinuz-6.1.0-57-amd64"), "/boot/vmlinuz-6.1.0-57-amd64");
  EXPECT_EQ(grub_word("/a b"), "'/a b'");
  EXPECT_EQ(grub_word("/$x"), "'/$x'");
}

TEST(Cpuinfo, TheSvmFlag) {
  EXPECT_TRUE(cpuinfo_has_svm("processor\t: 0\nflags\t\t: fpu vme svm npt\n"));
  EXPECT_FALSE(cpuinfo_has_svm("processor\t: 0\nflags\t\t: fpu vme vmx svm_lock\nmodel name\t: svm\n"));
  EXPECT_FALSE(cpuinfo_has_svm(""));
}

// A scratch root with a Debian-like /boot and a CPU that has SVM.
class FakeRoot : public Scratch {
 protected:
  void SetUp() override {
    Scratch::SetUp();
    root_ = dir_ + "/root";
    put(root_ + "/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu svm npt\n");
    put(root_ + "/boot/vmlinuz-6.1.0-57-amd64", "kernel");
    put(root_ + "/boot/initrd.img-6.1.0-57-amd64", "initrd");
    put(root_ + "/boot/vmlinuz-6.1.0-9-amd64", "kernel");
    put(root_ + "/boot/initrd.img-6.1.0-9-amd64", "initrd");
    put(root_ + "/etc/grub.d/10_linux", "untouched");
    put(dir_ + "/build/thinvisor.bin", "VMM image");
    put(dir_ + "/build/tvinstall", "generator");
    o_.root = root_;
    o_.vmm_image = dir_ + "/build/thinvisor.bin";
    o_.generator = dir_ + "/build/tvinstall";
    o_.update_grub_command = {"fake-update-grub"};
  }
  // Records each command; "fake-update-grub" writes a grub.cfg with the entries.
  int run(const std::vector<std::string>& argv) {
    std::string line;
    for (const std::string& a : argv) line += (line.empty() ? "" : " ") + a;
    commands_.push_back(line);
    if (argv[0] == "fake-update-grub" && grub_cfg_has_entries_) {
      KernelScan s = scan_boot_dir(root_ + "/boot");
      put(root_ + "/boot/grub/grub.cfg", grub_entries(s.kernels, GrubSettings{}, EntryOptions{}));
    }
    return 0;
  }
  int install() {
    out_.str("");
    err_.str("");
    return tv::install::install(
        o_, [this](const std::vector<std::string>& a) { return run(a); }, out_, err_);
  }
  int uninstall() {
    out_.str("");
    err_.str("");
    return tv::install::uninstall(
        o_, [this](const std::vector<std::string>& a) { return run(a); }, out_, err_);
  }
  std::vector<std::string> files() {
    std::vector<std::string> f;
    for (const auto& e : fs::recursive_directory_iterator(root_))
      if (!e.is_directory()) f.push_back(fs::relative(e.path(), root_).string());
    std::sort(f.begin(), f.end());
    return f;
  }
  static mode_t mode(const std::string& path) {
    struct stat st {};
    stat(path.c_str(), &st);
    return st.st_mode & 07777;
  }
  std::string root_;
  InstallOptions o_;
  std::vector<std::string> commands_;
  bool grub_cfg_has_entries_ = true;
  std::ostringstream out_, err_;
};

TEST_F(FakeRoot, InstallWritesItsFilesAndRunsUpdateGrub) {
  std::vector<std::string> before = files();
  ASSERT_EQ(install(), kOk) << err_.str();
  EXPECT_EQ(slurp(root_ + "/boot/thinvisor.bin"), "VMM image");
  EXPECT_EQ(slurp(root_ + "/usr/local/lib/thinvisor/tvinstall"), "generator");
  EXPECT_EQ(slurp(root_ + "/etc/grub.d/42_thinvisor"), grub_script_text());
  EXPECT_EQ(slurp(root_ + "/etc/default/thinvisor"), config_text(kDefaultVmmOptions, ""));
  EXPECT_EQ(mode(root_ + "/etc/grub.d/42_thinvisor"), 0755u);
  EXPECT_EQ(mode(root_ + "/usr/local/lib/thinvisor/tvinstall"), 0755u);
  EXPECT_EQ(mode(root_ + "/boot/thinvisor.bin"), 0644u);
  EXPECT_EQ(slurp(root_ + "/etc/grub.d/10_linux"), "untouched");
  EXPECT_EQ(commands_, std::vector<std::string>{"fake-update-grub"});
  EXPECT_NE(out_.str().find("GRUB entry thinvisor-6.1.0-57-amd64: thinvisor, then vmlinuz-6.1.0-57-amd64"),
            std::string::npos)
      << out_.str();

  // Twice is fine, and keeps the settings unless asked to change them.
  put(root_ + "/etc/default/thinvisor", "THINVISOR_VMM_OPTIONS='console=com2'\n");
  ASSERT_EQ(install(), kOk) << err_.str();
  EXPECT_EQ(slurp(root_ + "/etc/default/thinvisor"), "THINVISOR_VMM_OPTIONS='console=com2'\n");
  o_.vmm_options = "console=com2,57600 panic=5";
  ASSERT_EQ(install(), kOk) << err_.str();
  EXPECT_EQ(slurp(root_ + "/etc/default/thinvisor"), config_text("console=com2,57600 panic=5", ""));

  // Uninstall removes exactly what install added (and the grub.cfg the fake update-grub wrote).
  ASSERT_EQ(uninstall(), kOk) << err_.str();
  fs::remove(root_ + "/boot/grub/grub.cfg");
  EXPECT_EQ(files(), before);
  EXPECT_FALSE(fs::exists(root_ + "/usr/local/lib/thinvisor"));
  EXPECT_EQ(commands_.back(), "fake-update-grub");
  size_t runs = commands_.size();
  ASSERT_EQ(uninstall(), kOk) << err_.str();  // again: nothing to do, no update-grub
  EXPECT_EQ(commands_.size(), runs);
  EXPECT_NE(out_.str().find("not installed"), std::string::npos) << out_.str();
}

TEST_F(FakeRoot, RefusesWithoutSvmAndWritesNothing) {
  put(root_ + "/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme vmx\n");
  std::vector<std::string> before = files();
  EXPECT_EQ(install(), kNoSvm);
  EXPECT_NE(err_.str().find("no AMD SVM"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("SVM Mode"), std::string::npos) << err_.str();
  EXPECT_EQ(files(), before);
  EXPECT_TRUE(commands_.empty());
  o_.force = true;
  EXPECT_EQ(install(), kOk) << err_.str();
  EXPECT_NE(out_.str().find("installing anyway (--force)"), std::string::npos) << out_.str();
}

TEST_F(FakeRoot, RefusesUsersOtherThanRootOnTheRealRoot) {
  o_.root = "/";
  o_.is_root_user = false;
  EXPECT_EQ(install(), kNotRoot);
  EXPECT_EQ(uninstall(), kNotRoot);
  EXPECT_NE(err_.str().find("must be root"), std::string::npos);
  EXPECT_TRUE(commands_.empty());
}

TEST_F(FakeRoot, TrialBootsTheNewestEntryOnce) {
  o_.trial = true;
  ASSERT_EQ(install(), kOk) << err_.str();
  EXPECT_EQ(commands_, (std::vector<std::string>{"fake-update-grub", "grub-reboot thinvisor-6.1.0-57-amd64"}));
  EXPECT_NE(out_.str().find("the next boot, and only that one"), std::string::npos) << out_.str();
  // No such entry in grub.cfg (update-grub did not make it): no one-shot.
  commands_.clear();
  grub_cfg_has_entries_ = false;
  put(root_ + "/boot/grub/grub.cfg", "menuentry 'Debian' {\n}\n");
  EXPECT_EQ(install(), kFailed);
  EXPECT_EQ(commands_, std::vector<std::string>{"fake-update-grub"});
  EXPECT_NE(err_.str().find("has no entry thinvisor-6.1.0-57-amd64"), std::string::npos) << err_.str();
}

TEST_F(FakeRoot, MissingVmmImageFails) {
  o_.vmm_image = dir_ + "/nothing.bin";
  EXPECT_EQ(install(), kFailed);
  EXPECT_NE(err_.str().find("cannot read"), std::string::npos);
  EXPECT_TRUE(commands_.empty());
}

// The installed /etc/grub.d script, run as grub-mkconfig runs it (with a
// stand-in grub-mkconfig_lib: grub-probe needs real disks), calls the
// installed generator, which prints the entries.
TEST_F(FakeRoot, TheGrubScriptPrintsTheEntries) {
  o_.generator = TV_TVINSTALL;
  o_.update_grub = false;
  o_.guest_append = "console=ttyS1";
  ASSERT_EQ(install(), kOk) << err_.str();
  put(dir_ + "/lib/grub-mkconfig_lib",
      "make_system_path_relative_to_its_root () { echo /boot; }\n"
      "prepare_grub_to_access_device () { echo \"insmod part_msdos\"; echo \"search --set=root for $1\"; }\n");
  const std::string env = "pkgdatadir='" + dir_ + "/lib' THINVISOR_ROOT='" + root_ +
                          "' GRUB_DEVICE=/dev/sda2 GRUB_DEVICE_BOOT=/dev/sda1 GRUB_DEVICE_UUID=no-such-uuid "
                          "GRUB_DISTRIBUTOR=Debian GRUB_CMDLINE_LINUX='a=\"b c\"' GRUB_CMDLINE_LINUX_DEFAULT=quiet ";
  int status = -1;
  std::string out = capture(env + "sh '" + root_ + "/etc/grub.d/42_thinvisor' 2>/dev/null", status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(std::count(out.begin(), out.end(), '{'), 2) << out;  // two kernels
  EXPECT_EQ(out.find("menuentry 'Debian GNU/Linux, with Linux 6.1.0-57-amd64 under thinvisor'"), 0u) << out;
  EXPECT_NE(out.find("\tinsmod part_msdos\n\tsearch --set=root for /dev/sda1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\tmultiboot2\t/boot/thinvisor.bin console=com1 panic=30 -- root=/dev/sda2 ro a=\"b c\" quiet "
                     "console=ttyS1\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\tmodule2\t--nounzip /boot/initrd.img-6.1.0-9-amd64\n"), std::string::npos) << out;
  EXPECT_EQ(grub_syntax_error(out), "");

  // Without the VMM image in /boot (removed by hand), no entries and no failure.
  fs::remove(root_ + "/boot/thinvisor.bin");
  std::string err = capture(env + "sh '" + root_ + "/etc/grub.d/42_thinvisor' 2>&1 >/dev/null", status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(err.find("thinvisor.bin: no thinvisor entries"), std::string::npos) << err;
  EXPECT_EQ(capture(env + "sh '" + root_ + "/etc/grub.d/42_thinvisor' 2>/dev/null", status), "");
}

}  // namespace
}  // namespace tv::install
