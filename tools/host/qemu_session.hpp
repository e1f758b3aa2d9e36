// tvhost: host-side helpers to boot thinvisor (or a plain Linux guest) under
// QEMU and drive the guest's serial console.
//
//   * build_qemu_argv(): pure translation RunConfig -> QEMU argv (the fixed
//     contract with the VMM: machine options, -kernel/-initrd/-append layout).
//   * GuestSession: forks QEMU with the guest console on pipes, waits for
//     strings on the console and runs shell commands in the guest via a small
//     marker protocol (see run()).
//
// Everything lives in tv::host; the main names are also exported to the global
// namespace for brevity in tools and system tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tv::host {

// A raw disk image the guest sees (tvrun --disk FILE[,if=ide|virtio]).
struct DiskSpec {
  std::string path;               // the file, literally (build_qemu_argv doubles its commas)
  std::string interface = "ide";  // "ide" (q35: an AHCI port; pc: PIIX IDE) or "virtio" (virtio-blk-pci)
};

// How GuestSession reaches a shell on the guest's serial console (tvrun
// --ready, --login, --password, --prompt). By default (ready and login both
// empty) it waits for the project initramfs's "thinvisor-guest: ready" line
// and drives its busybox shell. Otherwise, in order: with `ready`, a complete
// console line matching that regex means the guest is up and Enter is
// pressed; with `login`, the first "login: " is answered with the user and a
// "Password:" that follows with `password` (an empty line by default); then
// the end of the console output must match `prompt` (a shell waiting for
// input). Regexes are ECMAScript (std::regex), searched, not anchored.
inline constexpr const char* kDefaultPrompt = "[#$>] ?$";
struct ShellAccess {
  std::string ready;
  std::string login;
  std::string password;
  std::string prompt = kDefaultPrompt;
  bool is_default() const { return ready.empty() && login.empty(); }
};

// The tvrun options that fill a ShellAccess: --ready REGEX, --login USER,
// --password PW, --prompt REGEX.
bool is_shell_access_option(std::string_view opt);
// Applies one of them; "" or the problem (an empty user, a bad regex).
std::string apply_shell_access_option(std::string_view opt, const std::string& value, ShellAccess& out);
// "" or the problem with `a` (a bad regex; --password or --prompt without
// --login or --ready).
std::string validate_shell_access(const ShellAccess& a);

// The dialog GuestSession has with the console to reach a shell, as pure
// steps (unit-tested without a guest).
enum class ShellStage {
  kInitramfsReady,  // waiting for "thinvisor-guest: ready"
  kReadyLine,       // waiting for a line matching ShellAccess::ready
  kLogin,           // waiting for "login: "
  kLoggingIn,       // user sent: waiting for "Password:" or a prompt
  kPrompt,          // waiting for a prompt
  kSettling,        // set-up line sent: waiting for its marker
  kDone,            // run() can send commands
};
struct DialogStep {
  ShellStage next;
  size_t consumed = 0;  // bytes of the console output the step used up
  std::string send;     // to type on the console
  std::string error;    // non-empty: give up (e.g. "Login incorrect")
};
ShellStage first_shell_stage(const ShellAccess& a);
// One step: looks at the console output not yet consumed (`console`, '\r'
// stripped) in `stage`. Finding what the stage waits for gives the next stage,
// how much of `console` it consumed and what to type; otherwise next == stage
// (and `consumed` may still skip output that can no longer match).
DialogStep shell_dialog_step(const ShellAccess& a, ShellStage stage, std::string_view console);
// What the stage waits for, for messages ("the login prompt").
std::string describe_shell_stage(ShellStage stage);

struct RunConfig {
  std::string qemu = "qemu-system-x86_64";
  std::string vmm_image;                   // -kernel in VMM mode
  std::string kernel;                      // guest kernel: module 0 (or -kernel in plain mode)
  std::string initrd;                      // module 1 (or -initrd in plain mode); may be empty
  std::vector<std::string> extra_modules;  // further multiboot modules ("path [args]")
  std::string vmm_options;                 // before " -- " in -append
  std::string guest_cmdline;               // after " -- " (or the whole -append in plain mode)
  unsigned mem_mib = 1024;
  // CPUs (-smp, 1..kMaxSmp): thinvisor runs each as a vCPU. 1 by default, so a
  // RunConfig means the same machine whatever the host (tests, benchmarks);
  // tvrun picks its own default from the host's cores (default_smp()).
  unsigned smp = 1;
  std::string accel = "auto";  // "auto" | "tcg" | "kvm"
  bool icount = false;         // -icount shift=0,sleep=off (TCG only)
  bool plain = false;          // boot `kernel` directly, no VMM
  std::string cdrom;           // boot this ISO through the firmware (e.g. GRUB): no -kernel, -initrd, -append
  // The machine QEMU emulates (--machine): "q35" (default) is ICH9/AHCI/PCIe
  // with an AMD IOMMU (-device amd-iommu), which thinvisor takes for DMA
  // protection; "pc" is i440FX/PIIX with no IOMMU: devices the guest drives
  // can DMA into the VMM (docs/running.md "Machine types").
  std::string machine = "q35";
  // The firmware (--firmware): "bios" is QEMU's SeaBIOS; "uefi" is OVMF
  // (kOvmfImage, Debian's ovmf package), which cannot load multiboot images
  // itself, so it needs `cdrom` (a GRUB ISO) or a plain Linux kernel (EFI stub).
  std::string firmware = "bios";
  // q35 only: with the AMD IOMMU (-device amd-iommu). false is a q35 without
  // it, the machine a guest under thinvisor sees (the VMM hides the IOMMU it
  // takes): tvbench's plain-QEMU boots, and a VMM with no DMA protection to
  // offer. No effect on pc, which has none.
  bool iommu = true;
  // Raw disk images, in order (--disk): drive ids disk0, disk1, ...; IDE disks
  // take the machine's free IDE/AHCI places in order (the cdrom keeps its own).
  std::vector<DiskSpec> disks;
  bool debug_exit = true;    // QEMU's isa-debug-exit at 0xF4 (false: as on hardware, the VMM's exit port is not there)
  std::string vmm_log_path;  // debugcon file; empty: no -debugcon (GuestSession makes a temp file)
  // --- extensions beyond the original contract (all optional) ---
  // Interactive: the console is QEMU's own stdio, multiplexed with a monitor
  // (Ctrl-A c), Ctrl-C goes to the guest (signal=off). Otherwise `-serial stdio`.
  bool interactive = false;
  ShellAccess shell;                         // how run()/wait_ready() reach the guest's shell
  std::vector<std::string> extra_qemu_args;  // appended verbatim (e.g. "-s", "-d", "int")
};

// The most CPUs a RunConfig may ask for (--smp).
inline constexpr unsigned kMaxSmp = 16;
// tvrun's --smp default for a host with `online_cpus` CPUs online
// (sysconf(_SC_NPROCESSORS_ONLN)): 2 with two or more, else 1.
unsigned default_smp(long online_cpus);

// Debian's OVMF build with its variable store inside (package ovmf).
inline constexpr const char* kOvmfImage = "/usr/share/ovmf/OVMF.fd";

// The machine types --machine accepts.
bool is_valid_machine(std::string_view machine);

// The disk interfaces --disk accepts ("ide", "virtio").
bool is_valid_disk_interface(std::string_view interface);
// Parses a --disk value, FILE[,if=ide|virtio], in QEMU's option syntax: ",,"
// is a comma of FILE, a single comma starts an option. "" or the problem.
std::string parse_disk_spec(std::string_view arg, DiskSpec& out);
// How many IDE disks `cfg`'s machine has room for: q35's ICH9 AHCI has six
// ports (ide.0-ide.5), pc's PIIX two buses of two (ide.0, ide.1); a cdrom
// takes one (q35: ide.2, pc: ide.1 unit 0, where QEMU's -cdrom puts it).
unsigned max_ide_disks(const RunConfig& cfg);

// Whether `cfg`'s machine has the AMD IOMMU: q35 with `iommu`.
bool has_iommu(const RunConfig& cfg);

// Human-readable problem with `cfg` (--smp outside 1..kMaxSmp, bad accel,
// --icount with KVM, missing paths, paths QEMU's multiboot loader cannot
// express, bad --disk interfaces or more IDE disks than the machine has
// places for), or "" if OK. Pure: it does not look at the files.
std::string validate_config(const RunConfig& cfg);
// The first --disk file that is not there or not usable (a regular file or
// block device, readable and writable: QEMU opens raw images read-write), as a
// message naming it; "" if all are fine.
std::string check_disk_files(const RunConfig& cfg);

// "tcg" or "kvm" for requested "tcg"/"kvm"/"auto"; "" if `requested` is not
// one of those. "auto" picks kvm only when /dev/kvm exists and
// /sys/module/kvm_amd/parameters/nested reads 1 or Y.
std::string choose_accel(const std::string& requested);
// Same, with the host probe supplied by the caller (unit tests).
std::string choose_accel(const std::string& requested, bool nested_kvm_usable);
// The host probe used by choose_accel("auto").
bool host_has_nested_kvm();

// Doubles every comma (QEMU option-value escaping used by -initrd).
std::string escape_commas(std::string_view s);

// QEMU argv (argv[0] = cfg.qemu). Pure except that accel "auto" consults
// host_has_nested_kvm() (and "auto" + icount always means TCG). Assumes
// validate_config(cfg) == "" (accel values other than auto/kvm mean TCG).
// `-smp N` always; TCG with N > 1 runs one host thread per vCPU
// (`-accel tcg,thread=multi`, MTTCG) unless icount, which QEMU runs
// single-threaded, round-robin (plain `-accel tcg`). Each disk is
// `-drive file=F,format=raw,if=none,id=diskN` (F with its commas doubled, and
// "./" before a relative name so QEMU never reads it as "protocol:..."), then
// `-device ide-hd,...` on the next free IDE place or `-device virtio-blk-pci,...`,
// which with the IOMMU (has_iommu) gets iommu_platform=on,disable-legacy=on:
// without VIRTIO_F_ACCESS_PLATFORM QEMU's virtio devices DMA around the IOMMU.
std::vector<std::string> build_qemu_argv(const RunConfig& cfg);

// QEMU exit statuses produced by isa-debug-exit (port 0xf4): (v << 1) | 1.
inline constexpr int kExitGuestShutdown = 33;       // v=0x10 guest triple fault / shutdown
inline constexpr int kExitVmmPanic = 35;            // v=0x11 VMM panic
inline constexpr int kExitNoSvm = 37;               // v=0x12 SVM not available
inline constexpr int kExitGuestBootFailed = 39;     // v=0x13 the guest image could not be loaded
inline constexpr int kExitGuestReset = 41;          // v=0x14 the guest reset its CPU or the machine
inline constexpr int kExitGuestStateRejected = 43;  // v=0x15 the guest reached a state VMRUN refuses
inline constexpr int kExitGuestReservedCode = 63;   // v=0x1F the guest asked for a code the VMM reserves

// One-line description of a QEMU exit status as returned by
// GuestSession::exit_status()/poweroff() (>= 256 means killed by signal
// status-256, kept apart from debug-exit statuses; -1 means "still running /
// unknown").
// The guest kernel `run` boots by default: the newest /boot/vmlinuz-* by
// version order (Debian's linux-image-amd64), or "" with the reason in `why`.
std::string default_guest_kernel(std::string& why);

std::string describe_exit(int status);

// Quotes s for a POSIX shell (for printing reproducible command lines).
std::string shell_quote(const std::string& s);
// A command-line number: 1 to 9 decimal digits, nothing else.
bool parse_unsigned(const std::string& s, unsigned& out);

struct ExecResult {
  int status = -1;     // the command's exit status; -1 if unknown (timeout, QEMU gone)
  std::string output;  // everything between the __TV_BEGIN line and __TV_RC= (no '\r')
  bool timed_out = false;
};

class GuestSession {
 public:
  using LineCallback = std::function<void(std::string_view line)>;

  GuestSession() = default;
  ~GuestSession();  // kills QEMU if still running, reaps it, removes temp files
  GuestSession(const GuestSession&) = delete;
  GuestSession& operator=(const GuestSession&) = delete;

  // Optional: called with each complete new line of the VMM log (without
  // '\n') while any method of this session waits. Set before start().
  void set_vmm_log_listener(LineCallback cb) { vmm_log_cb_ = std::move(cb); }
  // Optional: called with each raw chunk of console output ('\r' stripped).
  void set_console_listener(std::function<void(std::string_view chunk)> cb) { console_cb_ = std::move(cb); }

  // Forks QEMU. Non-interactive configs get the console on pipes
  // (-serial stdio, QEMU's stderr captured: see qemu_stderr()); interactive
  // configs inherit the caller's stdio. If cfg.vmm_log_path is empty and not
  // plain, the VMM log goes to a temporary file removed by the destructor
  // (unless keep_vmm_log()). Returns false with last_error() on failure.
  bool start(const RunConfig& cfg);

  // Reads console output until `needle` appears after the previous match
  // (each successful wait_for/run consumes the transcript up to its match).
  // Returns false on timeout or if QEMU exited without printing it.
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout);

  // Runs `cmd` in the guest shell (busybox sh on ttyS0, or whatever shell
  // cfg.shell reaches). The first call waits for "thinvisor-guest: ready" (or
  // goes through cfg.shell's dialog) and switches the shell to
  // no-echo/no-prompt (and, beyond the initramfs, no line editing, TERM=dumb,
  // no pagers or colours).
  // Protocol, per command:
  //   echo '__TV_''BEGIN'; ( CMD
  //   ) ; echo "__TV_""RC=$?"
  // (split quotes keep the markers out of any echoed input; the newline
  // before ')' keeps trailing comments and here-documents working).
  // `timeout` covers the whole call (including the first-time boot wait).
  // Commands may contain quotes, pipes and newlines; they must not read the
  // console's stdin and must be shorter than ~3.5 KiB (tty line limit).
  ExecResult run(const std::string& cmd, std::chrono::milliseconds timeout);
  // Waits for the guest's ready line (or logs in, per cfg.shell) and sets up
  // its shell for run(); true once commands can be sent. (run() does this
  // itself on first use.)
  bool wait_ready(std::chrono::milliseconds timeout);

  // Sends "poweroff -f" and waits for QEMU to exit. Returns QEMU's exit
  // status (0 = ACPI power-off); -1 if it did not exit in time (QEMU is then
  // killed).
  int poweroff(std::chrono::milliseconds timeout);

  // Waits (pumping console and log) for QEMU to exit by itself. Returns its
  // exit status, or -1 on timeout (QEMU keeps running).
  int wait_exit(std::chrono::milliseconds timeout);

  // Writes raw bytes to the guest console (non-interactive sessions only).
  bool send(std::string_view bytes, std::chrono::milliseconds timeout);

  void kill();  // SIGKILL + reap; no-op if not running

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // QEMU's exit status once it exited (256+sig if killed by a signal), else -1.
  int exit_status() const { return exit_status_; }

  // Full console transcript so far, '\r' removed.
  const std::string& transcript() const { return transcript_; }
  // Last `n` lines of the transcript.
  std::string transcript_tail(size_t n) const;
  // The whole VMM log file so far ("" in plain mode without a log path).
  std::string vmm_log() const;
  const std::string& vmm_log_path() const { return log_path_; }
  void keep_vmm_log() { log_is_temp_ = false; }  // don't delete the temp log
  // QEMU's stderr captured so far (non-interactive sessions).
  const std::string& qemu_stderr() const { return stderr_text_; }
  const std::string& last_error() const { return error_; }
  const std::vector<std::string>& argv() const { return argv_; }

 private:
  using Clock = std::chrono::steady_clock;
  // One round of I/O: waits up to `max_wait` for console/stderr data (or
  // just sleeps in interactive mode), tails the log, reaps QEMU.
  void pump(std::chrono::milliseconds max_wait);
  void drain_log(bool final);
  void reap(bool block);
  void close_fds();
  bool ensure_shell(Clock::time_point deadline);
  static std::chrono::milliseconds left(Clock::time_point deadline);

  RunConfig cfg_;
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
  int in_fd_ = -1;   // QEMU stdin (write end)
  int out_fd_ = -1;  // QEMU stdout (read end)
  int err_fd_ = -1;  // QEMU stderr (read end)
  std::string transcript_;
  size_t cursor_ = 0;
  std::string stderr_text_;
  std::string log_path_;
  bool log_is_temp_ = false;
  off_t log_offset_ = 0;
  std::string log_partial_;
  bool shell_ready_ = false;
  std::string error_;
  LineCallback vmm_log_cb_;
  std::function<void(std::string_view)> console_cb_;
};

}  // namespace tv::host

using tv::host::build_qemu_argv;
using tv::host::choose_accel;
using tv::host::ExecResult;
using tv::host::GuestSession;
using tv::host::RunConfig;
