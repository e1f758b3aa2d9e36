#include "qemu_session.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <utility>

namespace tv::host {

namespace {

constexpr const char* kReadyLine = "thinvisor-guest: ready";
constexpr const char* kBeginMarker = "__TV_BEGIN\n";
constexpr const char* kRcMarker = "__TV_RC=";
constexpr const char* kSettledMarker = "__TV_READY\n";
// One line each, so the marker is only printed once the settings are in
// effect. Beyond the initramfs's busybox sh the shell may be bash with
// readline and job control (a getty's login shell): line editing off
// (`command` keeps a shell without those options from exiting on the error),
// and no pagers, colours or terminal queries for tools such as systemctl.
constexpr const char* kInitramfsSetup = "stty -echo; PS1=''; PS2=''; echo '__TV_''READY'\n";
constexpr const char* kShellSetup =
    "stty -echo; command set +o emacs +o vi 2>/dev/null; unset PROMPT_COMMAND; PS1=''; PS2=''; "
    "export TERM=dumb PAGER=cat SYSTEMD_PAGER=cat SYSTEMD_COLORS=0; echo '__TV_''READY'\n";
constexpr const char* kLoginPrompt = "login: ";
constexpr const char* kPasswordPrompt = "Password:";
constexpr const char* kLoginIncorrect = "Login incorrect";
// Without progress this long while logging in or waiting for a prompt,
// Enter is pressed again (a shell prints a fresh prompt; boot messages may
// have buried the first).
constexpr std::chrono::seconds kPromptNudge{10};
// N_TTY_BUF_SIZE is 4096 per line in canonical mode; leave room for the wrapper.
constexpr size_t kMaxCommand = 3584;
constexpr std::chrono::milliseconds kPumpSlice{50};

bool is_valid_accel(const std::string& a) {
  return a == "auto" || a == "tcg" || a == "kvm";
}

std::string read_small_file(const char* path) {
  std::ifstream f(path);
  if (!f) return {};
  std::string s;
  std::getline(f, s);
  return s;
}

// write() without dying of SIGPIPE if QEMU already exited.
ssize_t write_nosigpipe(int fd, const char* buf, size_t n) {
  sigset_t pipe_set, old_set, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  ssize_t r = ::write(fd, buf, n);
  const int saved = errno;
  if (r < 0 && saved == EPIPE && !was_pending) {
    const struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  errno = saved;
  return r;
}

void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

// Reads what is available from a non-blocking fd. Returns false on EOF/error
// (the fd should then be closed).
bool read_available(int fd, std::string& out) {
  char buf[8192];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r > 0) {
      out.append(buf, size_t(r));
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;  // EOF or hard error
  }
}

std::string strip_cr(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c != '\r') out.push_back(c);
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// Pure helpers

bool is_shell_access_option(std::string_view opt) {
  return opt == "--ready" || opt == "--login" || opt == "--password" || opt == "--prompt";
}

namespace {

std::string regex_problem(std::string_view opt, const std::string& re) {
  try {
    std::regex r(re);
  } catch (const std::regex_error& e) {
    return std::string(opt) + ": bad regular expression '" + re + "': " + e.what();
  }
  return {};
}

bool matches(const std::string& re, std::string_view text) {
  return std::regex_search(text.begin(), text.end(), std::regex(re));
}

}  // namespace

std::string apply_shell_access_option(std::string_view opt, const std::string& value, ShellAccess& out) {
  if (opt == "--login") {
    if (value.empty() || value.find_first_of(" \t\n") != std::string::npos)
      return "--login needs a user name (no blanks), got '" + value + "'";
    out.login = value;
  } else if (opt == "--password") {
    if (value.find('\n') != std::string::npos) return "--password cannot contain a newline";
    out.password = value;
  } else if (opt == "--ready" || opt == "--prompt") {
    if (value.empty()) return std::string(opt) + " needs a regular expression";
    if (std::string e = regex_problem(opt, value); !e.empty()) return e;
    (opt == "--ready" ? out.ready : out.prompt) = value;
  } else {
    return "not a shell access option: " + std::string(opt);
  }
  return {};
}

std::string validate_shell_access(const ShellAccess& a) {
  if (!a.password.empty() && a.login.empty()) return "--password needs --login";
  if (a.is_default()) return a.prompt != kDefaultPrompt ? "--prompt needs --login or --ready" : "";
  if (a.prompt.empty()) return "--prompt needs a regular expression";
  for (const auto& [opt, re] : {std::pair{"--ready", a.ready}, std::pair{"--prompt", a.prompt}})
    if (!re.empty())
      if (std::string e = regex_problem(opt, re); !e.empty()) return e;
  return {};
}

ShellStage first_shell_stage(const ShellAccess& a) {
  if (a.is_default()) return ShellStage::kInitramfsReady;
  return !a.ready.empty() ? ShellStage::kReadyLine : ShellStage::kLogin;
}

std::string describe_shell_stage(ShellStage stage) {
  switch (stage) {
    case ShellStage::kInitramfsReady: return std::string("'") + kReadyLine + "'";
    case ShellStage::kReadyLine: return "a console line matching --ready";
    case ShellStage::kLogin: return std::string("the login prompt ('") + kLoginPrompt + "')";
    case ShellStage::kLoggingIn: return "a password prompt or a shell prompt after the login";
    case ShellStage::kPrompt: return "a shell prompt (--prompt)";
    case ShellStage::kSettling: return "the guest shell to settle";
    case ShellStage::kDone: break;
  }
  return "nothing";
}

DialogStep shell_dialog_step(const ShellAccess& a, ShellStage stage, std::string_view console) {
  DialogStep step{stage, 0, {}, {}};
  auto found = [&](std::string_view needle, ShellStage next, std::string send) {
    size_t pos = console.find(needle);
    if (pos == std::string_view::npos) return false;
    step = {next, pos + needle.size(), std::move(send), {}};
    return true;
  };
  // A shell waits for input: the output's last, unfinished line ends like a prompt.
  auto prompt_shown = [&] {
    size_t nl = console.rfind('\n');
    std::string_view last = nl == std::string_view::npos ? console : console.substr(nl + 1);
    return !last.empty() && matches(a.prompt, last);
  };
  switch (stage) {
    case ShellStage::kInitramfsReady: found(kReadyLine, ShellStage::kSettling, kInitramfsSetup); break;
    case ShellStage::kReadyLine: {
      // Complete lines only; those that do not match are consumed.
      const std::regex ready(a.ready);
      for (size_t at = 0, nl; (nl = console.find('\n', at)) != std::string_view::npos; at = nl + 1) {
        std::string_view line = console.substr(at, nl - at);
        if (std::regex_search(line.begin(), line.end(), ready)) {
          step = {a.login.empty() ? ShellStage::kPrompt : ShellStage::kLogin, nl + 1, "\n", {}};
          break;
        }
        step.consumed = nl + 1;
      }
      break;
    }
    case ShellStage::kLogin: found(kLoginPrompt, ShellStage::kLoggingIn, a.login + "\n"); break;
    case ShellStage::kLoggingIn:
    case ShellStage::kPrompt:
      if (console.find(kLoginIncorrect) != std::string_view::npos) {
        step.error = "the guest refused the login as '" + a.login + "' (" + kLoginIncorrect + ")";
      } else if (prompt_shown()) {
        step = {ShellStage::kSettling, console.size(), kShellSetup, {}};
      } else if (stage == ShellStage::kLoggingIn) {
        found(kPasswordPrompt, ShellStage::kPrompt, a.password + "\n");
      }
      break;
    case ShellStage::kSettling: found(kSettledMarker, ShellStage::kDone, ""); break;
    case ShellStage::kDone: break;
  }
  return step;
}

std::string escape_commas(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    out.push_back(c);
    if (c == ',') out.push_back(',');
  }
  return out;
}

bool host_has_nested_kvm() {
  struct stat st;
  if (::stat("/dev/kvm", &st) != 0) return false;
  std::string v = read_small_file("/sys/module/kvm_amd/parameters/nested");
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v == "1" || v == "Y" || v == "y";
}

std::string choose_accel(const std::string& requested, bool nested_kvm_usable) {
  if (requested == "tcg" || requested == "kvm") return requested;
  if (requested == "auto") return nested_kvm_usable ? "kvm" : "tcg";
  return {};
}

std::string choose_accel(const std::string& requested) {
  if (requested != "auto") return choose_accel(requested, false);
  return choose_accel(requested, host_has_nested_kvm());
}

unsigned default_smp(long online_cpus) {
  return online_cpus >= 2 ? 2 : 1;
}

bool is_valid_machine(std::string_view machine) {
  return machine == "q35" || machine == "pc";
}

bool is_valid_disk_interface(std::string_view interface) {
  return interface == "ide" || interface == "virtio";
}

std::string parse_disk_spec(std::string_view arg, DiskSpec& out) {
  // Split at single commas; ",," is a comma of the current part.
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < arg.size(); ++i) {
    if (arg[i] != ',') {
      parts.back().push_back(arg[i]);
    } else if (i + 1 < arg.size() && arg[i + 1] == ',') {
      parts.back().push_back(',');
      ++i;
    } else {
      parts.emplace_back();
    }
  }
  DiskSpec d;
  d.path = parts[0];
  if (d.path.empty()) return "--disk needs a file name (--disk FILE[,if=ide|virtio])";
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& o = parts[i];
    if (o.rfind("if=", 0) != 0)
      return "--disk " + std::string(arg) + ": unknown option '" + o +
             "' (only if=ide|virtio; a comma in the file name is written ',,')";
    d.interface = o.substr(3);
    if (!is_valid_disk_interface(d.interface))
      return "--disk " + std::string(arg) + ": if= must be ide or virtio (got '" + d.interface + "')";
  }
  out = d;
  return {};
}

namespace {

// IDE places (bus, unit) for disks, in order: q35's AHCI ports ide.0-ide.5
// (one unit each), pc's PIIX ide.0 and ide.1 (master and slave); without the
// one QEMU's -cdrom takes (q35 ide.2, pc ide.1 unit 0).
std::vector<std::pair<unsigned, unsigned>> ide_places(const RunConfig& cfg) {
  std::vector<std::pair<unsigned, unsigned>> p;
  const bool cd = !cfg.cdrom.empty();
  if (cfg.machine == "pc") {
    for (unsigned bus = 0; bus < 2; ++bus)
      for (unsigned unit = 0; unit < 2; ++unit)
        if (!(cd && bus == 1 && unit == 0)) p.emplace_back(bus, unit);
  } else {
    for (unsigned port = 0; port < 6; ++port)
      if (!(cd && port == 2)) p.emplace_back(port, 0);
  }
  return p;
}

}  // namespace

unsigned max_ide_disks(const RunConfig& cfg) {
  return unsigned(ide_places(cfg).size());
}

std::string check_disk_files(const RunConfig& cfg) {
  for (const auto& d : cfg.disks) {
    struct stat st;
    if (::stat(d.path.c_str(), &st) != 0) return "--disk " + d.path + ": " + strerror(errno);
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
      return "--disk " + d.path + ": not a regular file or block device";
    if (::access(d.path.c_str(), R_OK | W_OK) != 0)
      return "--disk " + d.path + ": " + strerror(errno) + " (QEMU opens it read-write)";
  }
  return {};
}

bool has_iommu(const RunConfig& cfg) {
  return cfg.machine == "q35" && cfg.iommu;
}

std::string validate_config(const RunConfig& cfg) {
  if (cfg.smp < 1 || cfg.smp > kMaxSmp)
    return "--smp must be 1 to " + std::to_string(kMaxSmp) + " (got " + std::to_string(cfg.smp) + ")";
  if (!is_valid_machine(cfg.machine)) return "--machine must be q35 or pc (got '" + cfg.machine + "')";
  if (!is_valid_accel(cfg.accel)) return "--accel must be tcg, kvm or auto (got '" + cfg.accel + "')";
  if (cfg.icount && cfg.accel == "kvm") return "--icount needs TCG; it cannot be combined with --accel kvm";
  if (cfg.mem_mib < 16) return "--mem must be at least 16 MiB";
  if (cfg.qemu.empty()) return "no QEMU binary given";
  if (std::string e = validate_shell_access(cfg.shell); !e.empty()) return e;
  unsigned ide_disks = 0;
  for (const auto& d : cfg.disks) {
    if (d.path.empty()) return "--disk needs a file name";
    if (!is_valid_disk_interface(d.interface))
      return "--disk " + d.path + ": if= must be ide or virtio (got '" + d.interface + "')";
    ide_disks += d.interface == "ide";
  }
  if (ide_disks > max_ide_disks(cfg))
    return "too many IDE disks (" + std::to_string(ide_disks) + "): --machine " + cfg.machine + " has room for " +
           std::to_string(max_ide_disks(cfg)) + (cfg.cdrom.empty() ? "" : " beside the cdrom") +
           "; use if=virtio for the others";
  if (cfg.firmware != "bios" && cfg.firmware != "uefi")
    return "--firmware must be bios or uefi (got '" + cfg.firmware + "')";
  if (!cfg.cdrom.empty()) return {};  // the ISO's boot loader finds the VMM and the guest
  if (cfg.firmware == "uefi" && !cfg.plain)
    return "--firmware uefi needs a boot loader ISO (OVMF cannot load the multiboot VMM image itself)";
  if (cfg.kernel.empty()) return "no guest kernel given";
  if (!cfg.plain && cfg.vmm_image.empty()) return "no VMM image given";
  // QEMU's multiboot loader splits each module at the first space (path, then
  // the module's command line), so module paths cannot contain spaces.
  const bool multiboot_modules = !cfg.plain || !cfg.extra_modules.empty();
  if (multiboot_modules) {
    if (!cfg.plain && cfg.kernel.find(' ') != std::string::npos)
      return "guest kernel path contains a space, which QEMU's multiboot module list cannot express: " + cfg.kernel;
    if (cfg.initrd.find(' ') != std::string::npos)
      return "initrd path contains a space, which QEMU's multiboot module list cannot express: " + cfg.initrd;
  }
  return {};
}

namespace {

void append_disks(const RunConfig& cfg, std::vector<std::string>& a) {
  const auto places = ide_places(cfg);
  size_t next_ide = 0;
  for (size_t i = 0; i < cfg.disks.size(); ++i) {
    const DiskSpec& d = cfg.disks[i];
    const std::string id = "disk" + std::to_string(i);
    // "./" keeps a relative name from being read as "protocol:..." or "json:...".
    const std::string file = !d.path.empty() && d.path.front() == '/' ? d.path : "./" + d.path;
    a.insert(a.end(), {"-drive", "file=" + escape_commas(file) + ",format=raw,if=none,id=" + id});
    if (d.interface == "virtio") {
      // Without VIRTIO_F_ACCESS_PLATFORM (iommu_platform) QEMU's virtio devices
      // DMA straight to memory, around the IOMMU; only a modern (virtio 1.0)
      // device may offer it.
      a.insert(a.end(), {"-device", "virtio-blk-pci,drive=" + id +
                                        (has_iommu(cfg) ? ",iommu_platform=on,disable-legacy=on" : "")});
    } else {
      const auto [bus, unit] = places.at(next_ide++);  // validate_config keeps within places
      std::string dev = "ide-hd,drive=" + id + ",bus=ide." + std::to_string(bus);
      if (cfg.machine == "pc") dev += ",unit=" + std::to_string(unit);
      a.insert(a.end(), {"-device", dev});
    }
  }
}

}  // namespace

std::vector<std::string> build_qemu_argv(const RunConfig& cfg) {
  std::string accel = cfg.icount && cfg.accel == "auto" ? "tcg" : choose_accel(cfg.accel);
  if (accel.empty()) accel = "tcg";

  std::vector<std::string> a;
  a.push_back(cfg.qemu);
  if (cfg.machine == "pc") {
    a.insert(a.end(), {"-machine", "pc,smm=off"});
  } else {
    a.insert(a.end(), {"-machine", "q35,smm=off"});
    // QEMU 7.2 offers AMD-Vi only on q35; the VMM finds it through ACPI IVRS.
    if (cfg.iommu) a.insert(a.end(), {"-device", "amd-iommu"});
  }
  if (accel == "kvm") {
    a.insert(a.end(), {"-cpu", "host", "-accel", "kvm"});
  } else {
    // MTTCG (a host thread per vCPU) whenever there is more than one; icount
    // needs QEMU's single-threaded round-robin TCG (it refuses thread=multi).
    const bool mttcg = cfg.smp > 1 && !cfg.icount;
    a.insert(a.end(), {"-cpu", "qemu64,+svm,+npt,+pdpe1gb", "-accel", mttcg ? "tcg,thread=multi" : "tcg"});
    if (cfg.icount) a.insert(a.end(), {"-icount", "shift=0,sleep=off"});
  }
  a.insert(a.end(), {"-m", std::to_string(cfg.mem_mib), "-smp", std::to_string(cfg.smp)});
  a.insert(a.end(), {"-display", "none", "-no-reboot", "-monitor", "none"});
  if (cfg.interactive) {
    // Console and a QEMU monitor multiplexed on the terminal (Ctrl-A c / Ctrl-A x);
    // signal=off passes Ctrl-C to the guest instead of killing QEMU.
    a.insert(a.end(), {"-chardev", "stdio,id=tvcon,mux=on,signal=off", "-serial", "chardev:tvcon", "-mon",
                       "chardev=tvcon,mode=readline"});
  } else {
    a.insert(a.end(), {"-serial", "stdio"});
  }
  if (!cfg.vmm_log_path.empty()) a.insert(a.end(), {"-debugcon", "file:" + cfg.vmm_log_path});
  if (cfg.debug_exit) a.insert(a.end(), {"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"});
  append_disks(cfg, a);

  if (cfg.firmware == "uefi") a.insert(a.end(), {"-bios", kOvmfImage});
  if (!cfg.cdrom.empty()) {
    a.insert(a.end(), {"-cdrom", cfg.cdrom, "-boot", "d"});
    a.insert(a.end(), cfg.extra_qemu_args.begin(), cfg.extra_qemu_args.end());
    return a;
  }
  std::vector<std::string> modules;
  if (cfg.plain) {
    a.insert(a.end(), {"-kernel", cfg.kernel});
    if (cfg.extra_modules.empty()) {
      // Linux boot protocol: -initrd is a single file name, taken literally.
      if (!cfg.initrd.empty()) a.insert(a.end(), {"-initrd", cfg.initrd});
    } else {
      // Plain multiboot guest: -initrd is the module list.
      if (!cfg.initrd.empty()) modules.push_back(cfg.initrd);
    }
  } else {
    a.insert(a.end(), {"-kernel", cfg.vmm_image});
    modules.push_back(cfg.kernel);
    if (!cfg.initrd.empty()) modules.push_back(cfg.initrd);
  }
  if (!modules.empty() || !cfg.extra_modules.empty()) {
    modules.insert(modules.end(), cfg.extra_modules.begin(), cfg.extra_modules.end());
    std::string list;
    for (size_t i = 0; i < modules.size(); ++i) {
      if (i) list += ',';
      list += escape_commas(modules[i]);
    }
    a.insert(a.end(), {"-initrd", list});
  }

  if (cfg.plain) {
    if (!cfg.guest_cmdline.empty()) a.insert(a.end(), {"-append", cfg.guest_cmdline});
  } else {
    std::string append = cfg.vmm_options.empty() ? "--" : cfg.vmm_options + " --";
    if (!cfg.guest_cmdline.empty()) append += " " + cfg.guest_cmdline;
    a.insert(a.end(), {"-append", append});
  }
  a.insert(a.end(), cfg.extra_qemu_args.begin(), cfg.extra_qemu_args.end());
  return a;
}

std::string describe_exit(int status) {
  char buf[160];
  if (status < 0) return "QEMU still running or exit status unknown";
  if (status >= 256) {
    const int sig = status - 256;
    const char* name = sigabbrev_np(sig);
    std::snprintf(buf, sizeof buf, "QEMU was killed by signal %d (SIG%s)", sig, name ? name : "?");
    return buf;
  }
  switch (status) {
    case 0: return "guest powered off (QEMU exited normally)";
    case 1:
      return "QEMU exited with status 1 (QEMU error, e.g. bad option or unloadable image; "
             "or debug-exit value 0)";
    case kExitGuestShutdown: return "thinvisor: guest triple fault / shutdown (debug-exit 0x10, QEMU status 33)";
    case kExitVmmPanic: return "thinvisor panic (debug-exit 0x11, QEMU status 35); see the VMM log";
    case kExitNoSvm: return "thinvisor: SVM not available on this (virtual) CPU (debug-exit 0x12, QEMU status 37)";
    case kExitGuestReservedCode:
      return "the guest asked to exit with a code thinvisor reserves (0x10-0x1F); QEMU status 63";
    case kExitGuestBootFailed:
      return "thinvisor: the guest image could not be loaded (debug-exit 0x13, QEMU status 39); see the VMM log";
    case kExitGuestReset:
      return "thinvisor: the guest reset the machine; the run ends there (debug-exit 0x14, QEMU status 41)";
    case kExitGuestStateRejected:
      return "thinvisor: the guest reached a CPU state VMRUN refuses (debug-exit 0x15, QEMU status 43); see the VMM "
             "log";
    default: break;
  }
  if (status & 1)
    std::snprintf(buf, sizeof buf, "QEMU exited with status %d (debug-exit value 0x%x)", status, unsigned(status) >> 1);
  else
    std::snprintf(buf, sizeof buf, "QEMU exited with status %d", status);
  return buf;
}

// ---------------------------------------------------------------------------
// GuestSession

GuestSession::~GuestSession() {
  kill();
  close_fds();
  if (log_is_temp_ && !log_path_.empty()) ::unlink(log_path_.c_str());
}

std::chrono::milliseconds GuestSession::left(Clock::time_point deadline) {
  auto d = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return d.count() < 0 ? std::chrono::milliseconds(0) : d;
}

void GuestSession::close_fds() {
  for (int* fd : {&in_fd_, &out_fd_, &err_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

bool GuestSession::start(const RunConfig& cfg) {
  error_.clear();
  if (pid_ > 0 || exit_status_ >= 0) {
    error_ = "GuestSession::start called twice";
    return false;
  }
  for (const std::string& e : {validate_config(cfg), check_disk_files(cfg)}) {
    if (!e.empty()) {
      error_ = e;
      return false;
    }
  }
  cfg_ = cfg;

  if (cfg_.vmm_log_path.empty() && !cfg_.plain) {
    const char* tmpdir = getenv("TMPDIR");
    std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/tvrun-vmm-XXXXXX.log";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    int fd = mkstemps(buf.data(), 4);
    if (fd < 0) {
      error_ = "cannot create temporary VMM log " + tmpl + ": " + strerror(errno);
      return false;
    }
    ::close(fd);
    cfg_.vmm_log_path = buf.data();
    log_is_temp_ = true;
  } else if (!cfg_.vmm_log_path.empty()) {
    // Start from an empty file so tailing never shows a previous run's log.
    int fd = ::open(cfg_.vmm_log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      error_ = "cannot create VMM log " + cfg_.vmm_log_path + ": " + strerror(errno);
      return false;
    }
    ::close(fd);
  }
  log_path_ = cfg_.vmm_log_path;
  log_offset_ = 0;

  argv_ = build_qemu_argv(cfg_);
  std::vector<char*> cargv;
  for (auto& s : argv_) cargv.push_back(s.data());
  cargv.push_back(nullptr);

  int in_p[2] = {-1, -1}, out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, exec_p[2] = {-1, -1};
  auto close_all = [&] {
    for (int* p : {in_p, out_p, err_p, exec_p})
      for (int i = 0; i < 2; ++i)
        if (p[i] >= 0) ::close(p[i]), p[i] = -1;
  };
  bool ok = pipe2(exec_p, O_CLOEXEC) == 0;
  if (ok && !cfg_.interactive)
    ok = pipe2(in_p, O_CLOEXEC) == 0 && pipe2(out_p, O_CLOEXEC) == 0 && pipe2(err_p, O_CLOEXEC) == 0;
  if (!ok) {
    error_ = std::string("pipe2: ") + strerror(errno);
    close_all();
    return false;
  }

  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    error_ = std::string("fork: ") + strerror(errno);
    close_all();
    return false;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    int ew = fcntl(exec_p[1], F_DUPFD_CLOEXEC, 10);
    if (!cfg_.interactive) {
      // Own process group so kill() also reaches anything QEMU (or a test's
      // fake) spawned; interactive QEMU must stay in the terminal's foreground group.
      setpgid(0, 0);
      if (dup2(in_p[0], 0) < 0 || dup2(out_p[1], 1) < 0 || dup2(err_p[1], 2) < 0) _exit(127);
    }
    if (ew >= 0 && ew != 3) {
      if (dup3(ew, 3, O_CLOEXEC) == 3) ew = 3;
    }
    if (ew == 3) close_range(4, ~0U, 0);
    execvp(cargv[0], cargv.data());
    int e = errno;
    if (ew >= 0) {
      ssize_t r = ::write(ew, &e, sizeof e);
      (void)r;
    }
    _exit(127);
  }

  // Parent.
  if (!cfg_.interactive) setpgid(pid, pid);  // also done by the child; whoever runs first wins
  ::close(exec_p[1]);
  exec_p[1] = -1;
  if (!cfg_.interactive) {
    ::close(in_p[0]);
    ::close(out_p[1]);
    ::close(err_p[1]);
    in_p[0] = out_p[1] = err_p[1] = -1;
  }
  int child_errno = 0;
  ssize_t r;
  do {
    r = ::read(exec_p[0], &child_errno, sizeof child_errno);
  } while (r < 0 && errno == EINTR);
  ::close(exec_p[0]);
  exec_p[0] = -1;
  pid_ = pid;
  in_fd_ = in_p[1];
  out_fd_ = out_p[0];
  err_fd_ = err_p[0];
  if (r == sizeof child_errno) {
    reap(true);
    close_fds();
    error_ = "cannot execute " + cfg_.qemu + ": " + strerror(child_errno);
    return false;
  }
  for (int fd : {in_fd_, out_fd_, err_fd_})
    if (fd >= 0) set_nonblock(fd);
  return true;
}

void GuestSession::reap(bool block) {
  if (pid_ <= 0) return;
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return;
  if (r < 0) {  // not our child any more (should not happen)
    pid_ = -1;
    exit_status_ = 255;
    return;
  }
  pid_ = -1;
  exit_status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 256 + WTERMSIG(st);
  // QEMU is gone: collect whatever it wrote last.
  std::string chunk;
  if (out_fd_ >= 0) {
    read_available(out_fd_, chunk);
    if (!chunk.empty()) {
      std::string clean = strip_cr(chunk);
      transcript_ += clean;
      if (console_cb_) console_cb_(clean);
    }
  }
  if (err_fd_ >= 0) read_available(err_fd_, stderr_text_);
  close_fds();
  drain_log(true);
}

void GuestSession::drain_log(bool final) {
  if (log_path_.empty()) return;
  if (vmm_log_cb_) {
    int fd = ::open(log_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      struct stat st;
      if (fstat(fd, &st) == 0) {
        if (st.st_size < log_offset_) log_offset_ = 0;  // truncated behind our back
        char buf[8192];
        while (log_offset_ < st.st_size) {
          ssize_t r = ::pread(fd, buf, sizeof buf, log_offset_);
          if (r <= 0) break;
          log_offset_ += r;
          log_partial_.append(buf, size_t(r));
        }
      }
      ::close(fd);
    }
    size_t start = 0, nl;
    while ((nl = log_partial_.find('\n', start)) != std::string::npos) {
      std::string_view line(log_partial_.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      vmm_log_cb_(line);
      start = nl + 1;
    }
    log_partial_.erase(0, start);
    if (final && !log_partial_.empty()) {
      vmm_log_cb_(log_partial_);
      log_partial_.clear();
    }
  }
}

void GuestSession::pump(std::chrono::milliseconds max_wait) {
  auto wait = std::min(max_wait, kPumpSlice);
  struct pollfd pfd[2];
  int n = 0;
  if (out_fd_ >= 0) pfd[n++] = {out_fd_, POLLIN, 0};
  if (err_fd_ >= 0) pfd[n++] = {err_fd_, POLLIN, 0};
  int pr = ::poll(n ? pfd : nullptr, nfds_t(n), int(wait.count()));
  if (pr > 0) {
    for (int i = 0; i < n; ++i) {
      if (!pfd[i].revents) continue;
      if (pfd[i].fd == out_fd_) {
        std::string chunk;
        bool open = read_available(out_fd_, chunk);
        if (!chunk.empty()) {
          std::string clean = strip_cr(chunk);
          transcript_ += clean;
          if (console_cb_) console_cb_(clean);
        }
        if (!open) {
          ::close(out_fd_);
          out_fd_ = -1;
        }
      } else {
        if (!read_available(err_fd_, stderr_text_)) {
          ::close(err_fd_);
          err_fd_ = -1;
        }
      }
    }
  }
  drain_log(false);
  reap(false);
}

bool GuestSession::wait_for(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t searched = cursor_;
  for (;;) {
    size_t from = std::max(cursor_, searched >= needle.size() ? searched - needle.size() + 1 : 0);
    size_t pos = transcript_.find(needle, from);
    if (pos != std::string::npos) {
      cursor_ = pos + needle.size();
      return true;
    }
    searched = transcript_.size();
    if (pid_ <= 0) return false;
    if (Clock::now() >= deadline) return false;
    pump(left(deadline));
  }
}

bool GuestSession::send(std::string_view bytes, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    if (in_fd_ < 0 || pid_ <= 0) {
      error_ = "QEMU is not running (or the session is interactive)";
      return false;
    }
    ssize_t w = write_nosigpipe(in_fd_, bytes.data(), bytes.size());
    if (w > 0) {
      bytes.remove_prefix(size_t(w));
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      error_ = std::string("writing to QEMU: ") + strerror(errno);
      return false;
    }
    if (Clock::now() >= deadline) {
      error_ = "timed out writing to the guest console";
      return false;
    }
    // Pipe full: keep draining QEMU's output (it may be blocked on it) and retry.
    struct pollfd pfd = {in_fd_, POLLOUT, 0};
    if (::poll(&pfd, 1, 0) == 0) pump(std::min(left(deadline), std::chrono::milliseconds(10)));
  }
  return true;
}

bool GuestSession::ensure_shell(Clock::time_point deadline) {
  if (shell_ready_) return true;
  ShellStage stage = first_shell_stage(cfg_.shell);
  auto progress = Clock::now();
  while (stage != ShellStage::kDone) {
    // The initramfs's ready line may already have been consumed by a caller's wait_for().
    const size_t from = stage == ShellStage::kInitramfsReady ? 0 : cursor_;
    DialogStep step = shell_dialog_step(cfg_.shell, stage, std::string_view(transcript_).substr(from));
    if (!step.error.empty()) {
      error_ = step.error;
      return false;
    }
    cursor_ = std::max(cursor_, from + step.consumed);
    if (step.next != stage) {
      if (!step.send.empty() && !send(step.send, left(deadline))) return false;
      stage = step.next;
      progress = Clock::now();
      continue;
    }
    // (While logging in, Enter is only pressed when it is the password anyway.)
    const bool waiting_for_shell =
        stage == ShellStage::kPrompt || (stage == ShellStage::kLoggingIn && cfg_.shell.password.empty());
    if (waiting_for_shell && Clock::now() - progress >= kPromptNudge) {
      if (!send("\n", left(deadline))) return false;
      progress = Clock::now();
    }
    if (pid_ <= 0) {
      error_ = "QEMU exited while waiting for " + describe_shell_stage(stage) + ": " + describe_exit(exit_status_);
      return false;
    }
    if (Clock::now() >= deadline) {
      error_ = "timed out waiting for " + describe_shell_stage(stage);
      return false;
    }
    pump(left(deadline));
  }
  shell_ready_ = true;
  return true;
}

bool GuestSession::wait_ready(std::chrono::milliseconds timeout) {
  return ensure_shell(Clock::now() + timeout);
}

ExecResult GuestSession::run(const std::string& cmd, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  ExecResult res;
  error_.clear();
  if (cmd.size() > kMaxCommand) {
    error_ = "command too long for the guest tty (" + std::to_string(cmd.size()) + " > " + std::to_string(kMaxCommand) +
             " bytes)";
    return res;
  }
  if (!ensure_shell(deadline)) {
    res.timed_out = pid_ > 0;
    return res;
  }
  // The newline before ')' keeps trailing comments and here-documents intact.
  // (Inside double quotes '' is literal, so `echo "__TV_''RC=$?"` would print
  // the quotes; "__TV_""RC" splits the marker the same way and prints __TV_RC.)
  const std::string line = "echo '__TV_''BEGIN'; ( " + cmd + "\n) ; echo \"__TV_\"\"RC=$?\"\n";
  if (!send(line, left(deadline))) {
    res.timed_out = pid_ > 0;
    return res;
  }
  if (!wait_for(kBeginMarker, left(deadline))) {
    res.timed_out = pid_ > 0;
    error_ =
        res.timed_out ? "timed out waiting for the command to start" : "QEMU exited: " + describe_exit(exit_status_);
    return res;
  }
  const size_t out_begin = cursor_;
  size_t search = out_begin;
  for (;;) {
    size_t pos = transcript_.find(kRcMarker, search);
    if (pos != std::string::npos) {
      size_t p = pos + strlen(kRcMarker), q = p;
      while (q < transcript_.size() && transcript_[q] >= '0' && transcript_[q] <= '9') ++q;
      if (q < transcript_.size()) {
        if (transcript_[q] == '\n' && q > p) {
          res.status = std::stoi(transcript_.substr(p, q - p));
          res.output = transcript_.substr(out_begin, pos - out_begin);
          cursor_ = q + 1;
          return res;
        }
        search = pos + 1;  // "__TV_RC=" in the command's own output; keep looking
        continue;
      }
      // Marker seen but its line is incomplete: wait for more.
    } else {
      search = std::max(
          search, transcript_.size() >= strlen(kRcMarker) ? transcript_.size() - strlen(kRcMarker) + 1 : size_t(0));
    }
    if (pid_ <= 0) {
      error_ = "QEMU exited during the command: " + describe_exit(exit_status_);
      res.output = transcript_.substr(out_begin);
      return res;
    }
    if (Clock::now() >= deadline) {
      error_ = "timed out waiting for the command to finish";
      res.timed_out = true;
      res.output = transcript_.substr(out_begin);
      return res;
    }
    pump(left(deadline));
  }
}

int GuestSession::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (pid_ > 0) {
    if (Clock::now() >= deadline) return -1;
    pump(left(deadline));
  }
  return exit_status_;
}

int GuestSession::poweroff(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return exit_status_;
  const auto deadline = Clock::now() + timeout;
  if (!cfg_.interactive) send("poweroff -f\n", left(deadline));
  int st = wait_exit(left(deadline));
  if (st < 0) {
    error_ = "guest did not power off in time; QEMU killed";
    kill();
    return -1;
  }
  return st;
}

void GuestSession::kill() {
  if (pid_ > 0) {
    if (!cfg_.interactive) ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  close_fds();
}

std::string GuestSession::transcript_tail(size_t n) const {
  // Start of the n-th line counted from the end (a trailing '\n' does not
  // start an empty last line).
  size_t end = transcript_.size();
  if (end && transcript_[end - 1] == '\n') --end;
  size_t pos = end;
  for (size_t lines = 0; lines < n && pos > 0; ++lines) {
    size_t nl = transcript_.rfind('\n', pos - 1);
    pos = nl == std::string::npos ? 0 : nl;
  }
  if (pos > 0 || (pos == 0 && !transcript_.empty() && transcript_[0] == '\n')) ++pos;
  return pos <= transcript_.size() ? transcript_.substr(pos) : std::string();
}

std::string GuestSession::vmm_log() const {
  if (log_path_.empty()) return {};
  std::ifstream f(log_path_, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Newest /boot/vmlinuz-* by version order, or "" (with `why`).
std::string default_guest_kernel(std::string& why) {
  DIR* d = opendir("/boot");
  if (!d) {
    why = std::string("cannot list /boot: ") + strerror(errno);
    return {};
  }
  std::string best;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind("vmlinuz-", 0) != 0) continue;
    if (best.empty() || strverscmp(name.c_str(), best.c_str()) > 0) best = name;
  }
  closedir(d);
  if (best.empty()) {
    why = "no /boot/vmlinuz-* found (install linux-image-amd64 or pass --kernel)";
    return {};
  }
  return "/boot/" + best;
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-+=/.,:@%") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool parse_unsigned(const std::string& s, unsigned& out) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  out = unsigned(std::stoul(s));
  return true;
}

}  // namespace tv::host
