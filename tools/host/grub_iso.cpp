#include "grub_iso.hpp"

#include <cstdlib>
#include <fstream>

namespace tv::host {
namespace {

bool copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary);
  out << in.rdbuf();
  return (in.good() || in.eof()) && bool(out);
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::string grub_cfg_preamble(bool video) {
  return std::string(video ? "insmod all_video\n" : "") +
         "serial --unit=0 --speed=115200\nterminal_input serial\nterminal_output serial\nset timeout=0\n";
}

std::string build_grub_iso(const RunConfig& src, const std::string& iso, GrubLoader loader) {
  const std::string root = iso + ".root", boot = root + "/boot", grub = boot + "/grub";
  if (std::system(("rm -rf " + quote(root) + " && mkdir -p " + quote(grub)).c_str()) != 0) return "cannot make " + grub;
  const bool vmm = loader != GrubLoader::Linux;
  if ((vmm && !copy_file(src.vmm_image, boot + "/thinvisor.bin")) || !copy_file(src.kernel, boot + "/vmlinuz") ||
      !copy_file(src.initrd, boot + "/initrd"))
    return "cannot copy the VMM, kernel and initramfs into " + boot;
  std::string entry;
  if (vmm) {
    const bool mb2 = loader == GrubLoader::Multiboot2;
    const std::string module = mb2 ? "  module2 --nounzip " : "  module --nounzip ";
    entry = std::string("  ") + (mb2 ? "multiboot2" : "multiboot") + " /boot/thinvisor.bin " + src.vmm_options +
            " -- " + src.guest_cmdline + "\n" + module + "/boot/vmlinuz vmlinuz\n" + module + "/boot/initrd initrd\n";
    for (size_t i = 0; i < src.extra_modules.size(); ++i) {
      const std::string path = src.extra_modules[i].substr(0, src.extra_modules[i].find(' '));
      const std::string name = "/boot/extra" + std::to_string(i);
      if (!copy_file(path, root + name)) return "cannot copy " + path;
      entry += module + name + " extra\n";
    }
  } else {
    entry = "  linux /boot/vmlinuz " + src.guest_cmdline + "\n  initrd /boot/initrd\n";
  }
  std::ofstream cfg(grub + "/grub.cfg");
  cfg << grub_cfg_preamble(src.firmware == "uefi") << "menuentry \"thinvisor\" {\n" << entry << "}\n";
  cfg.close();
  if (!cfg) return "cannot write " + grub + "/grub.cfg";
  const std::string cmd = "grub-mkrescue -o " + quote(iso) + " " + quote(root) + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return "grub-mkrescue failed: " + cmd;
  return "";
}

RunConfig boot_from_iso(const RunConfig& src, const std::string& iso) {
  RunConfig c = src;
  c.cdrom = iso;
  return c;
}

}  // namespace tv::host
