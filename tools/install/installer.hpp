// `thinvisor install` / `uninstall` (issue 14) over a root directory ("/" on
// the machine itself, a scratch directory in the tests). Install adds, below
// the root:
//   boot/thinvisor.bin                    the VMM image
//   usr/local/lib/thinvisor/tvinstall     this program (its grub-entries command)
//   etc/grub.d/42_thinvisor               a few lines of shell update-grub runs
//   etc/default/thinvisor                 the VMM options and guest additions
// then runs update-grub, and with `trial` grub-reboot thinvisor-<newest
// kernel>, a one-shot: the boot after that one is Debian's default entry
// again. Uninstall removes exactly these and runs update-grub.
#pragma once
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tv::install {

// Exit statuses of tvinstall install/uninstall.
inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;  // a file could not be written or removed, or a command failed
inline constexpr int kUsage = 2;
inline constexpr int kNotRoot = 3;  // install/uninstall on "/" by a user other than root
inline constexpr int kNoSvm = 4;    // /proc/cpuinfo has no svm flag (and no --force)

// Where the installed pieces live, relative to the root.
inline constexpr const char* kGrubScript = "etc/grub.d/42_thinvisor";
inline constexpr const char* kConfigFile = "etc/default/thinvisor";
inline constexpr const char* kLibDir = "usr/local/lib/thinvisor";
inline constexpr const char* kGenerator = "usr/local/lib/thinvisor/tvinstall";

// True if a /proc/cpuinfo text lists the svm flag (on some CPU's flags line).
bool cpuinfo_has_svm(const std::string& cpuinfo);

// /etc/grub.d/42_thinvisor. It calls the generator with /boot as GRUB sees it
// (grub-mkrelpath) and the commands that reach /boot's device
// (prepare_grub_to_access_device), from grub-mkconfig_lib as 10_linux does;
// THINVISOR_ROOT (unset on a real machine) puts /boot, the config and the
// generator below another directory for the tests.
std::string grub_script_text();
// /etc/default/thinvisor, shell-quoted (the script sources it).
std::string config_text(const std::string& vmm_options, const std::string& guest_append);

// Runs a command (argv[0] looked up on PATH); returns its exit status.
using CommandRunner = std::function<int(const std::vector<std::string>& argv)>;

struct InstallOptions {
  std::string root = "/";
  std::string vmm_image;                    // the built thinvisor.bin
  std::string generator;                    // the tvinstall to install (normally /proc/self/exe)
  std::optional<std::string> vmm_options;   // unset: keep the config's, or kDefaultVmmOptions
  std::optional<std::string> guest_append;  // unset: keep the config's, or ""
  bool force = false;                       // install without SVM (to try it in a VM)
  bool trial = false;                       // grub-reboot the newest thinvisor entry
  bool update_grub = true;
  bool is_root_user = true;                                        // geteuid() == 0
  std::vector<std::string> update_grub_command = {"update-grub"};  // see default_update_grub_command()
  std::vector<std::string> grub_reboot_command = {"grub-reboot"};  // the entry id is appended
};

// update-grub, or where there is none on PATH (grub2-common not installed)
// what it runs: grub-mkconfig -o /boot/grub/grub.cfg.
std::vector<std::string> default_update_grub_command();

int install(const InstallOptions& o, const CommandRunner& run, std::ostream& out, std::ostream& err);
int uninstall(const InstallOptions& o, const CommandRunner& run, std::ostream& out, std::ostream& err);

}  // namespace tv::install
