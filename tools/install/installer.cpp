#include "installer.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "grub_entries.hpp"
#include "qemu_session.hpp"  // shell_quote

namespace tv::install {
namespace fs = std::filesystem;
namespace {

std::string under(const std::string& root, const std::string& rel) {
  return root.empty() || root.back() != '/' ? root + "/" + rel : root + rel;
}

bool read_whole(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return !in.bad();
}

// Writes `data` to `path` through a temporary file and a rename, so that
// update-grub never runs a half-written script and a crash leaves the old file.
bool write_file(const std::string& path, const std::string& data, mode_t mode, std::ostream& err) {
  const std::string tmp = path + ".tvinstall-new";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << data;
    out.close();
    if (!out) {
      err << "tvinstall: cannot write " << tmp << ": " << strerror(errno) << "\n";
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (chmod(tmp.c_str(), mode) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
    err << "tvinstall: cannot put " << path << " in place: " << strerror(errno) << "\n";
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

bool copy_to(const std::string& from, const std::string& to, mode_t mode, std::ostream& out, std::ostream& err) {
  std::string data;
  if (!read_whole(from, data)) {
    err << "tvinstall: cannot read " << from << ": " << strerror(errno) << "\n";
    return false;
  }
  if (!write_file(to, data, mode, err)) return false;
  out << "tvinstall: " << to << " (from " << from << ")\n";
  return true;
}

int run_checked(const CommandRunner& run, const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  std::string line;
  for (const std::string& a : argv) line += (line.empty() ? "" : " ") + host::shell_quote(a);
  out << "tvinstall: running " << line << "\n";
  out.flush();
  int status = run(argv);
  if (status != 0) err << "tvinstall: " << line << " failed (status " << status << ")\n";
  return status;
}

// False (with the refusal printed) if a user other than root asks to change "/".
bool may_change(const InstallOptions& o, std::ostream& err) {
  if (fs::weakly_canonical(o.root) == "/" && !o.is_root_user) {
    err << "tvinstall: must be root to change /boot and /etc/grub.d (run it with sudo, or --root DIR for a scratch "
           "root)\n";
    return false;
  }
  return true;
}

}  // namespace

bool cpuinfo_has_svm(const std::string& cpuinfo) {
  std::istringstream in(cpuinfo);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::istringstream words(line.substr(colon + 1));
    for (std::string w; words >> w;)
      if (w == "svm") return true;
  }
  return false;
}

std::string grub_script_text() {
  return std::string(
             "#!/bin/sh\n"
             "# thinvisor: one GRUB entry per installed kernel that boots it under the\n"
             "# thinvisor VMM (docs/real-hardware.md). Written by `thinvisor install`,\n"
             "# removed by `thinvisor uninstall`; settings in /etc/default/thinvisor\n"
             "# (run update-grub after changing them).\n"
             "set -e\n"
             ". \"$pkgdatadir/grub-mkconfig_lib\"\n"
             "tv_root=\"${THINVISOR_ROOT-}\"\n"
             "[ ! -r \"$tv_root/") +
         kConfigFile + "\" ] || . \"$tv_root/" + kConfigFile +
         "\"\n"
         "[ -x \"$tv_root/" +
         kGenerator + "\" ] || exit 0\n" + "exec \"$tv_root/" + kGenerator +
         "\" grub-entries --boot-dir \"$tv_root/boot\" \\\n"
         "  --boot-prefix \"$(make_system_path_relative_to_its_root \"$tv_root/boot\")\" \\\n"
         "  --prepare \"$(prepare_grub_to_access_device ${GRUB_DEVICE_BOOT})\" \\\n"
         "  --vmm-options \"${THINVISOR_VMM_OPTIONS-" +
         kDefaultVmmOptions +
         "}\" \\\n"
         "  --guest-append \"${THINVISOR_GUEST_APPEND-}\"\n";
}

std::string config_text(const std::string& vmm_options, const std::string& guest_append) {
  return "# thinvisor's GRUB entries (/etc/grub.d/42_thinvisor reads this file;\n"
         "# run update-grub after changing it). docs/real-hardware.md.\n"
         "#\n"
         "# The VMM's options, before the \" -- \" of each entry (docs/running.md,\n"
         "# \"The VMM command line\"): console=com1|com2|0xPORT[,BAUD] takes that UART\n"
         "# for the VMM's log (the guest then has no such port); panic=SECONDS resets\n"
         "# the machine that long after a VMM panic.\n"
         "THINVISOR_VMM_OPTIONS=" +
         host::shell_quote(vmm_options) +
         "\n"
         "# Added to each guest command line, after GRUB_CMDLINE_LINUX and\n"
         "# GRUB_CMDLINE_LINUX_DEFAULT (grub.cfg syntax, as those are).\n"
         "THINVISOR_GUEST_APPEND=" +
         host::shell_quote(guest_append) + "\n";
}

std::vector<std::string> default_update_grub_command() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && access((dir + "/update-grub").c_str(), X_OK) == 0) return {"update-grub"};
  return {"grub-mkconfig", "-o", "/boot/grub/grub.cfg"};
}

int install(const InstallOptions& o, const CommandRunner& run, std::ostream& out, std::ostream& err) {
  if (!may_change(o, err)) return kNotRoot;
  std::string cpuinfo;
  const std::string cpuinfo_path = under(o.root, "proc/cpuinfo");
  bool svm = read_whole(cpuinfo_path, cpuinfo) && cpuinfo_has_svm(cpuinfo);
  if (!svm && !o.force) {
    err << "tvinstall: this CPU has no AMD SVM (" << cpuinfo_path << " lists no svm flag), which thinvisor needs.\n"
        << "tvinstall: on an AMD CPU, enable \"SVM Mode\" (AMD-V) in the firmware setup and boot again "
           "(docs/real-hardware.md); --force installs anyway (the entries would then fail to start the VMM).\n";
    return kNoSvm;
  }
  if (!svm) out << "tvinstall: no svm flag in " << cpuinfo_path << "; installing anyway (--force)\n";

  const std::string boot = under(o.root, "boot");
  std::error_code ec;
  for (const std::string& dir :
       {boot, under(o.root, "etc/grub.d"), under(o.root, "etc/default"), under(o.root, kLibDir)}) {
    fs::create_directories(dir, ec);
    if (ec) {
      err << "tvinstall: cannot make " << dir << ": " << ec.message() << "\n";
      return kFailed;
    }
  }
  if (!copy_to(o.vmm_image, boot + "/" + kVmmImageName, 0644, out, err) ||
      !copy_to(o.generator, under(o.root, kGenerator), 0755, out, err) ||
      !write_file(under(o.root, kGrubScript), grub_script_text(), 0755, err))
    return kFailed;
  out << "tvinstall: " << under(o.root, kGrubScript) << "\n";

  const std::string config = under(o.root, kConfigFile);
  if (o.vmm_options || o.guest_append || !fs::exists(config)) {
    if (!write_file(config, config_text(o.vmm_options.value_or(kDefaultVmmOptions), o.guest_append.value_or("")), 0644,
                    err))
      return kFailed;
    out << "tvinstall: " << config << " (VMM options: " << o.vmm_options.value_or(kDefaultVmmOptions) << ")\n";
  } else {
    out << "tvinstall: keeping " << config << " (--vmm-options or --guest-append rewrite it)\n";
  }

  KernelScan scan = scan_boot_dir(boot);
  for (const std::string& note : scan.notes) out << "tvinstall: " << note << "\n";
  if (scan.kernels.empty())
    out << "tvinstall: no kernel in " << boot << " has an initrd: GRUB gets no thinvisor entry\n";
  for (const BootKernel& k : scan.kernels)
    out << "tvinstall: GRUB entry " << menu_entry_id(k.version) << ": thinvisor, then " << k.kernel << " with "
        << k.initrd << "\n";

  if (o.update_grub && run_checked(run, o.update_grub_command, out, err) != 0) return kFailed;
  if (!o.trial) {
    if (!scan.kernels.empty())
      out << "tvinstall: installed. Pick \"... under thinvisor\" in the GRUB menu, or boot it once with "
             "--trial (grub-reboot "
          << menu_entry_id(scan.kernels.front().version) << ")\n";
    return kOk;
  }

  if (scan.kernels.empty()) {
    err << "tvinstall: --trial: there is no thinvisor entry to boot\n";
    return kFailed;
  }
  const std::string id = menu_entry_id(scan.kernels.front().version);
  std::string cfg;
  const std::string cfg_path = boot + "/grub/grub.cfg";
  if (!read_whole(cfg_path, cfg) || cfg.find(grub_quote(id)) == std::string::npos) {
    err << "tvinstall: --trial: " << cfg_path << " has no entry " << id
        << " (did update-grub run?); not setting a one-shot boot\n";
    return kFailed;
  }
  std::vector<std::string> reboot = o.grub_reboot_command;
  reboot.push_back(id);
  if (run_checked(run, reboot, out, err) != 0) return kFailed;
  out << "tvinstall: the next boot, and only that one, starts " << id
      << "; the one after is GRUB's default entry again (grub-reboot sets next_entry in /boot/grub/grubenv, "
         "which GRUB clears as it boots it). Reboot to try it.\n";
  return kOk;
}

int uninstall(const InstallOptions& o, const CommandRunner& run, std::ostream& out, std::ostream& err) {
  if (!may_change(o, err)) return kNotRoot;
  bool removed = false, failed = false;
  for (const std::string& rel : {std::string(kGrubScript), std::string(kConfigFile), std::string(kGenerator),
                                 std::string("boot/") + kVmmImageName}) {
    const std::string path = under(o.root, rel);
    if (std::remove(path.c_str()) == 0) {
      out << "tvinstall: removed " << path << "\n";
      removed = true;
    } else if (errno != ENOENT) {
      err << "tvinstall: cannot remove " << path << ": " << strerror(errno) << "\n";
      failed = true;
    }
  }
  rmdir(under(o.root, kLibDir).c_str());  // only if empty: it was ours
  if (!removed && !failed) out << "tvinstall: thinvisor is not installed below " << o.root << "\n";
  if (o.update_grub && (removed || failed) && run_checked(run, o.update_grub_command, out, err) != 0) return kFailed;
  return failed ? kFailed : kOk;
}

}  // namespace tv::install
