// tvbench: measure thinvisor's overhead and size against bench/budget.txt.
//
// Boots the default guest (Debian kernel + our initramfs) twice under QEMU
// TCG with -icount (the guest TSC then counts emulated instructions):
//   1. plain QEMU, no VMM: reads the guest's "init-tsc" (boot-to-init cost);
//   2. thinvisor (VMM option selftest.domains): reads init-tsc, runs
//      `hcbench N` (exits and the domain-hosted echo_domain), `hcbench --dbgsh`
//      (one raw dbgsh session) and `vmmcall call domain_selftest` (whose
//      messaging figures the VMM logs), powers off and parses the VMM's run
//      report (VM exits by reason) and those figures from its debugcon log;
//   3. thinvisor twice more, nokaslr, without and with a VMM watchpoint;
//   4. thinvisor twice more with an AHCI disk, with and without QEMU's IOMMU,
//      timing O_DIRECT dd to and from it (issue 13).
// The host's wall time of boots 1 and 2 is reported too (boot_wall_ratio).
// Adds static figures (VMM memory reservation, image size, lines of code),
// prints one table, writes <build>/bench/results.json and results.png
// (gnuplot), and optionally checks the budget (--check) and rewrites the
// generated section of docs/performance.md (--doc FILE).
// See docs/performance.md and usage().
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bench_logic.hpp"
#include "grub_iso.hpp"
#include "qemu_session.hpp"

#ifndef TV_BUILD_DIR
#define TV_BUILD_DIR "."
#endif
#ifndef TV_SOURCE_DIR
#define TV_SOURCE_DIR "."
#endif

namespace {

namespace fs = std::filesystem;
using namespace tv::bench;
using tv::host::boot_from_iso;
using tv::host::build_grub_iso;
using tv::host::describe_exit;
using tv::host::GrubLoader;
using tv::host::GuestSession;
using tv::host::parse_unsigned;
using tv::host::RunConfig;
using tv::host::shell_quote;
using Clock = std::chrono::steady_clock;

constexpr int kExitOverBudget = 1;
constexpr int kExitUsage = 2;
constexpr int kExitMeasure = 3;
constexpr const char* kGuestCmdline = "console=ttyS0 panic=-1";
constexpr unsigned kDefaultBootTimeoutS = 300;
constexpr unsigned kDefaultIterations = 2000;
constexpr auto kPoweroffTimeout = std::chrono::seconds(120);
constexpr size_t kTailLines = 30;

struct Options {
  std::string build = TV_BUILD_DIR;
  std::string source = TV_SOURCE_DIR;
  std::string budget;  // default <source>/bench/budget.txt
  std::string out;     // default <build>/bench
  std::string vmm, kernel, initrd;
  std::string qemu = "qemu-system-x86_64";
  std::vector<std::string> qemu_args;  // --qemu-arg, appended to both boots
  std::string doc;
  bool check = false;
  bool smp_boots = false;   // --smp-boots: also smp2_boot_ratio's two boots
  bool grub_boots = false;  // --grub-boots: also the GRUB paths' four boots (issue 14)
  unsigned timeout_s = kDefaultBootTimeoutS;
  unsigned iterations = kDefaultIterations;
};

void usage(FILE* f) {
  std::fprintf(f,
               R"(usage: tvbench [options]

Measures thinvisor against the budget in bench/budget.txt: boots the guest under
plain QEMU and under thinvisor (both TCG with -icount, so the guest TSC counts
emulated instructions), runs hcbench, reads the VMM's run report, and adds the
VMM's memory reservation, image size and lines of code. Prints one table,
writes <out>/results.json and <out>/results.png. See docs/performance.md.

Options:
  --check             exit 1 if a measured figure is over its budget
  --smp-boots         also boot the guest with 2 CPUs on plain QEMU and under
                      thinvisor (-icount) for smp2_boot_ratio; QEMU 7.2's
                      -icount does not finish Linux's bring-up of a second
                      CPU, so without this option the figure is not measured
  --grub-boots        also boot through GRUB (a grub-mkrescue ISO, -icount),
                      thinvisor by multiboot2 and the same guest by GRUB's
                      `linux`, under SeaBIOS and under OVMF, for
                      grub_bios_boot_ratio and grub_uefi_boot_ratio (four
                      boots, about a minute more)
  --doc FILE          copy the plot next to FILE as performance.png and
                      rewrite FILE's section between <!-- bench:begin --> and
                      <!-- bench:end --> with the table and this command
  --budget FILE       budget file (default: <source>/bench/budget.txt)
  --out DIR           output directory (default: <build>/bench)
  --build DIR         build tree (default: %s)
  --source DIR        source tree (default: %s)
  --vmm FILE          VMM image (default: <build>/vmm/thinvisor.bin)
  --kernel FILE       guest kernel (default: newest /boot/vmlinuz-*)
  --initrd FILE       guest initramfs (default: <build>/guest/initramfs.cpio.gz)
  --qemu FILE         QEMU binary (default: qemu-system-x86_64)
  --qemu-arg ARG      extra QEMU argument for both boots (repeatable)
  --timeout SECONDS   limit per guest boot (default %u)
  --iterations N      hcbench iterations (default %u)
  --help              this text

Exit status: 0 done (and within budget with --check); 1 over budget (--check);
2 bad arguments, budget file or doc file; 3 a measurement failed.
)",
               TV_BUILD_DIR, TV_SOURCE_DIR, kDefaultBootTimeoutS, kDefaultIterations);
}

int fail_usage(const std::string& msg) {
  std::fprintf(stderr, "tvbench: %s\n(see tvbench --help)\n", msg.c_str());
  return kExitUsage;
}

// Bad input files (budget, doc): same status, no --help hint.
int fail_input(const std::string& msg) {
  std::fprintf(stderr, "tvbench: %s\n", msg.c_str());
  return kExitUsage;
}

__attribute__((format(printf, 1, 2))) void progress(const char* fmt, ...) {
  std::fprintf(stderr, "tvbench: ");
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

std::optional<std::string> read_file(const std::string& path, std::string& why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = "cannot read " + path + ": " + strerror(errno);
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes via a temporary file and rename, so readers never see half a file.
bool write_file(const std::string& path, const std::string& text, std::string& why) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out || !(out << text) || !out.flush()) {
      why = "cannot write " + tmp + ": " + strerror(errno);
      return false;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    why = "cannot rename " + tmp + " to " + path + ": " + strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

std::string check_readable(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return strerror(errno);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (::access(path.c_str(), R_OK) != 0) return strerror(errno);
  return {};
}

// Newest /boot/vmlinuz-* by version order, or "".
std::string newest_kernel() {
  std::string best;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/boot", ec)) {
    std::string name = e.path().filename();
    if (name.rfind("vmlinuz-", 0) != 0) continue;
    if (best.empty() || strverscmp(name.c_str(), best.c_str()) > 0) best = name;
  }
  return best.empty() ? best : "/boot/" + best;
}

// First line of `cmd`'s stdout ("" on failure).
std::string first_line_of(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {};
  char buf[512];
  std::string line;
  if (std::fgets(buf, sizeof buf, p)) line = buf;
  while (std::fgets(buf, sizeof buf, p)) {
  }
  ::pclose(p);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

// Runs argv with stdout/stderr appended to `log`; returns the exit status or -1.
int run_program(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execvp(a[0], a.data());
    _exit(127);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// --- guest boots --------------------------------------------------------------------

class MeasureError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string session_context(const GuestSession& s, const std::string& console_log) {
  std::string out = "--- last " + std::to_string(kTailLines) + " lines of the guest console ---\n";
  std::string tail = s.transcript_tail(kTailLines);
  out += tail;
  if (!tail.empty() && tail.back() != '\n') out += "\n";
  out += "--- end of guest console (all of it: " + console_log + ") ---";
  if (!s.qemu_stderr().empty()) out += "\nQEMU stderr:\n" + s.qemu_stderr();
  if (!s.vmm_log_path().empty()) out += "\nVMM log: " + s.vmm_log_path();
  return out;
}

void save_transcript(const GuestSession& s, const std::string& path) {
  std::string why;
  if (!write_file(path, s.transcript(), why)) progress("warning: %s", why.c_str());
}

// Paths in what tvbench records (the command, the QEMU command lines): relative
// to the source tree, so docs/performance.md does not depend on where the
// checkout and the build tree live (bench_logic repo_relative()).
struct Roots {
  std::string source, build;
  std::string shown(std::string_view text) const { return repo_relative(text, source, build); }
};

std::string qemu_command(const GuestSession& s, const Roots& roots) {
  std::string line;
  for (const auto& a : s.argv()) line += (line.empty() ? "" : " ") + shell_quote(roots.shown(a));
  return line;
}

// Absolute and normalized (no trailing '/'), so repo_relative() recognizes it.
std::string absolute_path(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  if (ec) return p;
  std::string s = a.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

RunConfig base_config(const Options& o) {
  RunConfig c;
  c.qemu = o.qemu;
  c.kernel = o.kernel;
  c.initrd = o.initrd;
  c.guest_cmdline = kGuestCmdline;
  c.accel = "tcg";
  c.icount = true;
  c.extra_qemu_args = o.qemu_args;
  return c;
}

// The agentless module-load detector's profile of the default kernel: the
// thinvisor boots carry it, so boot_ratio is measured with the detector armed.
std::vector<std::string> kernel_profile(const Options& o) {
  const std::string p = o.build + "/guest/kernel-profile.txt";
  if (o.kernel != newest_kernel() || ::access(p.c_str(), R_OK) != 0) return {};
  return {p};
}

struct InitRun {
  uint64_t init_tsc = 0;
  double wall_s = 0;  // host wall time from QEMU's start to the guest's ready line
  std::string qemu_cmd;
};

// Starts QEMU with `cfg` and waits for the guest's ready line; the boot's host
// wall time, QEMU's fork to that line, goes to `wall_s`. `what` names the
// boot in messages, `console_log` is where its transcript goes.
void start_until_ready(GuestSession& s, const Options& o, const RunConfig& cfg, const std::string& what,
                       const std::string& console_log, double& wall_s) {
  const auto started = Clock::now();
  if (!s.start(cfg)) throw MeasureError(what + ": cannot start QEMU: " + s.last_error());
  bool ready = s.wait_for("thinvisor-guest: ready", std::chrono::seconds(o.timeout_s));
  wall_s = std::chrono::duration<double>(Clock::now() - started).count();
  save_transcript(s, console_log);
  if (!ready) {
    std::string why = s.running() ? "no 'thinvisor-guest: ready' within " + std::to_string(o.timeout_s) + " s"
                                  : "QEMU exited early: " + describe_exit(s.exit_status());
    throw MeasureError(what + ": " + why + "\n" + session_context(s, console_log));
  }
}

// Boots `cfg` to the guest's ready line, reads its init-tsc and powers it off.
// `what` names the boot in messages, `tag` its console transcript
// (<out>/<tag>-console.log).
InitRun boot_to_init_tsc(const Options& o, const Roots& roots, const RunConfig& cfg, const std::string& what,
                         const std::string& tag) {
  const std::string console_log = o.out + "/" + tag + "-console.log";
  GuestSession s;
  InitRun r;
  start_until_ready(s, o, cfg, what, console_log, r.wall_s);
  r.qemu_cmd = qemu_command(s, roots);
  auto tsc = parse_init_tsc(s.transcript());
  if (!tsc) throw MeasureError(what + ": " + tsc.error + "\n" + session_context(s, console_log));
  r.init_tsc = *tsc;
  int st = s.poweroff(kPoweroffTimeout);
  save_transcript(s, console_log);
  if (st != 0)
    progress("warning: %s: the guest did not power off cleanly: %s", what.c_str(),
             st < 0 ? s.last_error().c_str() : describe_exit(st).c_str());
  return r;
}

// Plain QEMU boots run q35 without the IOMMU: the machine the guest sees
// under thinvisor, which takes the IOMMU and hides it (with it, the plain
// guest would find and drive the IOMMU itself: another guest workload).
RunConfig plain_config(const Options& o, unsigned cpus) {
  RunConfig cfg = base_config(o);
  cfg.plain = true;
  cfg.iommu = false;
  cfg.smp = cpus;
  return cfg;
}

// The VMM option of the thinvisor boot: allows the domain_selftest hypercall.
// It changes nothing before /init (the option is only recorded at start-up).
constexpr const char* kVmmOptions = "selftest.domains";

// The thinvisor boot's configuration (the one boot_ratio is measured with),
// its VMM log in <out>/<tag>-vmm.log.
RunConfig thinvisor_config(const Options& o, const std::string& tag, unsigned cpus) {
  RunConfig cfg = base_config(o);
  cfg.vmm_image = o.vmm;
  cfg.vmm_log_path = o.out + "/" + tag + "-vmm.log";
  cfg.extra_modules = kernel_profile(o);
  cfg.vmm_options = kVmmOptions;
  cfg.smp = cpus;
  ::unlink(cfg.vmm_log_path.c_str());
  return cfg;
}
// One raw-protocol dbgsh session typing "help\nexit\n" (hcbench's default).
constexpr const char* kDbgshCommand = "hcbench --dbgsh";
constexpr const char* kSelftestCommand = "vmmcall call domain_selftest";
// Then `dbgsh -c log` of a full ring: domain_selftest with RBX = 1 fills the
// ring with lines of its own, and tsc (guest/tools/tsc.c) times the client,
// whose output goes to a file (the console would time the serial port too).
constexpr const char* kLogFillCommand = "vmmcall call domain_selftest 1";
constexpr const char* kDbgshLogCommand =
    "tsc dbgsh -c log 2>&1 >/tmp/dbgsh-log; echo \"dbgsh_log_bytes $(wc -c </tmp/dbgsh-log)\"; "
    "sed -n 's/^log: \\([0-9]*\\) older bytes were lost.*/dbgsh_log_lost \\1/p' /tmp/dbgsh-log";
constexpr const char* kDbgshLogShown = "tsc dbgsh -c log";
// set_debugreg against the null hypercall, both from guest kernel mode.
constexpr const char* kDebugregCommand = "debugreg bench 1000";
// The module watch's agent latency: the agent loaded, console printk off (the
// serial console would be timed too), the guest TSC just before insmod, then
// the table's entry with the VMM's TSCs of the COMING and LIVE reports.
// Before that, with no agent yet, the agentless detector's latency for the
// same module (its report from the do_init_module watchpoint), after one
// warm-up load: the first module load of a boot does one-time work.
constexpr const char* kModwatchCommand =
    "old=$(cut -f1 /proc/sys/kernel/printk) && dmesg -n 1 && insmod /lib/modules/thinvisor_testmod.ko && "
    "rmmod thinvisor_testmod && a=$(tsc) && insmod /lib/modules/thinvisor_testmod.ko && "
    "echo \"modwatch_agentless_before $a\" && "
    "modules thinvisor_testmod | sed 's/^/modwatch_agentless_entry /' && rmmod thinvisor_testmod && "
    "insmod /lib/modules/thinvisor_modwatch.ko && "
    "t=$(tsc) && insmod /lib/modules/thinvisor_testmod.ko && dmesg -n $old && echo \"modwatch_before $t\" && "
    "modules thinvisor_testmod | sed 's/^/modwatch_entry /' && rmmod thinvisor_testmod";
constexpr const char* kModwatchShown = "tsc; insmod thinvisor_testmod.ko";

struct ThinvisorRun {
  uint64_t init_tsc = 0;
  HcbenchFigures hc;
  DbgshFigures dbgsh;
  DbgshLogFigures dbgsh_log;
  double dbgsh_log_wall_ms = 0;
  DomtestFigures domtest;
  DebugregFigures debugreg;
  ModwatchFigures modwatch;
  RunReport report;
  uint64_t reserved_kib = 0;
  uint64_t startup_ticks = 0;
  double boot_wall_s = 0;
  std::string qemu_cmd;
};

// Runs `cmd` in the guest of `s` (the boot `what`, its transcript saved to
// `console_log`); its output, or throws unless it exited with status 0.
std::string run_checked(GuestSession& s, const Options& o, const std::string& what, const std::string& console_log,
                        const std::string& cmd) {
  tv::host::ExecResult x = s.run(cmd, std::chrono::seconds(o.timeout_s));
  save_transcript(s, console_log);
  if (x.timed_out || x.status < 0)
    throw MeasureError(what + ": '" + cmd +
                       "': " + (x.timed_out ? "timeout after " + std::to_string(o.timeout_s) + " s" : s.last_error()) +
                       "\n" + session_context(s, console_log));
  if (x.status != 0)
    throw MeasureError(what + ": '" + cmd + "' exited with status " + std::to_string(x.status) + ": " + x.output);
  return x.output;
}

ThinvisorRun boot_thinvisor(const Options& o, const Roots& roots) {
  const RunConfig cfg = thinvisor_config(o, "thinvisor", 1);
  const std::string console_log = o.out + "/thinvisor-console.log";
  GuestSession s;
  ThinvisorRun r;
  start_until_ready(s, o, cfg, "thinvisor boot", console_log, r.boot_wall_s);
  r.qemu_cmd = qemu_command(s, roots);
  const std::string cmd = "hcbench " + std::to_string(o.iterations);
  tv::host::ExecResult er = s.run(cmd, std::chrono::seconds(o.timeout_s));
  save_transcript(s, console_log);
  if (er.timed_out || er.status < 0) {
    std::string why = er.timed_out ? "timeout after " + std::to_string(o.timeout_s) + " s (" + s.last_error() + ")"
                      : s.exit_status() >= 0 ? "QEMU exited early: " + describe_exit(s.exit_status())
                                             : s.last_error();
    throw MeasureError("thinvisor boot: '" + cmd + "': " + why + "\n" + session_context(s, console_log));
  }
  auto tsc = parse_init_tsc(s.transcript());
  if (!tsc) throw MeasureError("thinvisor boot: " + tsc.error + "\n" + session_context(s, console_log));
  r.init_tsc = *tsc;
  auto hc = parse_hcbench(er.output);
  if (!hc || er.status != 0)
    throw MeasureError("thinvisor boot: '" + cmd + "' exited with status " + std::to_string(er.status) + ": " +
                       (hc ? "output: " + er.output : hc.error));
  r.hc = *hc;
  if (!r.hc.domain_service)
    throw MeasureError("thinvisor boot: '" + cmd +
                       "' printed no domain_service figure (the VMM has no echo_domain?): " + er.output);
  // Commands after hcbench; their exits are in the run report.
  auto run_after = [&](const std::string& c) { return run_checked(s, o, "thinvisor boot", console_log, c); };
  auto dr = parse_debugreg_bench(run_after(kDebugregCommand));
  if (!dr) throw MeasureError(std::string("thinvisor boot: '") + kDebugregCommand + "': " + dr.error);
  r.debugreg = *dr;
  auto mw = parse_modwatch_bench(run_after(kModwatchCommand));
  if (!mw) throw MeasureError(std::string("thinvisor boot: '") + kModwatchShown + "': " + mw.error);
  r.modwatch = *mw;
  auto db = parse_dbgsh_bench(run_after(kDbgshCommand));
  if (!db) throw MeasureError(std::string("thinvisor boot: '") + kDbgshCommand + "': " + db.error);
  r.dbgsh = *db;
  std::string selftest = run_after(kSelftestCommand);
  if (selftest.find("rax=0x0 ") == std::string::npos)
    progress("warning: '%s' reports failed checks (the figures are still read): %s", kSelftestCommand,
             selftest.c_str());
  std::string fill = run_after(kLogFillCommand);
  if (fill.find("rax=0x0 ") == std::string::npos)
    throw MeasureError(std::string("thinvisor boot: '") + kLogFillCommand + "' did not fill the log: " + fill);
  const auto t_log = Clock::now();
  auto dl = parse_dbgsh_log_bench(run_after(kDbgshLogCommand));
  r.dbgsh_log_wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_log).count();
  if (!dl) throw MeasureError(std::string("thinvisor boot: '") + kDbgshLogShown + "': " + dl.error);
  r.dbgsh_log = *dl;
  int st = s.poweroff(kPoweroffTimeout);
  save_transcript(s, console_log);
  std::string log = s.vmm_log();
  auto report = parse_run_report(log);
  if (!report) {
    std::string why = report.error;
    if (st != 0) why += "; power-off: " + (st < 0 ? s.last_error() : describe_exit(st));
    throw MeasureError("thinvisor boot: " + why + " (VMM log: " + cfg.vmm_log_path + ")");
  }
  r.report = *report;
  auto kib = parse_vmm_reserved_kib(log);
  if (!kib) throw MeasureError("thinvisor boot: " + kib.error + " (VMM log: " + cfg.vmm_log_path + ")");
  r.reserved_kib = *kib;
  auto startup = parse_vmm_startup_ticks(log);
  if (!startup) throw MeasureError("thinvisor boot: " + startup.error + " (VMM log: " + cfg.vmm_log_path + ")");
  r.startup_ticks = *startup;
  auto dt = parse_domtest_figures(log);
  if (!dt) throw MeasureError("thinvisor boot: " + dt.error + " (VMM log: " + cfg.vmm_log_path + ")");
  r.domtest = *dt;
  return r;
}

// --- disk throughput with and without the IOMMU (issue 13) -------------------------------
// Two more thinvisor boots (-icount, 1 CPU) with the disk initramfs
// (guest/mkdiskinitramfs.sh: the kernel's AHCI, sd and ext4 modules) and a raw
// disk image on q35's AHCI port 0: one with QEMU's AMD IOMMU, which the VMM
// programs for DMA protection, one without (DMA protection off). The guest
// sees the same machine in both (the VMM hides the IOMMU). In each, `tsc`
// times an O_DIRECT dd of kDiskMib MiB to the whole disk kDdRuns times, then
// one from it as often, in 4 MiB blocks (the kernel splits them into the
// controller's max_sectors_kb requests, all in flight at once with NCQ);
// the least of each counts. The disk
// completes each request on the host's time: a guest that idles meanwhile has
// its clock moved on to its next timer (-icount sleep=off), so a host stall
// shows up as a run far above the others (docs/performance.md).
constexpr unsigned kDiskMib = 32;
constexpr unsigned kDdBlockMib = 4;  // dd's bs: fewer, larger waits for the disk
constexpr unsigned kDdRuns = 5;
constexpr const char* kDiskDriversCommand =
    "tv-disk-drivers >/tmp/disk-drivers.log 2>&1 || { tail -5 /tmp/disk-drivers.log; exit 1; }; "
    "for i in $(seq 100); do [ -b /dev/sda ] && break; sleep 0.1; done; [ -b /dev/sda ]";

std::string dd_command(bool write) {
  const std::string count = "bs=" + std::to_string(kDdBlockMib) + "M count=" + std::to_string(kDiskMib / kDdBlockMib);
  return write ? "tsc dd if=/dev/zero of=/dev/sda " + count + " oflag=direct"
               : "tsc dd if=/dev/sda of=/dev/null " + count + " iflag=direct";
}

// kDdRuns runs of one dd: guest ticks and host wall time of each guest command.
struct DdRuns {
  std::vector<uint64_t> ticks;
  std::vector<double> wall_ms;
  uint64_t min_ticks() const { return *std::min_element(ticks.begin(), ticks.end()); }
  double min_wall_ms() const { return *std::min_element(wall_ms.begin(), wall_ms.end()); }
  std::string shown() const {
    std::string t, w;
    for (size_t i = 0; i < ticks.size(); ++i) {
      t += (i ? ", " : "") + std::to_string(ticks[i]);
      w += (i ? ", " : "") + std::to_string(llround(wall_ms[i]));
    }
    return t + " ticks (" + w + " ms)";
  }
};

struct DiskDd {
  DdRuns write, read;
  std::string qemu_cmd;
};

DiskDd boot_disk_dd(const Options& o, const Roots& roots, bool iommu) {
  const std::string tag = iommu ? "disk-iommu" : "disk-noiommu";
  const std::string what = std::string("disk boot ") + (iommu ? "with" : "without") + " the IOMMU";
  RunConfig cfg = thinvisor_config(o, tag, 1);
  cfg.initrd = o.build + "/guest/initramfs-disk.cpio.gz";
  cfg.iommu = iommu;
  const std::string image = o.out + "/disk.img";
  cfg.disks = {{image, "ide"}};
  {
    std::ofstream(image, std::ios::binary | std::ios::trunc).close();
    std::error_code ec;
    fs::resize_file(image, uint64_t(kDiskMib) << 20, ec);
    if (ec) throw MeasureError(what + ": cannot create " + image + ": " + ec.message());
  }
  const std::string console_log = o.out + "/" + tag + "-console.log";
  GuestSession s;
  DiskDd r;
  double boot_wall_s = 0;
  start_until_ready(s, o, cfg, what, console_log, boot_wall_s);
  r.qemu_cmd = qemu_command(s, roots);
  run_checked(s, o, what, console_log, kDiskDriversCommand);
  for (bool write : {true, false})
    for (unsigned i = 0; i < kDdRuns; ++i) {
      const std::string cmd = dd_command(write);
      const auto t0 = Clock::now();
      auto dd = parse_timed_dd(run_checked(s, o, what, console_log, cmd));
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (!dd) throw MeasureError(what + ": '" + cmd + "': " + dd.error);
      if (dd->records * kDdBlockMib != kDiskMib)
        throw MeasureError(what + ": '" + cmd + "' copied " + std::to_string(dd->records * kDdBlockMib) + " MiB, not " +
                           std::to_string(kDiskMib));
      if (dd->ticks == 0) throw MeasureError(what + ": '" + cmd + "' took 0 ticks (is -icount in effect?)");
      DdRuns& runs = write ? r.write : r.read;
      runs.ticks.push_back(dd->ticks);
      runs.wall_ms.push_back(ms);
    }
  s.poweroff(kPoweroffTimeout);
  save_transcript(s, console_log);
  std::error_code ec;
  fs::remove(image, ec);
  // The VMM must have done what the boot is for: protection on with the IOMMU, off without.
  const std::string want = iommu ? "DMA protection: on" : "DMA protection: off";
  if (s.vmm_log().find(want) == std::string::npos)
    throw MeasureError(what + ": no '" + want + "' in the VMM log " + cfg.vmm_log_path);
  return r;
}

// --- a boot with a VMM watchpoint on a hot kernel function -------------------------------
// Both boots run under thinvisor with nokaslr, so the function's address from
// the first boot's /proc/kallsyms holds in the second, whose VMM claims it
// before the guest starts (the watch= option).
constexpr const char* kWatchedFunction = "kmem_cache_alloc";

struct WatchedBoot {
  uint64_t init_tsc = 0;
  std::string output;  // of the command run at /init
};

WatchedBoot boot_to_init(const Options& o, const std::string& vmm_options, const std::string& cmd,
                         const std::string& tag) {
  RunConfig cfg = base_config(o);
  cfg.vmm_image = o.vmm;
  cfg.vmm_log_path = o.out + "/" + tag + "-vmm.log";
  cfg.vmm_options = vmm_options;
  cfg.extra_modules = kernel_profile(o);
  cfg.guest_cmdline += " nokaslr";
  ::unlink(cfg.vmm_log_path.c_str());
  const std::string console_log = o.out + "/" + tag + "-console.log";
  GuestSession s;
  if (!s.start(cfg)) throw MeasureError(tag + " boot: cannot start QEMU: " + s.last_error());
  tv::host::ExecResult er = s.run(cmd, std::chrono::seconds(o.timeout_s));
  save_transcript(s, console_log);
  if (er.timed_out || er.status != 0)
    throw MeasureError(tag + " boot: '" + cmd + "' failed (status " + std::to_string(er.status) + "): " + er.output +
                       "\n" + session_context(s, console_log));
  auto tsc = parse_init_tsc(s.transcript());
  if (!tsc) throw MeasureError(tag + " boot: " + tsc.error + "\n" + session_context(s, console_log));
  s.poweroff(kPoweroffTimeout);
  return {*tsc, er.output};
}

struct WatchedRun {
  double ratio = 0;
  uint64_t hits = 0;
};

WatchedRun boot_watched(const Options& o) {
  const std::string fn = kWatchedFunction;
  WatchedBoot base = boot_to_init(o, kVmmOptions, "grep ' " + fn + "$' /proc/kallsyms | cut -d' ' -f1", "unwatched");
  const std::string addr = base.output.substr(0, base.output.find_first_of("\r\n"));
  if (addr.size() != 16 || addr.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw MeasureError("unwatched boot: no address for " + fn + " in /proc/kallsyms: " + base.output);
  WatchedBoot watched = boot_to_init(o, std::string(kVmmOptions) + " watch=" + addr + ",x", "debugreg list", "watched");
  const size_t at = watched.output.find(" addr 0x" + addr);
  const size_t hits_at = at == std::string::npos ? at : watched.output.find(" hits ", at);
  if (hits_at == std::string::npos)
    throw MeasureError("watched boot: the watchpoint on " + fn + " is not listed: " + watched.output);
  WatchedRun r;
  r.hits = std::strtoull(watched.output.c_str() + hits_at + 6, nullptr, 10);
  r.ratio = double(watched.init_tsc) / double(base.init_tsc);
  return r;
}

// --- SMP (issue 12) -------------------------------------------------------------------------

// smp2_boot_ratio: boot_ratio's two boots again with 2 CPUs. Opt-in
// (--smp-boots): QEMU 7.2's -icount runs the vCPUs round-robin on one thread,
// and Linux's bring-up of its second CPU never completes there, even on plain
// QEMU (the boot CPU waits in do_boot_cpu's schedule() loop; the AP, which
// spins in wait_for_master_cpu, never runs again). docs/performance.md.
constexpr unsigned kSmpBootCpus = 2;

struct SmpBoots {
  InitRun plain, thinvisor;
};

SmpBoots boot_smp(const Options& o, const Roots& roots) {
  SmpBoots b;
  b.plain = boot_to_init_tsc(o, roots, plain_config(o, kSmpBootCpus), "plain QEMU boot with 2 CPUs", "smp2-plain");
  b.thinvisor = boot_to_init_tsc(o, roots, thinvisor_config(o, "smp2-thinvisor", kSmpBootCpus),
                                 "thinvisor boot with 2 CPUs", "smp2-thinvisor");
  if (b.plain.init_tsc == 0) throw MeasureError("plain QEMU boot with 2 CPUs: init-tsc is 0");
  return b;
}

// --- GRUB (issue 14) ----------------------------------------------------------------------------

// The GRUB paths' boot ratios: the guest booted from a GRUB ISO under thinvisor
// (multiboot2, as `./thinvisor install` writes it) against the same ISO's
// guest booted by GRUB's own `linux` command, under each firmware. Both
// guest TSCs at /init include the firmware's and GRUB's instructions.
struct GrubBoots {
  InitRun bios_plain, bios_thinvisor, uefi_plain, uefi_thinvisor;
};

InitRun boot_grub_path(const Options& o, const Roots& roots, bool uefi, bool thinvisor) {
  const std::string tag = std::string("grub-") + (uefi ? "uefi-" : "bios-") + (thinvisor ? "thinvisor" : "plain");
  RunConfig src = thinvisor ? thinvisor_config(o, tag, 1) : plain_config(o, 1);
  src.firmware = uefi ? "uefi" : "bios";
  const std::string iso = o.out + "/" + tag + ".iso";
  if (auto err = build_grub_iso(src, iso, thinvisor ? GrubLoader::Multiboot2 : GrubLoader::Linux); !err.empty())
    throw MeasureError(tag + ": " + err);
  RunConfig cfg = boot_from_iso(src, iso);
  cfg.plain = false;  // the ISO's GRUB loads whatever it loads
  const std::string what =
      std::string(thinvisor ? "thinvisor" : "plain") + " boot through GRUB under " + (uefi ? "OVMF" : "SeaBIOS");
  return boot_to_init_tsc(o, roots, cfg, what, tag);
}

GrubBoots boot_grub(const Options& o, const Roots& roots) {
  GrubBoots b;
  b.bios_plain = boot_grub_path(o, roots, false, false);
  b.bios_thinvisor = boot_grub_path(o, roots, false, true);
  b.uefi_plain = boot_grub_path(o, roots, true, false);
  b.uefi_thinvisor = boot_grub_path(o, roots, true, true);
  if (b.bios_plain.init_tsc == 0 || b.uefi_plain.init_tsc == 0) throw MeasureError("GRUB boots: init-tsc is 0");
  return b;
}

// The VMM's memory with more CPUs: it only has to start, so each run stops
// at the VMM log's "VMM ready" line (the guest never runs).
constexpr unsigned kMemoryCpus = 8;

struct VmmStart {
  uint64_t reserved_kib = 0;
  VmmPool pool;
};

VmmStart start_vmm_until_ready(const Options& o, unsigned cpus) {
  const std::string what = "VMM start-up with " + std::to_string(cpus) + " CPU(s)";
  RunConfig cfg = thinvisor_config(o, "vmm-ready-" + std::to_string(cpus) + "cpu", cpus);
  cfg.icount = false;  // no instructions are counted: TCG as the system tests run it
  GuestSession s;
  bool ready = false;
  s.set_vmm_log_listener([&](std::string_view line) {
    if (line.find("thinvisor: VMM ready:") != std::string_view::npos) ready = true;
  });
  if (!s.start(cfg)) throw MeasureError(what + ": cannot start QEMU: " + s.last_error());
  const auto deadline = Clock::now() + std::chrono::seconds(o.timeout_s);
  while (!ready && s.running() && Clock::now() < deadline) s.wait_exit(std::chrono::milliseconds(100));
  const int exited = s.exit_status();
  s.kill();
  const std::string log = s.vmm_log();
  const std::string where = " (VMM log: " + cfg.vmm_log_path + ")";
  if (!ready)
    throw MeasureError(what + ": no 'VMM ready' line " +
                       (exited >= 0 ? "before QEMU exited: " + describe_exit(exited)
                                    : "within " + std::to_string(o.timeout_s) + " s") +
                       where);
  VmmStart r;
  auto kib = parse_vmm_reserved_kib(log);
  if (!kib) throw MeasureError(what + ": " + kib.error + where);
  r.reserved_kib = *kib;
  auto pool = parse_vmm_ready_pool(log);
  if (!pool) throw MeasureError(what + ": " + pool.error + where);
  r.pool = *pool;
  return r;
}

// --- static figures ---------------------------------------------------------------------

// Lines of code of every source file under `dir` (recursively).
uint64_t loc_of_tree(const fs::path& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file() || !is_source_file(it->path().filename().string())) continue;
    std::string why;
    if (auto text = read_file(it->path().string(), why)) n += count_code_lines(*text);
  }
  if (ec) throw MeasureError("cannot walk " + dir.string() + ": " + ec.message());
  return n;
}

// "vmm/<dir>" for each top-level directory of vmm/ (plus "vmm/*" for source
// files directly in vmm/, if any), then "lib".
std::vector<std::pair<std::string, uint64_t>> measure_loc(const std::string& source) {
  fs::path vmm = fs::path(source) / "vmm", lib = fs::path(source) / "lib";
  if (!fs::is_directory(vmm) || !fs::is_directory(lib))
    throw MeasureError("no vmm/ and lib/ under the source tree " + source + " (pass --source DIR)");
  std::vector<fs::path> dirs;
  uint64_t top_files = 0;
  for (const auto& e : fs::directory_iterator(vmm)) {
    if (e.is_directory())
      dirs.push_back(e.path());
    else if (e.is_regular_file() && is_source_file(e.path().filename().string())) {
      std::string why;
      if (auto text = read_file(e.path().string(), why)) top_files += count_code_lines(*text);
    }
  }
  std::sort(dirs.begin(), dirs.end());
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& d : dirs) out.emplace_back("vmm/" + d.filename().string(), loc_of_tree(d));
  if (top_files) out.emplace_back("vmm/*", top_files);
  out.emplace_back("lib", loc_of_tree(lib));
  return out;
}

// --- plot --------------------------------------------------------------------------------

// Draws the PNG; returns "" or a reason it could not.
std::string draw_png(const std::vector<BudgetCheck>& checks, const std::string& out, const std::string& png) {
  const std::string dat = out + "/results.dat", gp = out + "/results.gp", err = out + "/gnuplot.log";
  std::string why;
  if (!write_file(dat, gnuplot_data(checks), why)) return why;
  ::unlink(png.c_str());
  for (const char* term : {"pngcairo", "png"}) {
    ::unlink(err.c_str());
    if (!write_file(gp, gnuplot_script(dat, png, term, checks), why)) return why;
    int st = run_program({"gnuplot", gp}, err);
    struct stat sb;
    if (st == 0 && ::stat(png.c_str(), &sb) == 0 && sb.st_size > 0) {
      ::unlink(err.c_str());
      return {};
    }
    if (st == 127) return "gnuplot not found (install gnuplot-nox)";
  }
  return "gnuplot failed; see " + err + " and " + gp;
}

}  // namespace

int main(int argc, char** argv) {
  const auto t_start = Clock::now();
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string opt = args[i];
    std::optional<std::string> inline_val;
    if (opt.rfind("--", 0) == 0)
      if (size_t eq = opt.find('='); eq != std::string::npos) inline_val = opt.substr(eq + 1), opt.resize(eq);
    auto value = [&](std::string& out) -> bool {
      if (inline_val) return out = *inline_val, true;
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string v;
    if (opt == "--help" || opt == "-h") {
      usage(stdout);
      return 0;
    } else if (opt == "--check" || opt == "--smp-boots" || opt == "--grub-boots") {
      if (inline_val) return fail_usage(opt + " takes no value");
      (opt == "--check" ? o.check : opt == "--smp-boots" ? o.smp_boots : o.grub_boots) = true;
    } else if (opt == "--doc" || opt == "--budget" || opt == "--out" || opt == "--build" || opt == "--source" ||
               opt == "--vmm" || opt == "--kernel" || opt == "--initrd" || opt == "--qemu" || opt == "--qemu-arg" ||
               opt == "--timeout" || opt == "--iterations") {
      if (!value(v) || v.empty()) return fail_usage(opt + " needs a value");
      if (opt == "--qemu-arg") {
        o.qemu_args.push_back(v);
        continue;
      }
      if (opt == "--doc")
        o.doc = v;
      else if (opt == "--budget")
        o.budget = v;
      else if (opt == "--out")
        o.out = v;
      else if (opt == "--build")
        o.build = v;
      else if (opt == "--source")
        o.source = v;
      else if (opt == "--vmm")
        o.vmm = v;
      else if (opt == "--kernel")
        o.kernel = v;
      else if (opt == "--initrd")
        o.initrd = v;
      else if (opt == "--qemu")
        o.qemu = v;
      else {
        unsigned n = 0;
        if (!parse_unsigned(v, n) || n == 0) return fail_usage(opt + " needs a positive number, got '" + v + "'");
        (opt == "--timeout" ? o.timeout_s : o.iterations) = n;
      }
    } else {
      return fail_usage("unknown argument '" + args[i] + "'");
    }
  }
  if (o.budget.empty()) o.budget = o.source + "/bench/budget.txt";
  if (o.out.empty()) o.out = o.build + "/bench";
  if (o.vmm.empty()) o.vmm = o.build + "/vmm/thinvisor.bin";
  if (o.initrd.empty()) o.initrd = o.build + "/guest/initramfs.cpio.gz";
  if (o.kernel.empty() && (o.kernel = newest_kernel()).empty())
    return fail_usage("no /boot/vmlinuz-* found (install linux-image-amd64 or pass --kernel)");
  // Every path absolute from here on, so what tvbench records can be shown
  // relative to the source tree whatever the working directory was.
  for (std::string* p : {&o.build, &o.source, &o.budget, &o.out, &o.vmm, &o.kernel, &o.initrd, &o.doc})
    if (!p->empty()) *p = absolute_path(*p);
  const Roots roots{o.source, o.build};

  // The command as recorded (results.json, docs/performance.md): the program
  // and the path-valued options relative to the source tree.
  auto path_valued = [](const std::string& opt) {
    return opt == "--doc" || opt == "--budget" || opt == "--out" || opt == "--build" || opt == "--source" ||
           opt == "--vmm" || opt == "--kernel" || opt == "--initrd";
  };
  std::string program = argv[0];
  if (program.find('/') != std::string::npos) program = absolute_path(program);
  std::string command = shell_quote(roots.shown(program));
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (size_t eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos && path_valued(a.substr(0, eq)))
      a = a.substr(0, eq + 1) + absolute_path(a.substr(eq + 1));
    else if (i > 0 && path_valued(args[i - 1]) && args[i - 1].find('=') == std::string::npos)
      a = absolute_path(a);
    command += " " + shell_quote(roots.shown(a));
  }

  // Inputs first: a broken budget or doc file should not cost two boots.
  std::string why;
  auto budget_text = read_file(o.budget, why);
  if (!budget_text) return fail_input(why + " (pass --budget FILE)");
  auto budget = parse_budget(*budget_text, o.budget);
  if (!budget) return fail_input(budget.error);
  std::optional<std::string> doc_text;
  if (!o.doc.empty()) {
    doc_text = read_file(o.doc, why);
    if (!doc_text) return fail_input(why);
    if (auto probe = replace_doc_section(*doc_text, ""); !probe) return fail_input(o.doc + ": " + probe.error);
  }
  for (const auto& [what, path] : {std::pair<std::string, std::string>{"VMM image", o.vmm},
                                   {"guest kernel", o.kernel},
                                   {"guest initramfs", o.initrd},
                                   {"disk initramfs", o.build + "/guest/initramfs-disk.cpio.gz"}})
    if (std::string e = check_readable(path); !e.empty())
      return fail_usage("cannot read " + what + " " + path + ": " + e +
                        " (build with cmake --build, or pass the option)");
  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec) return fail_usage("cannot create " + o.out + ": " + ec.message());

  Results r;
  r.command = command;
  // The wall-time figures depend on what else the host runs: recorded with them.
  std::string load_before = first_line_of("cut -d' ' -f1-3 /proc/loadavg");
  if (load_before.empty()) load_before = "unknown";
  try {
    auto t0 = Clock::now();
    const int steps = 5 + (o.smp_boots ? 1 : 0) + (o.grub_boots ? 1 : 0);
    progress("[1/%d] booting the guest under plain QEMU (TCG, -icount; up to %u s)...", steps, o.timeout_s);
    InitRun plain = boot_to_init_tsc(o, roots, plain_config(o, 1), "plain QEMU boot", "plain");
    auto t1 = Clock::now();
    progress("      init-tsc %llu (%.0f s)", (unsigned long long)plain.init_tsc,
             std::chrono::duration<double>(t1 - t0).count());
    progress("[2/%d] booting the guest under thinvisor, running hcbench %u, %s, %s and %s (up to %u s each)...", steps,
             o.iterations, kDbgshCommand, kSelftestCommand, kDbgshLogShown, o.timeout_s);
    ThinvisorRun tv = boot_thinvisor(o, roots);
    auto t2 = Clock::now();
    progress("      init-tsc %llu, %llu VM exits (%.0f s)", (unsigned long long)tv.init_tsc,
             (unsigned long long)tv.report.total_exits, std::chrono::duration<double>(t2 - t1).count());
    if (plain.init_tsc == 0) throw MeasureError("plain QEMU boot: init-tsc is 0 (is -icount in effect?)");
    if (tv.hc.cpuid == 0) throw MeasureError("thinvisor boot: hcbench reports 0 ticks per CPUID");

    r.set("boot_ratio", double(tv.init_tsc) / double(plain.init_tsc));
    r.set("plain_boot_instructions", double(plain.init_tsc));
    r.set("thinvisor_boot_instructions", double(tv.init_tsc));
    r.set("boot_overhead_instructions", double(tv.init_tsc) - double(plain.init_tsc));
    r.set("boot_wall_ratio", tv.boot_wall_s / plain.wall_s);
    r.set("plain_boot_wall_s", plain.wall_s);
    r.set("thinvisor_boot_wall_s", tv.boot_wall_s);
    r.set("hypercall_ticks", double(tv.hc.hypercall));
    r.set("cpuid_ticks", double(tv.hc.cpuid));
    r.set("unknown_hypercall_ticks", double(tv.hc.unknown));
    r.set("loop_ticks", double(tv.hc.loop));
    r.set("hypercall_over_cpuid", double(tv.hc.hypercall) / double(tv.hc.cpuid));
    r.set("msgsendint_instructions", double(tv.domtest.msgsendint));
    r.set("msgsendbuf_4k_instructions", double(tv.domtest.msgsendbuf_4k));
    r.set("msgsendbuf_64k_instructions", double(tv.domtest.msgsendbuf_64k));
    if (tv.domtest.msgsendbuf_4k == 0)
      throw MeasureError("thinvisor boot: the domain self-test reports 0 ticks per 4 KiB msgsendbuf");
    r.set("msgsendbuf_64k_over_4k", double(tv.domtest.msgsendbuf_64k) / double(tv.domtest.msgsendbuf_4k));
    r.set("domain_service_ticks", double(*tv.hc.domain_service));
    if (tv.hc.hypercall == 0) throw MeasureError("thinvisor boot: hcbench reports 0 ticks per null hypercall");
    r.set("domain_service_over_null", double(*tv.hc.domain_service) / double(tv.hc.hypercall));
    r.set("dbgsh_char_instructions", double(tv.dbgsh.per_call));
    r.set("dbgsh_session_calls", double(tv.dbgsh.calls));
    r.set("dbgsh_log_instructions", double(tv.dbgsh_log.ticks));
    r.set("dbgsh_log_bytes", double(tv.dbgsh_log.bytes));
    r.set("dbgsh_log_wall_ms", std::round(tv.dbgsh_log_wall_ms));
    r.set("set_debugreg_kernel_ticks", double(tv.debugreg.set));
    r.set("nop_kernel_ticks", double(tv.debugreg.nop));
    r.set("set_debugreg_over_null", double(tv.debugreg.set) / double(tv.debugreg.nop));
    r.set("module_agent_live_instructions", double(tv.modwatch.live - tv.modwatch.before));
    r.set("module_agent_coming_instructions", double(tv.modwatch.coming - tv.modwatch.before));
    if (tv.modwatch.agentless_coming == 0)
      throw MeasureError("thinvisor boot: no agentless report of thinvisor_failmod (is the kernel profile missing?)");
    r.set("module_agentless_coming_instructions", double(tv.modwatch.agentless_coming - tv.modwatch.agentless_before));
    progress("[3/%d] two more boots under thinvisor (nokaslr): without and with a VMM watchpoint on %s...", steps,
             kWatchedFunction);
    WatchedRun wr = boot_watched(o);
    progress("      watched boot ratio %.4f, %llu hits (%.0f s)", wr.ratio, (unsigned long long)wr.hits,
             std::chrono::duration<double>(Clock::now() - t2).count());
    r.set("watched_boot_ratio", wr.ratio);
    r.set("watched_boot_hits", double(wr.hits));
    const auto t_disk = Clock::now();
    progress("[4/%d] two boots under thinvisor with a disk, with and without the IOMMU: %s, %s (%u times each)...",
             steps, dd_command(true).c_str(), dd_command(false).c_str(), kDdRuns);
    const DiskDd disk = boot_disk_dd(o, roots, true), disk_plain = boot_disk_dd(o, roots, false);
    progress("      least write and read %llu and %llu ticks with the IOMMU, %llu and %llu without (%.0f s)",
             (unsigned long long)disk.write.min_ticks(), (unsigned long long)disk.read.min_ticks(),
             (unsigned long long)disk_plain.write.min_ticks(), (unsigned long long)disk_plain.read.min_ticks(),
             std::chrono::duration<double>(Clock::now() - t_disk).count());
    const double mib = kDiskMib;
    r.set("disk_dd_iommu_ratio", double(disk.write.min_ticks() + disk.read.min_ticks()) /
                                     double(disk_plain.write.min_ticks() + disk_plain.read.min_ticks()));
    r.set("disk_read_ticks_per_mib", double(disk.read.min_ticks()) / mib);
    r.set("disk_read_ticks_per_mib_no_iommu", double(disk_plain.read.min_ticks()) / mib);
    r.set("disk_write_ticks_per_mib", double(disk.write.min_ticks()) / mib);
    r.set("disk_write_ticks_per_mib_no_iommu", double(disk_plain.write.min_ticks()) / mib);
    r.set("disk_dd_wall_iommu_ratio", (disk.write.min_wall_ms() + disk.read.min_wall_ms()) /
                                          (disk_plain.write.min_wall_ms() + disk_plain.read.min_wall_ms()));
    const auto t3 = Clock::now();
    progress("[5/%d] two VMM start-ups to 'VMM ready', with 1 and %u CPUs...", steps, kMemoryCpus);
    VmmStart one = start_vmm_until_ready(o, 1), many = start_vmm_until_ready(o, kMemoryCpus);
    progress("      pool used %llu KiB with 1 CPU, %llu KiB with %u; %llu KiB reserved (%.0f s)",
             (unsigned long long)one.pool.used_kib, (unsigned long long)many.pool.used_kib, kMemoryCpus,
             (unsigned long long)many.reserved_kib, std::chrono::duration<double>(Clock::now() - t3).count());
    std::optional<GrubBoots> grub;
    if (o.grub_boots) {
      const auto tg = Clock::now();
      progress("[6/%d] booting through GRUB under SeaBIOS and OVMF, plain and under thinvisor (-icount)...", steps);
      grub = boot_grub(o, roots);
      progress("      init-tsc BIOS %llu plain, %llu thinvisor; UEFI %llu plain, %llu thinvisor (%.0f s)",
               (unsigned long long)grub->bios_plain.init_tsc, (unsigned long long)grub->bios_thinvisor.init_tsc,
               (unsigned long long)grub->uefi_plain.init_tsc, (unsigned long long)grub->uefi_thinvisor.init_tsc,
               std::chrono::duration<double>(Clock::now() - tg).count());
    }
    std::optional<SmpBoots> smp;
    if (o.smp_boots) {
      const auto t4 = Clock::now();
      progress("[%d/%d] booting the guest with %u CPUs under plain QEMU and under thinvisor (-icount)...", steps, steps,
               kSmpBootCpus);
      smp = boot_smp(o, roots);
      progress("      init-tsc %llu plain, %llu thinvisor (%.0f s)", (unsigned long long)smp->plain.init_tsc,
               (unsigned long long)smp->thinvisor.init_tsc, std::chrono::duration<double>(Clock::now() - t4).count());
    }
    r.set("vm_exits_total", double(tv.report.total_exits));
    r.set("vmm_startup_instructions", double(tv.startup_ticks));
    r.set("vmm_reserved_mib", double(tv.reserved_kib) / 1024.0);
    r.exits = tv.report.exits;

    std::error_code sec;
    auto image_size = fs::file_size(o.vmm, sec);
    if (sec) throw MeasureError("cannot stat " + o.vmm + ": " + sec.message());
    r.set("vmm_image_bytes", double(image_size));

    r.loc = measure_loc(o.source);
    uint64_t vmm_loc = 0, lib_loc = 0;
    for (const auto& [dir, n] : r.loc) (dir == "lib" ? lib_loc : vmm_loc) += n;
    r.set("vmm_loc", double(vmm_loc));
    r.set("lib_loc", double(lib_loc));
    r.set("tcb_loc", double(vmm_loc + lib_loc));

    // Issue 12: the VMM with more CPUs.
    r.set("vmm_reserved_mib_8cpu", double(many.reserved_kib) / 1024.0);
    r.set("vmm_pool_used_kib_1cpu", double(one.pool.used_kib));
    r.set("vmm_pool_used_kib_8cpu", double(many.pool.used_kib));
    r.set("vmm_pool_kib_per_cpu", (double(many.pool.used_kib) - double(one.pool.used_kib)) / double(kMemoryCpus - 1));
    if (grub) {
      r.set("grub_bios_boot_ratio", double(grub->bios_thinvisor.init_tsc) / double(grub->bios_plain.init_tsc));
      r.set("grub_uefi_boot_ratio", double(grub->uefi_thinvisor.init_tsc) / double(grub->uefi_plain.init_tsc));
      r.set("grub_bios_plain_boot_instructions", double(grub->bios_plain.init_tsc));
      r.set("grub_uefi_plain_boot_instructions", double(grub->uefi_plain.init_tsc));
      for (const InitRun* run : {&grub->bios_plain, &grub->bios_thinvisor, &grub->uefi_plain, &grub->uefi_thinvisor})
        r.notes.push_back("GRUB boot (--grub-boots): " + run->qemu_cmd);
    } else {
      r.notes.push_back("grub_*_boot_ratio not measured: the four GRUB boots need --grub-boots");
    }
    if (smp) {
      r.set("smp2_boot_ratio", double(smp->thinvisor.init_tsc) / double(smp->plain.init_tsc));
      r.set("smp2_plain_boot_instructions", double(smp->plain.init_tsc));
      r.set("smp2_thinvisor_boot_instructions", double(smp->thinvisor.init_tsc));
    }

    std::string qemu_version = first_line_of(shell_quote(o.qemu) + " --version 2>/dev/null");
    r.notes.push_back("QEMU: " + (qemu_version.empty() ? o.qemu : qemu_version) +
                      ", TCG with -icount shift=0,sleep=off, 1 vCPU, " + std::to_string(RunConfig{}.mem_mib) + " MiB");
    r.notes.push_back("guest: " + roots.shown(o.kernel) + " with the project initramfs, command line \"" +
                      kGuestCmdline + "\"");
    r.notes.push_back("thinvisor boot with the VMM option " + std::string(kVmmOptions) + "; after /init: `hcbench " +
                      std::to_string(o.iterations) + "`, `" + kDbgshCommand + "`, `" + kSelftestCommand + "`, `" +
                      kLogFillCommand + "` (fills the log ring), `" + kDbgshLogShown +
                      "` (output to a file); VM exits are the whole run's (boot, those commands, power-off)");
    r.notes.push_back("dbgsh -c log of a full ring: " + std::to_string(tv.dbgsh_log.bytes) + " bytes printed, " +
                      std::to_string(tv.dbgsh_log.lost) + " older bytes lost to wrap-around; " +
                      std::to_string(tv.dbgsh_log.ticks) + " guest instructions, " +
                      std::to_string(llround(tv.dbgsh_log_wall_ms)) + " ms of host wall time for the guest command");
    r.notes.push_back("dbgsh session (" + std::to_string(tv.dbgsh.calls) + " calls, " +
                      std::to_string(tv.dbgsh.output_chars) + " output characters, " + std::to_string(tv.dbgsh.total) +
                      " instructions in all): the VMM said \"" +
                      (tv.dbgsh.said.size() > 160 ? tv.dbgsh.said.substr(0, 160) + "..." : tv.dbgsh.said) + "\"");
    r.notes.push_back("boot wall times (host, QEMU's start to the guest's ready line, TCG with -icount): plain " +
                      format_value("plain_boot_wall_s", plain.wall_s) + " s, thinvisor " +
                      format_value("thinvisor_boot_wall_s", tv.boot_wall_s) + " s; host load average " + load_before +
                      " (1, 5, 15 min) at the start of the run, on " + std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) +
                      " online CPUs");
    r.notes.push_back("plain QEMU: " + plain.qemu_cmd);
    r.notes.push_back("thinvisor: " + tv.qemu_cmd);
    r.notes.push_back("disk boots (thinvisor, disk initramfs, a " + std::to_string(kDiskMib) +
                      " MiB raw image on AHCI port 0, after `tv-disk-drivers`): `" + dd_command(true) + "` " +
                      std::to_string(kDdRuns) + " times, then `" + dd_command(false) + "` " + std::to_string(kDdRuns) +
                      " times; the figures take the least of each. With the IOMMU: write " + disk.write.shown() +
                      ", read " + disk.read.shown() + "; without: write " + disk_plain.write.shown() + ", read " +
                      disk_plain.read.shown());
    r.notes.push_back("disk boot with the IOMMU: " + disk.qemu_cmd);
    r.notes.push_back("disk boot without the IOMMU: " + disk_plain.qemu_cmd);
    r.notes.push_back("VMM start-ups with 1 and " + std::to_string(kMemoryCpus) +
                      " CPUs (TCG without -icount; the thinvisor boot's modules and VMM option), each stopped at the "
                      "VMM log's 'VMM ready' line");
    if (smp) {
      r.notes.push_back("plain QEMU, 2 CPUs (--smp-boots): " + smp->plain.qemu_cmd);
      r.notes.push_back("thinvisor, 2 CPUs (--smp-boots): " + smp->thinvisor.qemu_cmd);
    } else {
      r.notes.push_back("smp2_boot_ratio not measured: its two boots with 2 CPUs under -icount need --smp-boots");
    }
  } catch (const MeasureError& e) {
    std::fprintf(stderr, "tvbench: measurement failed: %s\n", e.what());
    return kExitMeasure;
  }

  std::vector<BudgetCheck> checks = check_budget(r, *budget);
  std::fputs(format_table(r, checks).c_str(), stdout);
  std::fflush(stdout);

  int status = 0;
  const std::string json_path = o.out + "/results.json", png_path = o.out + "/results.png";
  if (!write_file(json_path, to_json(r, checks), why)) {
    std::fprintf(stderr, "tvbench: %s\n", why.c_str());
    status = kExitMeasure;
  } else {
    std::printf("JSON: %s\n", json_path.c_str());
  }
  if (std::string perr = draw_png(checks, o.out, png_path); !perr.empty()) {
    std::fprintf(stderr, "tvbench: no plot: %s\n", perr.c_str());
    status = kExitMeasure;
  } else {
    std::printf("PNG:  %s\n", png_path.c_str());
  }
  if (doc_text) {
    auto updated = replace_doc_section(*doc_text, doc_section(r, checks));
    if (!updated || !write_file(o.doc, *updated, why)) {
      std::fprintf(stderr, "tvbench: %s: %s\n", o.doc.c_str(), updated ? why.c_str() : updated.error.c_str());
      status = kExitUsage;
    } else {
      std::printf("doc:  %s (generated section updated)\n", o.doc.c_str());
    }
    // The plot goes next to the doc (docs/performance.png), for the README.
    std::string dir = o.doc.find('/') == std::string::npos ? "." : o.doc.substr(0, o.doc.rfind('/'));
    std::string png_copy = dir + "/performance.png";
    auto png_bytes = read_file(png_path, why);
    if (!png_bytes || !write_file(png_copy, *png_bytes, why)) {
      std::fprintf(stderr, "tvbench: %s: %s\n", png_copy.c_str(), why.c_str());
      status = kExitUsage;
    } else {
      std::printf("plot: %s\n", png_copy.c_str());
    }
  }
  std::fflush(stdout);

  for (const BudgetCheck& c : checks)
    if (c.status == BudgetStatus::NotMeasured)
      std::fprintf(stderr, "tvbench: %s: not measured yet (budget <= %g, %s:%d)\n", c.bar.figure.c_str(), c.bar.limit,
                   o.budget.c_str(), c.bar.line);
  std::vector<std::string> over = over_budget_messages(checks);
  for (const std::string& m : over)
    std::fprintf(stderr, "tvbench: %s: %s\n", o.check ? "over budget" : "warning: over budget", m.c_str());
  std::fprintf(stderr, "tvbench: done in %.0f s\n", std::chrono::duration<double>(Clock::now() - t_start).count());
  if (status != 0) return status;
  if (o.check) {
    if (!over.empty()) {
      std::fprintf(stderr, "tvbench: --check: %zu figure(s) over budget\n", over.size());
      return kExitOverBudget;
    }
    std::fprintf(stderr, "tvbench: --check: all measured figures within budget\n");
  }
  return 0;
}
