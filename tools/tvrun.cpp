// tvrun: boot thinvisor (or, with --plain, the guest kernel alone) under QEMU.
//
//   tvrun [options]                 interactive: the guest console is this terminal
//   tvrun [options] --exec 'CMD'    boot, run CMD in the guest, print its output,
//                                   power off, exit with CMD's status
//
// See usage() for the options and exit statuses.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "qemu_session.hpp"

#ifndef TV_BUILD_DIR
#define TV_BUILD_DIR "."
#endif

namespace {

using tv::host::default_guest_kernel;
using tv::host::describe_exit;
using tv::host::GuestSession;
using tv::host::parse_unsigned;
using tv::host::RunConfig;
using tv::host::shell_quote;

constexpr int kExitUsage = 2;
constexpr int kExitTimeout = 124;
constexpr int kExitQemu = 125;
constexpr const char* kDefaultGuestCmdline = "console=ttyS0 panic=-1";
constexpr unsigned kDefaultExecTimeoutS = 300;
constexpr auto kPoweroffTimeout = std::chrono::seconds(60);
constexpr size_t kTailLines = 40;

// --smp's default on this host (RunConfig's own default is 1).
unsigned host_default_smp() {
  return tv::host::default_smp(sysconf(_SC_NPROCESSORS_ONLN));
}

void usage(FILE* f) {
  std::fprintf(f,
               R"(usage: tvrun [options] [--exec 'CMD']

Boots thinvisor (vmm/thinvisor.bin, a multiboot image) under QEMU with the guest
kernel and initramfs as multiboot modules, or with --plain the guest kernel alone.

Options:
  --vmm FILE          VMM image (default: %s/vmm/thinvisor.bin)
  --kernel FILE       guest kernel (default: newest /boot/vmlinuz-*)
  --initrd FILE       guest initramfs (default: %s/guest/initramfs.cpio.gz)
  --module 'FILE [ARGS]'
                      extra multiboot module (repeatable); with the default
                      kernel, <build>/guest/kernel-profile.txt comes first
                      (the agentless module-load detector's profile)
  --append 'ARGS'     appended to the guest command line (default: "%s")
  --vmm-options 'OPTS'
                      VMM options (before "--" in the multiboot command line)
  --mem MIB           guest RAM in MiB (default 1024)
  --smp N             CPUs, 1 to %u, each a vCPU of thinvisor (default: 2 when
                      this host has two or more CPUs online, else 1; here %u);
                      TCG runs one host thread per vCPU unless --icount
  --machine q35|pc    the emulated machine (default q35: ICH9, AHCI, PCIe and an
                      AMD IOMMU, which thinvisor owns for DMA protection; pc:
                      i440FX/PIIX, no IOMMU, devices can DMA into the VMM)
  --disk FILE[,if=ide|virtio]
                      a raw disk image for the guest (repeatable). ide (default):
                      the next free AHCI port on q35 (-cdrom keeps ide.2), PIIX
                      IDE on pc; virtio: virtio-blk-pci, on q35 with
                      iommu_platform=on so its DMA goes through the IOMMU.
                      A comma in FILE is written ",,"
  --cdrom ISO         boot ISO through the firmware (e.g. a GRUB ISO whose entry
                      loads thinvisor.bin with multiboot or multiboot2 and the
                      guest as modules; docs/running.md): no -kernel/-initrd
  --firmware bios|uefi
                      SeaBIOS (default) or OVMF (UEFI; with a boot loader ISO,
                      e.g. a GRUB built by grub-mkrescue: OVMF cannot load the
                      multiboot VMM image itself)
  --accel tcg|kvm|auto
                      accelerator (default auto: KVM only with nested SVM)
  --icount            deterministic TCG (-icount shift=0,sleep=off)
  --plain             boot the guest kernel directly, without thinvisor
  --vmm-log FILE      write the VMM log (port 0xE9) to FILE; by default it goes to
                      a temporary file echoed to stderr as "[thinvisor] ..." lines
  --exec 'CMD'        run CMD in the guest shell, print its output, power off and
                      exit with CMD's status. By default the guest is the
                      project's initramfs ("thinvisor-guest: ready"); for any
                      other guest with a shell on ttyS0 say how to reach it:
  --ready 'REGEX'     a console line matching REGEX means the guest is up; then
                      Enter is pressed (and, without --login, a prompt awaited)
  --login USER        answer the console's "login: " with USER, and a
                      "Password:" with --password (default: an empty line)
  --password PW       the password for --login (it shows in ps: test guests only)
  --prompt 'REGEX'    how the end of the console output looks when the shell
                      waits for input (default '%s'); then the shell
                      gets no echo, prompt or line editing, and TERM=dumb
  --timeout SECONDS   give up after SECONDS (default %u with --exec, none otherwise)
  --qemu FILE         QEMU binary (default qemu-system-x86_64)
  --qemu-arg ARG      extra QEMU argument (repeatable), e.g. --qemu-arg=-s
  --print-cmd         print the QEMU command line and exit
  --help              this text

Interactive mode: Ctrl-C goes to the guest; Ctrl-A x quits QEMU, Ctrl-A c toggles
the QEMU monitor. Power the guest off with "poweroff -f".

Exit status: CMD's status with --exec, QEMU's otherwise (0 = guest powered off);
2 bad arguments; 124 timeout; 125 QEMU failed or exited early.
)",
               TV_BUILD_DIR, TV_BUILD_DIR, kDefaultGuestCmdline, tv::host::kMaxSmp, host_default_smp(),
               tv::host::kDefaultPrompt, kDefaultExecTimeoutS);
}

// --- cleanup on signals (async-signal-safe state only) ----------------------
volatile sig_atomic_t g_qemu_pid = 0;
char g_temp_log[4096];
bool g_have_termios = false;
struct termios g_saved_termios;

void restore_terminal() {
  if (g_have_termios) tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
}

void on_fatal_signal(int sig) {
  if (g_qemu_pid > 0) {
    ::kill(-pid_t(g_qemu_pid), SIGKILL);  // its process group (--exec mode)
    ::kill(pid_t(g_qemu_pid), SIGKILL);
  }
  restore_terminal();
  if (g_temp_log[0]) ::unlink(g_temp_log);
  _exit(128 + sig);
}

void install_signal_handlers() {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &sa, nullptr);
}

void track_session(const GuestSession& s, bool temp_log) {
  g_qemu_pid = s.pid();
  g_temp_log[0] = '\0';
  if (temp_log && s.vmm_log_path().size() < sizeof g_temp_log)
    memcpy(g_temp_log, s.vmm_log_path().c_str(), s.vmm_log_path().size() + 1);
}

void untrack_session() {
  g_qemu_pid = 0;
  g_temp_log[0] = '\0';
}

// --- helpers ------------------------------------------------------------------

int fail_usage(const std::string& msg) {
  std::fprintf(stderr, "tvrun: %s\n(see tvrun --help)\n", msg.c_str());
  return kExitUsage;
}

// "" if `path` is a readable regular file, else the reason.
std::string check_readable(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return strerror(errno);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return strerror(errno);
  ::close(fd);
  return {};
}

void print_vmm_line(std::string_view line) {
  // The VMM tags its own lines "thinvisor: "; the [thinvisor] mark says it already.
  constexpr std::string_view kTag = "thinvisor: ";
  if (line.substr(0, kTag.size()) == kTag) line.remove_prefix(kTag.size());
  std::fprintf(stderr, "[thinvisor] %.*s\n", int(line.size()), line.data());
  std::fflush(stderr);
}

void report_failure(GuestSession& s, const RunConfig& cfg, const std::string& what) {
  std::fprintf(stderr, "tvrun: %s\n", what.c_str());
  std::string tail = s.transcript_tail(kTailLines);
  std::fprintf(stderr, "tvrun: --- last %zu lines of the guest console ---\n%s%s", kTailLines, tail.c_str(),
               tail.empty() || tail.back() == '\n' ? "" : "\n");
  std::fprintf(stderr, "tvrun: --- end of guest console ---\n");
  if (!s.qemu_stderr().empty())
    std::fprintf(stderr, "tvrun: QEMU stderr:\n%s%s", s.qemu_stderr().c_str(),
                 s.qemu_stderr().back() == '\n' ? "" : "\n");
  if (!cfg.plain || !s.vmm_log_path().empty()) {
    s.keep_vmm_log();
    untrack_session();
    std::fprintf(stderr, "tvrun: VMM log: %s\n", s.vmm_log_path().c_str());
  }
}

int status_to_exit_code(int qemu_status) {
  if (qemu_status >= 256) return 128 + (qemu_status - 256);
  return qemu_status < 0 ? kExitQemu : qemu_status;
}

int run_exec(const RunConfig& cfg, const std::string& cmd, unsigned timeout_s) {
  GuestSession s;
  const bool temp_log = cfg.vmm_log_path.empty() && !cfg.plain;
  if (temp_log) s.set_vmm_log_listener(print_vmm_line);
  if (!s.start(cfg)) {
    std::fprintf(stderr, "tvrun: cannot start QEMU: %s\n", s.last_error().c_str());
    return kExitQemu;
  }
  track_session(s, temp_log);
  tv::host::ExecResult r = s.run(cmd, std::chrono::seconds(timeout_s));
  if (r.timed_out) {
    report_failure(s, cfg, "timeout after " + std::to_string(timeout_s) + " s: " + s.last_error());
    s.kill();
    return kExitTimeout;
  }
  if (r.status < 0) {
    int st = s.exit_status();
    std::string why = st >= 0 ? "QEMU exited early: " + describe_exit(st) : s.last_error();
    if (st == 0 && s.transcript().find("Kernel panic") != std::string::npos)
      why =
          "QEMU exited early: the guest kernel panicked (panic=-1 reboots, and -no-reboot "
          "turns that into QEMU exit status 0)";
    report_failure(s, cfg, why);
    return kExitQemu;
  }
  std::fwrite(r.output.data(), 1, r.output.size(), stdout);
  std::fflush(stdout);
  int st = s.poweroff(kPoweroffTimeout);
  if (st != 0) {
    std::string why = st < 0 ? s.last_error() : describe_exit(st);
    std::fprintf(stderr, "tvrun: warning: guest did not power off cleanly: %s\n", why.c_str());
    if (temp_log) {
      s.keep_vmm_log();
      std::fprintf(stderr, "tvrun: VMM log: %s\n", s.vmm_log_path().c_str());
    }
  }
  untrack_session();
  return r.status;
}

int run_interactive(const RunConfig& cfg_in, std::optional<unsigned> timeout_s) {
  RunConfig cfg = cfg_in;
  cfg.interactive = true;
  const bool temp_log = cfg.vmm_log_path.empty() && !cfg.plain;

  if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &g_saved_termios) == 0) {
    g_have_termios = true;
    struct termios raw = g_saved_termios;
    cfmakeraw(&raw);
    raw.c_oflag |= OPOST | ONLCR;  // keep "\n" -> "\r\n" for our own stderr lines
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
  }

  GuestSession s;
  if (temp_log) s.set_vmm_log_listener(print_vmm_line);
  if (!s.start(cfg)) {
    restore_terminal();
    std::fprintf(stderr, "tvrun: cannot start QEMU: %s\n", s.last_error().c_str());
    return kExitQemu;
  }
  track_session(s, temp_log);
  int st;
  if (timeout_s) {
    st = s.wait_exit(std::chrono::seconds(*timeout_s));
  } else {
    while ((st = s.wait_exit(std::chrono::hours(24))) < 0) {
    }
  }
  if (st < 0) {
    s.kill();
    restore_terminal();
    std::fprintf(stderr, "\ntvrun: timeout after %u s; QEMU killed\n", *timeout_s);
    if (temp_log) {
      s.keep_vmm_log();
      std::fprintf(stderr, "tvrun: VMM log: %s\n", s.vmm_log_path().c_str());
    }
    untrack_session();
    return kExitTimeout;
  }
  restore_terminal();
  untrack_session();
  std::fprintf(stderr, "tvrun: %s\n", describe_exit(st).c_str());
  if (st != 0 && temp_log) {
    s.keep_vmm_log();
    std::fprintf(stderr, "tvrun: VMM log: %s\n", s.vmm_log_path().c_str());
  }
  return status_to_exit_code(st);
}

}  // namespace

int main(int argc, char** argv) {
  RunConfig cfg;
  cfg.vmm_image = TV_BUILD_DIR "/vmm/thinvisor.bin";
  cfg.initrd = TV_BUILD_DIR "/guest/initramfs.cpio.gz";
  std::string append_extra;
  std::optional<std::string> exec_cmd;
  std::optional<unsigned> timeout_s;
  bool print_cmd = false;
  bool kernel_given = false;
  bool smp_given = false;

  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string opt = args[i];
    std::optional<std::string> inline_val;
    if (opt.rfind("--", 0) == 0) {
      if (size_t eq = opt.find('='); eq != std::string::npos) {
        inline_val = opt.substr(eq + 1);
        opt.resize(eq);
      }
    }
    auto value = [&](std::string& out) -> bool {
      if (inline_val) {
        out = *inline_val;
        return true;
      }
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    auto flag = [&]() { return !inline_val; };
    std::string v;
    unsigned n = 0;

    if (opt == "--help" || opt == "-h") {
      usage(stdout);
      return 0;
    } else if (opt == "--icount" || opt == "--plain" || opt == "--print-cmd") {
      if (!flag()) return fail_usage(opt + " takes no value");
      if (opt == "--icount") cfg.icount = true;
      if (opt == "--plain") cfg.plain = true;
      if (opt == "--print-cmd") print_cmd = true;
    } else if (opt == "--vmm" || opt == "--kernel" || opt == "--initrd" || opt == "--module" || opt == "--append" ||
               opt == "--vmm-options" || opt == "--accel" || opt == "--vmm-log" || opt == "--exec" || opt == "--qemu" ||
               opt == "--qemu-arg" || opt == "--mem" || opt == "--smp" || opt == "--timeout" || opt == "--machine" ||
               opt == "--disk" || opt == "--firmware" || opt == "--cdrom") {
      if (!value(v)) return fail_usage(opt + " needs a value");
      if (opt == "--vmm")
        cfg.vmm_image = v;
      else if (opt == "--machine")
        cfg.machine = v;
      else if (opt == "--firmware")
        cfg.firmware = v;
      else if (opt == "--cdrom")
        cfg.cdrom = v;
      else if (opt == "--disk") {
        tv::host::DiskSpec d;
        if (std::string e = tv::host::parse_disk_spec(v, d); !e.empty()) return fail_usage(e);
        cfg.disks.push_back(d);
      } else if (opt == "--kernel")
        cfg.kernel = v, kernel_given = true;
      else if (opt == "--initrd")
        cfg.initrd = v;
      else if (opt == "--module")
        cfg.extra_modules.push_back(v);
      else if (opt == "--append")
        append_extra += (append_extra.empty() ? "" : " ") + v;
      else if (opt == "--vmm-options")
        cfg.vmm_options = v;
      else if (opt == "--accel")
        cfg.accel = v;
      else if (opt == "--vmm-log")
        cfg.vmm_log_path = v;
      else if (opt == "--exec")
        exec_cmd = v;
      else if (opt == "--qemu")
        cfg.qemu = v;
      else if (opt == "--qemu-arg")
        cfg.extra_qemu_args.push_back(v);
      else {
        if (!parse_unsigned(v, n)) return fail_usage(opt + " needs a number, got '" + v + "'");
        if (opt == "--mem")
          cfg.mem_mib = n;
        else if (opt == "--smp")
          cfg.smp = n, smp_given = true;
        else {
          if (n == 0) return fail_usage("--timeout must be > 0");
          timeout_s = n;
        }
      }
    } else if (tv::host::is_shell_access_option(opt)) {
      if (!value(v)) return fail_usage(opt + " needs a value");
      if (std::string e = tv::host::apply_shell_access_option(opt, v, cfg.shell); !e.empty()) return fail_usage(e);
    } else {
      return fail_usage("unknown argument '" + args[i] + "'");
    }
  }

  if (!smp_given) cfg.smp = host_default_smp();
  cfg.guest_cmdline = kDefaultGuestCmdline;
  if (!append_extra.empty()) cfg.guest_cmdline += " " + append_extra;
  if (cfg.accel != "auto" && cfg.accel != "tcg" && cfg.accel != "kvm")
    return fail_usage("--accel must be tcg, kvm or auto");

  if (!kernel_given) {
    std::string why;
    cfg.kernel = default_guest_kernel(why);
    if (cfg.kernel.empty()) return fail_usage(why);
    // The default kernel's profile, for the agentless module-load detector (docs/module-watch.md).
    if (!cfg.plain && ::access(TV_BUILD_DIR "/guest/kernel-profile.txt", R_OK) == 0)
      cfg.extra_modules.insert(cfg.extra_modules.begin(), TV_BUILD_DIR "/guest/kernel-profile.txt");
  }
  if (std::string e = tv::host::validate_config(cfg); !e.empty()) return fail_usage(e);
  if (!exec_cmd && !cfg.shell.is_default()) return fail_usage("--ready and --login only make sense with --exec");
  if (!print_cmd) {
    if (std::string e = check_readable(cfg.kernel); !e.empty())
      return fail_usage("cannot read guest kernel " + cfg.kernel + ": " + e +
                        (kernel_given ? "" : " (pass --kernel FILE)"));
    if (!cfg.plain) {
      if (std::string e = check_readable(cfg.vmm_image); !e.empty())
        return fail_usage("cannot read VMM image " + cfg.vmm_image + ": " + e +
                          " (build it, pass --vmm FILE, or use --plain)");
    }
    if (!cfg.initrd.empty()) {
      if (std::string e = check_readable(cfg.initrd); !e.empty())
        return fail_usage("cannot read initramfs " + cfg.initrd + ": " + e +
                          " (build the 'initramfs' target or pass --initrd FILE)");
    }
    if (std::string e = tv::host::check_disk_files(cfg); !e.empty()) return fail_usage(e);
    for (const auto& m : cfg.extra_modules) {
      std::string path = m.substr(0, m.find(' '));
      if (std::string e = check_readable(path); !e.empty()) return fail_usage("cannot read module " + path + ": " + e);
    }
  }

  if (print_cmd) {
    RunConfig shown = cfg;
    shown.interactive = !exec_cmd;
    if (shown.vmm_log_path.empty() && !shown.plain) shown.vmm_log_path = "<temporary file>";
    std::string line;
    for (const auto& a : tv::host::build_qemu_argv(shown)) line += (line.empty() ? "" : " ") + shell_quote(a);
    std::printf("%s\n", line.c_str());
    return 0;
  }

  install_signal_handlers();
  if (exec_cmd) return run_exec(cfg, *exec_cmd, timeout_s.value_or(kDefaultExecTimeoutS));
  return run_interactive(cfg, timeout_s);
}
