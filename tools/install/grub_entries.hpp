// The GRUB side of `thinvisor install` (issue 14), hardware-free: which
// kernels /boot holds, the root= that GRUB's own 10_linux would give them, and
// the menu entries that boot each under thinvisor:
//
//   menuentry '... with Linux V under thinvisor' ... $menuentry_id_option 'thinvisor-V' {
//   	<what prepare_grub_to_access_device printed for /boot's device>
//   	multiboot2	<boot>/thinvisor.bin VMM OPTIONS -- root=... ro GRUB_CMDLINE_LINUX ...
//   	module2	--nounzip <boot>/vmlinuz-V
//   	module2	--nounzip <boot>/initrd.img-V
//   }
//
// /etc/grub.d/42_thinvisor (installer.hpp) runs `tvinstall grub-entries`,
// which prints this, every time update-grub runs.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tv::install {

inline constexpr const char* kVmmImageName = "thinvisor.bin";
// The VMM options an install writes by default: the VMM's log on COM1 (the
// guest then has no COM1), and a reset 30 s after a VMM panic, so that a
// one-shot trial boot that panics falls back to the default entry.
inline constexpr const char* kDefaultVmmOptions = "console=com1 panic=30";

// Orders two kernel file names ("vmlinuz-6.1.0-57-amd64") as 10_linux's
// version_find_latest does: the part after the first '-', with
// [._-](pre|rc|test|git|old|trunk) sorting before the release ("~"), by
// `sort -V` (dpkg's comparison: digit runs as numbers, '~' before anything,
// letters before other characters). <0, 0 or >0.
int compare_kernel_names(std::string_view a, std::string_view b);

struct BootKernel {
  std::string version;  // "6.1.0-57-amd64"
  std::string kernel;   // file names in the boot directory
  std::string initrd;
};
struct KernelScan {
  std::vector<BootKernel> kernels;  // newest first
  std::vector<std::string> notes;   // what was left out, and why
};
// The vmlinuz-* files of boot_dir that have an initrd (the names 10_linux
// looks for, initrd.img-V first), newest first. Backup and package-manager
// leftovers (*.dpkg-*, *.rpmsave, *.rpmnew, *.sig) and non-files are skipped
// as 10_linux skips them; kernels without an initrd are left out with a note
// (Debian's root=UUID= needs its initrd, and the VMM boots a Linux guest as
// module 0 with its initrd as module 1).
KernelScan scan_boot_dir(const std::string& boot_dir);

// What grub-mkconfig exports to /etc/grub.d scripts that the entries use.
struct GrubSettings {
  std::string device;                  // GRUB_DEVICE: the root filesystem's device
  std::string device_uuid;             // GRUB_DEVICE_UUID
  std::string device_partuuid;         // GRUB_DEVICE_PARTUUID
  bool disable_linux_uuid = false;     // GRUB_DISABLE_LINUX_UUID=true
  bool disable_linux_partuuid = true;  // GRUB_DISABLE_LINUX_PARTUUID (10_linux defaults it to true)
  std::string distributor;             // GRUB_DISTRIBUTOR ("Debian")
  std::string cmdline_linux;           // GRUB_CMDLINE_LINUX
  std::string cmdline_linux_default;   // GRUB_CMDLINE_LINUX_DEFAULT
};
// Reads them with `get` (getenv; null or "" for unset).
GrubSettings grub_settings_from(const std::function<const char*(const char*)>& get);

// root=... as 10_linux computes it: UUID=<uuid>, or PARTUUID=<partuuid> when
// GRUB_DISABLE_LINUX_UUID=true and GRUB_DISABLE_LINUX_PARTUUID=false, else the
// device itself (also when neither /dev/disk/by-uuid/<uuid> nor
// /dev/disk/by-partuuid/<partuuid> exists: `exists` is asked about those paths).
// Unlike 10_linux it does not switch LVM roots to the device (UUID= mounts
// them as well) and does not add btrfs's rootflags=subvol= or ZFS's ZFS=.
std::string linux_root_device(const GrubSettings& s, const std::function<bool(const std::string&)>& exists);

struct EntryOptions {
  std::string boot_prefix =
      "/boot";          // the boot directory as GRUB sees it (grub-mkrelpath): "/" if /boot is a partition
  std::string prepare;  // prepare_grub_to_access_device's lines for /boot's device ("" in an ISO)
  std::string vmm_options = kDefaultVmmOptions;
  std::string guest_append;  // after GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT
  std::string root_device;   // linux_root_device()
};

// The menu entry id of the thinvisor entry for a kernel version (what
// `grub-reboot` is given): "thinvisor-<version>".
std::string menu_entry_id(const std::string& version);
// s in GRUB's single quotes, as grub-mkconfig_lib's grub_quote does (' -> '\'').
std::string grub_quote(std::string_view s);
// A path as one grub.cfg word: as it is when it has only safe characters, else quoted.
std::string grub_word(std::string_view s);
// The guest command line of an entry: root=<dev> ro GRUB_CMDLINE_LINUX
// GRUB_CMDLINE_LINUX_DEFAULT guest_append, with empty parts left out. Like
// 10_linux it is written into grub.cfg as it is: the GRUB_CMDLINE_* values
// are in grub.cfg syntax already (quotes are GRUB's, which hands a word with
// a space to the kernel in double quotes; $name is a GRUB variable).
std::string guest_cmdline(const GrubSettings& s, const EntryOptions& o);
// The entries, one per kernel, newest first; "" if there are none.
std::string grub_entries(const std::vector<BootKernel>& kernels, const GrubSettings& s, const EntryOptions& o);

}  // namespace tv::install
