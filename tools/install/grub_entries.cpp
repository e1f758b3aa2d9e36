#include "grub_entries.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace tv::install {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// dpkg's character order: digits (handled apart) and the end 0, '~' before
// everything, letters, then the other characters.
int order(char c) {
  if (c == 0 || is_digit(c)) return 0;
  if (is_alpha(c)) return c;
  if (c == '~') return -1;
  return static_cast<unsigned char>(c) + 256;
}

// dpkg's verrevcmp, which GNU `sort -V` uses for names without a file suffix.
int verrevcmp(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  auto at = [](std::string_view s, size_t k) { return k < s.size() ? s[k] : '\0'; };
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      int ac = order(at(a, i)), bc = order(at(b, j));
      if (ac != bc) return ac - bc;
      ++i, ++j;
    }
    while (at(a, i) == '0') ++i;
    while (at(b, j) == '0') ++j;
    int first_diff = 0;
    while (is_digit(at(a, i)) && is_digit(at(b, j))) {
      if (first_diff == 0) first_diff = at(a, i) - at(b, j);
      ++i, ++j;
    }
    if (is_digit(at(a, i))) return 1;
    if (is_digit(at(b, j))) return -1;
    if (first_diff != 0) return first_diff;
  }
  return 0;
}

// version_test_gt's sed: s/[^-]*-//;s/[._-]\(pre\|rc\|test\|git\|old\|trunk\)/~\1/g
std::string version_key(std::string_view name) {
  size_t dash = name.find('-');
  std::string s(dash == std::string_view::npos ? name : name.substr(dash + 1));
  static const char* const kPre[] = {"pre", "rc", "test", "git", "old", "trunk"};
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.' || s[i] == '_' || s[i] == '-') {
      const char* hit = nullptr;
      for (const char* p : kPre)
        if (s.compare(i + 1, std::char_traits<char>::length(p), p) == 0) hit = p;
      if (hit) {
        out += '~';
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// 10_linux: version=`echo $basename | sed -e "s,^[^0-9]*-,,g"`
std::string kernel_version(const std::string& name) {
  size_t digit = name.find_first_of("0123456789");
  size_t dash = name.rfind('-', digit == std::string::npos ? std::string::npos : digit);
  return dash == std::string::npos ? name : name.substr(dash + 1);
}

// grub_file_is_not_garbage, for the name part.
bool is_garbage(const std::string& name) {
  auto ends_with = [&](std::string_view s) { return name.size() >= s.size() && name.ends_with(s); };
  return name.find(".dpkg-") != std::string::npos || ends_with(".rpmsave") || ends_with(".rpmnew") ||
         ends_with(".sig") || name.rfind("README", 0) == 0;
}

bool is_file(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string join_words(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) {
    while (!p.empty() && (p.front() == ' ' || p.front() == '\t')) p.remove_prefix(1);
    while (!p.empty() && (p.back() == ' ' || p.back() == '\t')) p.remove_suffix(1);
    if (p.empty()) continue;
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

std::string os_name(const std::string& distributor) {
  if (distributor.empty()) return "GNU/Linux";
  if (distributor == "Ubuntu" || distributor == "Kubuntu") return distributor;
  return distributor + " GNU/Linux";
}

// 10_linux's --class of the distributor: its first word, lower case, other
// characters as '_'.
std::string distributor_class(const std::string& distributor) {
  std::string first = distributor.substr(0, distributor.find(' '));
  for (char& c : first) c = std::isalnum(static_cast<unsigned char>(c)) ? char(std::tolower(c)) : '_';
  return first;
}

std::string boot_path(const std::string& prefix, const std::string& name) {
  std::string p = prefix.empty() || prefix.back() != '/' ? prefix + "/" : prefix;
  return grub_word(p + name);
}

}  // namespace

int compare_kernel_names(std::string_view a, std::string_view b) {
  return verrevcmp(version_key(a), version_key(b));
}

KernelScan scan_boot_dir(const std::string& boot_dir) {
  KernelScan scan;
  std::vector<std::string> names;
  if (DIR* d = opendir(boot_dir.c_str())) {
    while (struct dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.rfind("vmlinuz-", 0) == 0 && !is_garbage(name) && is_file(boot_dir + "/" + name)) names.push_back(name);
    }
    closedir(d);
  } else {
    scan.notes.push_back("cannot list " + boot_dir);
  }
  // Newest first; equal versions by name, so that the order never depends on readdir.
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    int c = compare_kernel_names(a, b);
    return c != 0 ? c > 0 : a < b;
  });
  for (const std::string& name : names) {
    BootKernel k{kernel_version(name), name, ""};
    std::string alt = k.version.ends_with(".old") ? k.version.substr(0, k.version.size() - 4) : k.version;
    for (const std::string& cand :
         {"initrd.img-" + k.version, "initrd-" + k.version + ".img", "initrd-" + k.version + ".gz",
          "initrd-" + k.version, "initramfs-" + k.version + ".img", "initrd.img-" + alt, "initrd-" + alt + ".img",
          "initrd-" + alt, "initramfs-" + alt + ".img"}) {
      if (is_file(boot_dir + "/" + cand)) {
        k.initrd = cand;
        break;
      }
    }
    if (k.initrd.empty())
      scan.notes.push_back("no thinvisor entry for " + name + ": it has no initrd");
    else
      scan.kernels.push_back(k);
  }
  return scan;
}

GrubSettings grub_settings_from(const std::function<const char*(const char*)>& get) {
  auto str = [&](const char* name) {
    const char* v = get(name);
    return std::string(v ? v : "");
  };
  GrubSettings s;
  s.device = str("GRUB_DEVICE");
  s.device_uuid = str("GRUB_DEVICE_UUID");
  s.device_partuuid = str("GRUB_DEVICE_PARTUUID");
  s.disable_linux_uuid = str("GRUB_DISABLE_LINUX_UUID") == "true";
  const char* partuuid = get("GRUB_DISABLE_LINUX_PARTUUID");  // ${GRUB_DISABLE_LINUX_PARTUUID-true}
  s.disable_linux_partuuid = partuuid == nullptr || std::string(partuuid) == "true";
  s.distributor = str("GRUB_DISTRIBUTOR");
  s.cmdline_linux = str("GRUB_CMDLINE_LINUX");
  s.cmdline_linux_default = str("GRUB_CMDLINE_LINUX_DEFAULT");
  return s;
}

std::string linux_root_device(const GrubSettings& s, const std::function<bool(const std::string&)>& exists) {
  auto there = [&](const std::string& dir, const std::string& id) { return !id.empty() && exists(dir + id); };
  if ((s.device_uuid.empty() && s.device_partuuid.empty()) || (s.disable_linux_uuid && s.disable_linux_partuuid) ||
      (!there("/dev/disk/by-uuid/", s.device_uuid) && !there("/dev/disk/by-partuuid/", s.device_partuuid)))
    return s.device;
  if (s.device_uuid.empty() || s.disable_linux_uuid) return "PARTUUID=" + s.device_partuuid;
  return "UUID=" + s.device_uuid;
}

std::string menu_entry_id(const std::string& version) {
  return "thinvisor-" + version;
}

std::string grub_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string grub_word(std::string_view s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-+=/.,:@%~") == std::string_view::npos)
    return std::string(s);
  return grub_quote(s);
}

std::string guest_cmdline(const GrubSettings& s, const EntryOptions& o) {
  return join_words({"root=" + o.root_device, "ro", s.cmdline_linux, s.cmdline_linux_default, o.guest_append});
}

std::string grub_entries(const std::vector<BootKernel>& kernels, const GrubSettings& s, const EntryOptions& o) {
  std::ostringstream out;
  std::string classes = "--class thinvisor ";
  if (!s.distributor.empty()) classes += "--class " + distributor_class(s.distributor) + " ";
  classes += "--class gnu-linux --class gnu --class os";
  std::string prepare;
  std::istringstream lines(o.prepare);
  for (std::string line; std::getline(lines, line);)
    if (line.find_first_not_of(" \t") != std::string::npos) prepare += "\t" + line + "\n";
  const std::string vmm = boot_path(o.boot_prefix, kVmmImageName);
  const std::string options = join_words({o.vmm_options});
  const std::string cmdline = guest_cmdline(s, o);
  for (const BootKernel& k : kernels) {
    out << "menuentry " << grub_quote(os_name(s.distributor) + ", with Linux " + k.version + " under thinvisor") << ' '
        << classes << " $menuentry_id_option " << grub_quote(menu_entry_id(k.version))
        << " {\n"
        // A video driver: GRUB's UEFI build hands over the GOP framebuffer
        // (multiboot2 framebuffer tag, then the guest's efifb) only with one
        // loaded. Debian's grub.cfg defines load_video for this; all_video
        // works in a grub.cfg of any origin.
        << "\tinsmod all_video\n"
        << prepare << "\techo\t" << grub_quote("Loading thinvisor and Linux " + k.version + " ...") << "\n"
        << "\tmultiboot2\t" << vmm << (options.empty() ? "" : " ") << options << " -- " << cmdline << "\n"
        << "\tmodule2\t--nounzip " << boot_path(o.boot_prefix, k.kernel) << "\n"
        << "\tmodule2\t--nounzip " << boot_path(o.boot_prefix, k.initrd) << "\n"
        << "}\n";
  }
  return out.str();
}

}  // namespace tv::install
