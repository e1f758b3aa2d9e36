// tvinstall: installs thinvisor as a GRUB entry of the machine's own Debian
// (issue 14; docs/real-hardware.md). `./thinvisor install|uninstall` run it;
// /etc/grub.d/42_thinvisor runs its grub-entries command at every update-grub.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "grub_entries.hpp"
#include "installer.hpp"

namespace {

using namespace tv::install;

int usage(int status) {
  (status == 0 ? std::cout : std::cerr)
      << "usage: tvinstall install [--trial] [--vmm-options 'OPTS'] [--guest-append 'ARGS'] [--force]\n"
         "                         [--root DIR] [--vmm FILE] [--no-update-grub]\n"
         "       tvinstall uninstall [--root DIR] [--no-update-grub]\n"
         "       tvinstall grub-entries [--boot-dir DIR] [--boot-prefix PATH] [--prepare 'LINES']\n"
         "                              [--vmm-options 'OPTS'] [--guest-append 'ARGS'] [--dev-dir DIR]\n"
         "install: copies the VMM to /boot/thinvisor.bin, adds /etc/grub.d/42_thinvisor (one GRUB\n"
         "entry per kernel in /boot with an initrd) and /etc/default/thinvisor, runs update-grub;\n"
         "--trial then boots the newest entry once (grub-reboot). Refuses without SVM (status 4;\n"
         "--force installs anyway) and for users other than root (status 3). uninstall removes it.\n"
         "grub-entries: prints the entries (GRUB_DEVICE, GRUB_CMDLINE_LINUX, ... from the environment).\n";
  return status;
}

int run_command(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    execvp(args[0], args.data());
    std::cerr << "tvinstall: cannot run " << argv[0] << ": " << strerror(errno) << "\n";
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int grub_entries_main(int argc, char** argv) {
  std::string boot_dir = "/boot", dev_dir = "/dev";
  EntryOptions o;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return usage(kUsage);
    std::string v = argv[++i];
    if (a == "--boot-dir")
      boot_dir = v;
    else if (a == "--boot-prefix")
      o.boot_prefix = v;
    else if (a == "--prepare")
      o.prepare = v;
    else if (a == "--vmm-options")
      o.vmm_options = v;
    else if (a == "--guest-append")
      o.guest_append = v;
    else if (a == "--dev-dir")
      dev_dir = v;
    else
      return usage(kUsage);
  }
  // Like any /etc/grub.d script: what it finds goes to stderr, entries to stdout.
  if (access((boot_dir + "/" + kVmmImageName).c_str(), R_OK) != 0) {
    std::cerr << "tvinstall: no " << boot_dir << "/" << kVmmImageName << ": no thinvisor entries\n";
    return 0;
  }
  GrubSettings s = grub_settings_from([](const char* name) { return std::getenv(name); });
  o.root_device = linux_root_device(s, [&](const std::string& path) {
    return access((dev_dir + path.substr(std::strlen("/dev"))).c_str(), F_OK) == 0;
  });
  KernelScan scan = scan_boot_dir(boot_dir);
  for (const std::string& note : scan.notes) std::cerr << "tvinstall: " << note << "\n";
  for (const BootKernel& k : scan.kernels)
    std::cerr << "Found thinvisor entry: " << boot_dir << "/" << k.kernel << " with " << k.initrd << "\n";
  std::cout << grub_entries(scan.kernels, s, o);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(kUsage);
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help") return usage(0);
  if (cmd == "grub-entries") return grub_entries_main(argc, argv);
  if (cmd != "install" && cmd != "uninstall") return usage(kUsage);
  InstallOptions o;
  o.vmm_image = std::string(TV_BUILD_DIR) + "/vmm/thinvisor.bin";
  o.generator = "/proc/self/exe";
  o.is_root_user = geteuid() == 0;
  o.update_grub_command = default_update_grub_command();
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--trial" && cmd == "install")
      o.trial = true;
    else if (a == "--force" && cmd == "install")
      o.force = true;
    else if (a == "--no-update-grub")
      o.update_grub = false;
    else if (a == "--root" && (v = value()))
      o.root = v;
    else if (a == "--vmm" && cmd == "install" && (v = value()))
      o.vmm_image = v;
    else if (a == "--vmm-options" && cmd == "install" && (v = value()))
      o.vmm_options = v;
    else if (a == "--guest-append" && cmd == "install" && (v = value()))
      o.guest_append = v;
    else
      return usage(kUsage);
  }
  return cmd == "install" ? install(o, run_command, std::cout, std::cerr)
                          : uninstall(o, run_command, std::cout, std::cerr);
}
